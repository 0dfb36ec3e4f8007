package web_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// editable is one thing TestAPIIfMatch and TestEditFormsRefuseStaleSave
// edit twice from the same version: its API (where its ETag comes from,
// its PATCH and the token allowed to send it) and its edit form (the
// client allowed to save it and its text field), and how to read its
// stored text.
type editable struct {
	name  string
	etag  func() string // its current ETag, as a client reads it
	patch string
	token string
	body  func(text string) map[string]any
	form  string
	cl    *http.Client
	field string
	view  string // the page the conflict notice links to
	text  func() string
}

// petitionTags are the entity tags of a petition's JSON: its response's
// and its updates'.
type petitionTags struct {
	ResponseETag string `json:"response_etag"`
	Updates      []struct{ ETag string }
}

// editablesEnv makes one of each editable thing in a debateEnv's space,
// with a petition to a decider ("maire") answered and updated.
func editablesEnv(t *testing.T, e *debateEnv) []editable {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	e.user("boss2", models.RoleAdmin)
	maire := e.user("maire", models.RoleMember)
	must(e.Store.SetDecider(ctx, nil, "maire", true))
	maire.Decider = true
	bossTok, maireTok := e.token("boss2"), e.token("maire")
	ann, mod, boss, mayor := e.loggedIn("ann"), e.loggedIn("modo"), e.loggedIn("boss2"), e.loggedIn("maire")

	p, err := e.Store.CreateProposal(ctx, e.ann.Actor, "town", models.ProposalInput{Title: "Plant oaks", Body: "On the square."})
	must(err)
	c, err := e.Store.CreateComment(ctx, e.ann.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Yes."})
	must(err)
	d, err := e.Store.CreateDebate(ctx, e.mod, e.space, models.DebateInput{Question: "Which colour for the bikes?", Options: []string{"Red", "Blue"}})
	must(err)
	n, err := e.Store.PublishNews(ctx, e.mod, "town", models.NewsInput{Title: "Workshop", Body: "Tonight."})
	must(err)
	t0 := e.Now.Add(-24 * time.Hour)
	cons, err := e.Store.CreateConsultation(ctx, e.mod, "town", models.ConsultationInput{Title: "The square", OpensAt: t0,
		ContributionAt: t0, SynthesisAt: t0.Add(24 * time.Hour), ClosesAt: t0.Add(48 * time.Hour)})
	must(err)
	pe, err := e.Store.CreatePetition(ctx, e.ann.Actor, "town", models.PetitionInput{Title: "Save the kiosk", Body: "It must stay.", Addressee: "maire", Goal: 10})
	must(err)
	u, err := e.Store.PostPetitionUpdate(ctx, e.ann.Actor, pe.ID, "We met the mayor.")
	must(err)
	_, err = e.Store.RespondPetition(ctx, maire, pe.ID, "It stays.")
	must(err)

	header := func(path, token string) func() string {
		return func() string {
			res := e.api("GET", path, token, nil, nil)
			readBody(res)
			if res.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", path, res.StatusCode)
			}
			return res.Header.Get("ETag")
		}
	}
	petitionTag := func(pick func(*petitionTags) string) func() string {
		return func() string {
			var out petitionTags
			if res := e.api("GET", fmt.Sprintf("/api/v1/petitions/%d", pe.ID), "", nil, &out); res.StatusCode != http.StatusOK {
				t.Fatalf("GET petition: %d", res.StatusCode)
			}
			return pick(&out)
		}
	}
	body := func(key string) func(string) map[string]any {
		return func(text string) map[string]any { return map[string]any{key: text} }
	}
	stored := func(read func() (string, error)) func() string {
		return func() string {
			s, err := read()
			must(err)
			return s
		}
	}
	pid, cid, did, nid, coid, peid := fmt.Sprint(p.ID), fmt.Sprint(c.ID), fmt.Sprint(d.ID), fmt.Sprint(n.ID), fmt.Sprint(cons.ID), fmt.Sprint(pe.ID)
	return []editable{
		{"proposal", header("/api/v1/proposals/"+pid, ""), "/api/v1/proposals/" + pid, e.annTok, body("body"),
			"/p/" + pid + "/edit", ann, "body", "/p/" + pid,
			stored(func() (string, error) { x, err := e.Store.ProposalByID(ctx, p.ID); return x.Body, err })},
		{"comment", header("/api/v1/comments/"+cid, ""), "/api/v1/comments/" + cid, e.annTok, body("body"),
			"/c/" + cid + "/edit", ann, "body", "/c/" + cid,
			stored(func() (string, error) { x, err := e.Store.CommentByID(ctx, c.ID); return x.Body, err })},
		{"debate", header("/api/v1/debates/"+did, e.modTok), "/api/v1/debates/" + did, e.modTok, body("description"),
			"/d/" + did + "/edit", mod, "description", "/d/" + did,
			stored(func() (string, error) { x, err := e.Store.DebateByID(ctx, d.ID); return x.Description, err })},
		{"news", header("/api/v1/news/"+nid, ""), "/api/v1/news/" + nid, e.modTok, body("body"),
			"/news/" + nid + "/edit", mod, "body", "/news/" + nid,
			stored(func() (string, error) { x, err := e.Store.NewsByID(ctx, n.ID); return x.Body, err })},
		{"consultation", header("/api/v1/consultations/"+coid, ""), "/api/v1/consultations/" + coid, e.modTok, body("body"),
			"/consultations/" + coid + "/edit", mod, "body", "/consultations/" + coid,
			stored(func() (string, error) { x, err := e.Store.ConsultationByID(ctx, cons.ID); return x.Body, err })},
		{"space", header("/api/v1/spaces/town", ""), "/api/v1/spaces/town", bossTok, body("description"),
			"/s/town/edit", boss, "description", "/s/town",
			stored(func() (string, error) { x, err := e.Store.SpaceByName(ctx, "town"); return x.Description, err })},
		{"petition update", petitionTag(func(o *petitionTags) string { return o.Updates[0].ETag }), fmt.Sprintf("/api/v1/petitions/%d/updates/%d", pe.ID, u.ID), e.annTok, body("body"),
			fmt.Sprintf("/pe/%d/updates/%d/edit", pe.ID, u.ID), ann, "body", "/pe/" + peid + "#update-" + fmt.Sprint(u.ID),
			stored(func() (string, error) { x, err := e.Store.PetitionUpdateByID(ctx, pe.ID, u.ID); return x.Body, err })},
		{"petition response", petitionTag(func(o *petitionTags) string { return o.ResponseETag }), "/api/v1/petitions/" + peid + "/response", maireTok, body("body"),
			"/pe/" + peid + "/response/edit", mayor, "response", "/pe/" + peid + "#response-h",
			stored(func() (string, error) { x, err := e.Store.PetitionByID(ctx, pe.ID); return x.Response, err })},
	}
}

// patchIfMatch sends PATCH path with If-Match (none when ifMatch is
// empty) and returns the answer and its body.
func patchIfMatch(e *debateEnv, path, token, ifMatch string, body any) (*http.Response, string) {
	e.t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPatch, e.URL+path, strings.NewReader(string(b)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	res := e.do(http.DefaultClient, req)
	return res, readBody(res)
}

// TestAPIIfMatch: the GET of each editable resource (or, for a petition's
// update and response, which have none, the petition's JSON) gives a
// strong ETag; a PATCH with the matching If-Match applies and answers the
// new ETag; one with the former ETag is refused with 412 and changes
// nothing; without If-Match, or with "*", it applies as before; a weak or
// unknown tag never matches; two versions at once are refused (422).
func TestAPIIfMatch(t *testing.T) {
	for _, dialect := range dbtest.Dialects {
		t.Run(dialect, func(t *testing.T) {
			e := newDebateEnvOn(t, dialect)
			for _, x := range editablesEnv(t, e) {
				t.Run(x.name, func(t *testing.T) {
					first := x.etag()
					if !strings.HasPrefix(first, `"`) || !strings.HasSuffix(first, `"`) || len(first) < 3 {
						t.Fatalf("ETag %q, want a strong entity tag", first)
					}
					res, body := patchIfMatch(e, x.patch, x.token, first, x.body("Edited from the first version."))
					second := res.Header.Get("ETag")
					if res.StatusCode != http.StatusOK || second == "" || second == first {
						t.Fatalf("PATCH with the current ETag: %d ETag %q (was %q) %s", res.StatusCode, second, first, body)
					}
					if now := x.etag(); now != second {
						t.Errorf("GET after the edit: ETag %q, want the PATCH's %q", now, second)
					}
					res, body = patchIfMatch(e, x.patch, x.token, first, x.body("Edited from the first version again."))
					if res.StatusCode != http.StatusPreconditionFailed || !strings.Contains(body, "If-Match") {
						t.Errorf("PATCH with a stale ETag: %d %s, want 412 saying why", res.StatusCode, body)
					}
					if got := x.text(); got != "Edited from the first version." {
						t.Errorf("after the refused PATCH the text is %q", got)
					}
					for _, tag := range []string{"W/" + first, `"999999"`, `"someone-else"`, `W/"someone-else"`} {
						if res, body := patchIfMatch(e, x.patch, x.token, tag, x.body("Never saved.")); res.StatusCode != http.StatusPreconditionFailed {
							t.Errorf("If-Match %s: %d %s, want 412", tag, res.StatusCode, body)
						}
					}
					if res, body := patchIfMatch(e, x.patch, x.token, first+", "+second, x.body("Never saved.")); res.StatusCode != http.StatusUnprocessableEntity {
						t.Errorf("If-Match naming two versions: %d %s, want 422", res.StatusCode, body)
					}
					if res, body := patchIfMatch(e, x.patch, x.token, "", x.body("Edited without If-Match.")); res.StatusCode != http.StatusOK {
						t.Errorf("PATCH without If-Match: %d %s", res.StatusCode, body)
					}
					if res, body := patchIfMatch(e, x.patch, x.token, "*", x.body("Edited with If-Match: *.")); res.StatusCode != http.StatusOK {
						t.Errorf("PATCH with If-Match *: %d %s", res.StatusCode, body)
					}
					if got := x.text(); got != "Edited with If-Match: *." {
						t.Errorf("the text is %q", got)
					}
					// A proxy that gzips the small answers odn leaves plain
					// weakens the tag: W/"n" still names version n.
					weak := "W/" + x.etag()
					if res, body := patchIfMatch(e, x.patch, x.token, weak, x.body("Edited through a proxy.")); res.StatusCode != http.StatusOK {
						t.Errorf("PATCH with If-Match %s, the current version weakened: %d %s, want 200", weak, res.StatusCode, body)
					}
					if res, body := patchIfMatch(e, x.patch, x.token, weak, x.body("Never saved either.")); res.StatusCode != http.StatusPreconditionFailed {
						t.Errorf("PATCH with If-Match %s, a stale version weakened: %d %s, want 412", weak, res.StatusCode, body)
					}
					if got := x.text(); got != "Edited through a proxy." {
						t.Errorf("the text is %q", got)
					}
				})
			}
		})
	}
}

// TestAPIPatchWithoutIfMatchKeepsOtherEdits: a PATCH without If-Match
// changes the fields it names and keeps the others as they are when it is
// written. The first PATCH's body arrives after its handler has read the
// resource, and a second PATCH changes another field meanwhile: the first
// must not write that field's older value back (a lost update). Merging
// onto the version read, then again onto a fresh read when the write is
// refused, keeps both.
func TestAPIPatchWithoutIfMatchKeepsOtherEdits(t *testing.T) {
	e := newDebateEnv(t)
	other := map[string]string{"proposal": "title", "debate": "question", "news": "title", "consultation": "title", "space": "title"}
	for _, x := range editablesEnv(t, e) {
		key, ok := other[x.name]
		if !ok {
			continue // one text: a PATCH replaces it whole
		}
		t.Run(x.name, func(t *testing.T) {
			conn, err := net.Dial("tcp", strings.TrimPrefix(e.URL, "http://"))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			slow, _ := json.Marshal(x.body("Sent slowly."))
			head := fmt.Sprintf("PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n",
				x.patch, strings.TrimPrefix(e.URL, "http://"), x.token, len(slow))
			if _, err := conn.Write([]byte(head)); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond) // the handler reads the resource, then waits for the body
			if res, body := patchIfMatch(e, x.patch, x.token, "", map[string]any{key: "Changed meanwhile"}); res.StatusCode != http.StatusOK {
				t.Fatalf("the other PATCH: %d %s", res.StatusCode, body)
			}
			if _, err := conn.Write(slow); err != nil {
				t.Fatal(err)
			}
			res, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				t.Fatal(err)
			}
			if body := readBody(res); res.StatusCode != http.StatusOK {
				t.Fatalf("the slow PATCH: %d %s", res.StatusCode, body)
			}
			var now map[string]any
			if res := e.api("GET", x.patch, x.token, nil, &now); res.StatusCode != http.StatusOK {
				t.Fatalf("GET: %d", res.StatusCode)
			}
			if got := x.text(); got != "Sent slowly." {
				t.Errorf("the slow PATCH's field is %q", got)
			}
			if now[key] != "Changed meanwhile" {
				t.Errorf("%s is %q after the slow PATCH, want the other PATCH's value kept", key, now[key])
			}
		})
	}
}
