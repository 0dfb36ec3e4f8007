package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
	"github.com/opendemocracynow/odn/web"
)

// conformance calls the API and checks each answer against docs/openapi.yaml.
type conformance struct {
	t      *testing.T
	o      *openDataSite
	doc    map[string]any
	c      *jsonschema.Compiler
	called map[string]bool // "METHOD /template" answered with a 2xx
}

// call sends method path (an instance of template) with an optional token
// and JSON body, wants status, and checks that the status is declared and
// the JSON body matches its schema, closed (see closeSchemas). It returns
// the decoded body.
func (k *conformance) call(method, template, path, token string, body any, status int) map[string]any {
	k.t.Helper()
	m, _ := k.callWith(nil, method, template, path, token, body, status)
	return m
}

// callWith is call with request headers; it also returns the answer's
// headers, and checks that an answer whose declared headers name an ETag
// carries one.
func (k *conformance) callWith(header http.Header, method, template, path, token string, body any, status int) (map[string]any, http.Header) {
	t := k.t
	t.Helper()
	var got any
	res := k.o.apiWith(method, "/api/v1"+path, token, header, body, nil)
	raw := readBody(res)
	if res.StatusCode != status {
		t.Errorf("%s %s: status %d, want %d: %s", method, path, res.StatusCode, status, raw)
		return nil, res.Header
	}
	op, _ := k.doc["paths"].(map[string]any)[template].(map[string]any)[strings.ToLower(method)].(map[string]any)
	if op == nil {
		t.Errorf("%s %s: not documented", method, template)
		return nil, res.Header
	}
	declared, ok := op["responses"].(map[string]any)[fmt.Sprint(status)]
	if !ok {
		t.Errorf("%s %s: status %d is not documented", method, template, status)
		return nil, res.Header
	}
	if h, _ := declared.(map[string]any)["headers"].(map[string]any); h["ETag"] != nil && res.Header.Get("ETag") == "" {
		t.Errorf("%s %s (%d): no ETag, which the spec declares", method, path, status)
	}
	if status < 300 {
		k.called[method+" "+template] = true
	}
	if !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		return nil, res.Header // 204, or the YAML document
	}
	if err := json.Unmarshal([]byte(raw), &got); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	if err := checkBody(t, k.c, k.doc, op, status, got); err != nil {
		t.Errorf("%s %s (%d) %v", method, path, status, err)
	}
	m, _ := got.(map[string]any)
	return m, res.Header
}

// id returns the "id" of an answer.
func id(m map[string]any) string {
	s, _ := m["id"].(string)
	return s
}

// TestOpenAPIResponsesMatchSchemas calls every operation on an instance
// holding what a real one does (a consultation in its contribution phase
// with themes, workshop contributions, a draft synthesis and news; an
// answered proposal in a theme; a petition with signatures, an update and
// the decision-maker's response; a closed debate with ballots; threads
// with a reply hidden by a moderator; a report; a deleted author) and
// validates each answer against the schema the spec declares for its
// operation and status: every field declared, of its declared type, null
// only where allowed, required fields present. Every operation must be
// called with a success at least once, but for those that need another
// instance.
func TestOpenAPIResponsesMatchSchemas(t *testing.T) {
	// A mailer, for the confirmation link of an e-mail address.
	o := newOpenDataSite(t, func(o *web.Options) { o.Mailer = &captureMailer{} })
	doc := loadOpenAPI(t)
	k := &conformance{t: t, o: o, doc: doc, c: schemaCompiler(t, doc), called: map[string]bool{}}
	ctx := context.Background()
	boss, ann, bob, cyd, mayor := o.token("boss"), o.token("ann"), o.token("bob"), o.token("cyd"), o.token("mayor")
	host := strings.TrimPrefix(o.URL, "http://")
	ts := func(d time.Duration) string { return o.Now.Add(d).Format(time.RFC3339) }
	p := func(format string, a ...any) string { return fmt.Sprintf(format, a...) }

	// The instance and its spaces.
	k.call("GET", "/instance", "/instance", "", nil, 200)
	k.call("GET", "/openapi.yaml", "/openapi.yaml", "", nil, 200)
	k.call("POST", "/spaces", "/spaces", boss, map[string]any{"name": "harbour", "kind": "association", "title": "Harbour friends",
		"description": "*Boats*", "policy": "network", "allowed_hosts": []string{"other.example"}, "support_threshold": 10, "licence": "CC-BY-4.0"}, 201)
	k.call("PATCH", "/spaces/{name}", "/spaces/harbour", boss, map[string]any{"title": "Friends of the harbour", "support_threshold": 12}, 200)
	k.call("PATCH", "/spaces/{name}", "/spaces/harbour", boss, map[string]any{"name": "port"}, 422)
	k.call("PATCH", "/spaces/{name}", "/spaces/harbour", ann, map[string]any{"title": "Mine"}, 403)
	// Concurrent edits (docs/API.md): the GET's ETag in If-Match applies
	// the edit and the answer has the new one; the former one is then
	// refused (412), and "*" matches any.
	_, h := k.callWith(nil, "GET", "/spaces/{name}", "/spaces/harbour", "", nil, 200)
	_, h2 := k.callWith(http.Header{"If-Match": {h.Get("ETag")}}, "PATCH", "/spaces/{name}", "/spaces/harbour", boss,
		map[string]any{"description": "Boats, *sails*."}, 200)
	if h2.Get("ETag") == h.Get("ETag") {
		t.Errorf("PATCH with If-Match: ETag %q unchanged", h2.Get("ETag"))
	}
	k.callWith(http.Header{"If-Match": {h.Get("ETag")}}, "PATCH", "/spaces/{name}", "/spaces/harbour", boss, map[string]any{"description": "Lost."}, 412)
	k.callWith(http.Header{"If-Match": {"*"}}, "PATCH", "/spaces/{name}", "/spaces/harbour", boss, map[string]any{"description": "Boats."}, 200)
	k.call("GET", "/spaces", "/spaces", "", nil, 200)
	k.call("GET", "/spaces/{name}", "/spaces/town", "", nil, 200)
	k.call("GET", "/spaces/{name}", "/spaces/nowhere", "", nil, 404)

	// A consultation in its contribution phase, with a theme; the last
	// phase (closed) has no end.
	cons := k.call("POST", "/spaces/{name}/consultations", "/spaces/town/consultations", boss, map[string]any{
		"title": "The new square", "summary": "What should it become?", "body": "Tell us **everything**.", "map": true,
		"phases": []map[string]any{{"name": "information", "starts_at": ts(-48 * time.Hour)},
			{"name": "contribution", "starts_at": ts(-24 * time.Hour), "ends_at": ts(24 * time.Hour)},
			{"name": "synthesis", "starts_at": ts(24 * time.Hour)}, {"name": "closed", "starts_at": ts(48 * time.Hour)}}}, 201)
	cid := id(cons)
	var cidN int64
	fmt.Sscan(cid, &cidN)
	tid := id(k.call("POST", "/consultations/{id}/themes", "/consultations/"+cid+"/themes", boss, map[string]any{"name": "Mobility", "description": "Getting around"}, 201))
	k.call("POST", "/consultations/{id}/themes", "/consultations/"+cid+"/themes", boss, map[string]any{"name": "Mobility"}, 422)
	k.call("POST", "/consultations/{id}/themes", "/consultations/"+cid+"/themes", ann, map[string]any{"name": "Parks"}, 403)
	spare := id(k.call("POST", "/consultations/{id}/themes", "/consultations/"+cid+"/themes", boss, map[string]any{"name": "Spare", "position": 9}, 201))
	k.call("DELETE", "/consultations/{id}/themes/{theme}", "/consultations/"+cid+"/themes/"+spare, ann, nil, 403)
	k.call("DELETE", "/consultations/{id}/themes/{theme}", "/consultations/"+cid+"/themes/"+spare, boss, nil, 204)
	k.call("DELETE", "/consultations/{id}/themes/{theme}", "/consultations/"+cid+"/themes/"+spare, boss, nil, 404)
	k.call("PATCH", "/consultations/{id}", "/consultations/"+cid, boss, map[string]any{"summary": "What should the square become?"}, 200)
	k.call("PATCH", "/consultations/{id}", "/consultations/"+cid, boss, map[string]any{"phases": []any{}}, 422)
	k.call("PATCH", "/consultations/{id}", "/consultations/"+cid, ann, map[string]any{"title": "Mine"}, 403)
	k.call("GET", "/consultations/{id}", "/consultations/"+cid, "", nil, 200)
	k.call("GET", "/spaces/{name}/consultations", "/spaces/town/consultations", "", nil, 200)

	// Proposals: one in the theme, answered; one withdrawn; one whose
	// author deleted their account.
	prop := k.call("POST", "/spaces/{name}/proposals", "/spaces/town/proposals", ann, map[string]any{"title": "Benches in the shade",
		"body": "Under the *plane trees*.", "tags": []string{"square"}, "consultation": cid, "theme": tid}, 201)
	pid := id(prop)
	k.call("POST", "/proposals/{id}/support", "/proposals/"+pid+"/support", bob, nil, 200)
	k.call("POST", "/proposals/{id}/support", "/proposals/"+pid+"/support", cyd, nil, 200)
	k.call("DELETE", "/proposals/{id}/support", "/proposals/"+pid+"/support", cyd, nil, 200)
	k.call("POST", "/proposals/{id}/status", "/proposals/"+pid+"/status", boss, map[string]any{"status": "answered", "answer": "Yes, **in May**."}, 200)
	k.call("GET", "/proposals/{id}", "/proposals/"+pid, bob, nil, 200)
	k.call("GET", "/proposals/{id}", "/proposals/99999", "", nil, 404)
	gone := k.call("POST", "/spaces/{name}/proposals", "/spaces/town/proposals", ann, map[string]any{"title": "A fountain", "body": "Water."}, 201)
	k.call("PATCH", "/proposals/{id}", "/proposals/"+id(gone), ann, map[string]any{"body": "Water, and *shade*.", "tags": []string{"water"}}, 200)
	k.call("PATCH", "/proposals/{id}", "/proposals/"+id(gone), ann, map[string]any{"title": ""}, 422)
	k.call("PATCH", "/proposals/{id}", "/proposals/"+id(gone), bob, map[string]any{"title": "Mine"}, 403)
	k.call("PATCH", "/proposals/{id}", "/proposals/"+pid, ann, map[string]any{"title": "Supported already"}, 409)
	k.call("POST", "/proposals/{id}/withdraw", "/proposals/"+id(gone)+"/withdraw", ann, nil, 200)
	leaver := o.user("leaver", models.RoleMember)
	orphan, err := o.Store.CreateProposal(ctx, leaver.Actor, "town", models.ProposalInput{Title: "Night market", Body: "On Fridays."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := o.Store.CreateComment(ctx, leaver.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: orphan.ID, Body: "Mine."}); err != nil {
		t.Fatal(err)
	}
	if err := o.Store.DeleteAccount(ctx, leaver); err != nil {
		t.Fatal(err)
	}
	k.call("GET", "/proposals/{id}", p("/proposals/%d", orphan.ID), "", nil, 200)
	k.call("GET", "/proposals/{id}/comments", p("/proposals/%d/comments", orphan.ID), "", nil, 200)
	k.call("GET", "/spaces/{name}/proposals", "/spaces/town/proposals", "", nil, 200)
	// Search: a preview of every kind, then one kind's pages.
	found := k.call("GET", "/search", "/search?q=benches", "", nil, 200)
	if items, _ := found["items"].([]any); len(items) != 1 {
		t.Errorf("search for benches: %v, want the one proposal", found)
	}
	k.call("GET", "/search", "/search?q=shade&kind=proposals&space=town&limit=1", "", nil, 200)
	k.call("GET", "/search", "/search?q=bench&kind=proposals&sort=new&limit=1", "", nil, 200)
	for _, bad := range []string{"sort=new&cursor=o1", "sort=relevance&cursor=5", "cursor=o0", "sort=popular"} {
		k.call("GET", "/search", "/search?q=benches&kind=proposals&"+bad, "", nil, 422)
	}
	k.call("GET", "/search", "/search?q=b&kind=users", "", nil, 422)
	if bad := k.call("GET", "/search", "/search?q=benches&kind=proposals&cursor=x", "", nil, 422); fmt.Sprint(bad["fields"]) != "map[cursor:is not a cursor of this list]" {
		t.Errorf("a bad search cursor: %v, want a problem with cursor", bad)
	}
	k.call("GET", "/search", "/search?q=benches&space=nowhere", "", nil, 404)
	k.call("GET", "/proposals/{id}", p("/proposals/%d", o.hidden.ID), boss, nil, 200) // hidden: moderators see it
	k.call("GET", "/petitions/{id}", p("/petitions/%d", o.hiddenPetitionID), boss, nil, 200)
	k.call("GET", "/spaces/{name}/proposals", "/spaces/town/proposals?sort=random", "", nil, 200)

	// A petition in the theme: signed, updated, answered.
	pet := k.call("POST", "/spaces/{name}/petitions", "/spaces/town/petitions", ann, map[string]any{"title": "Keep the market",
		"body": "Every *Sunday*.", "goal": 2, "addressee": "mayor", "closes_at": ts(30 * 24 * time.Hour), "consultation": cid, "theme": tid}, 201)
	ptid := id(pet)
	k.call("POST", "/petitions/{id}/signatures", "/petitions/"+ptid+"/signatures", bob, map[string]bool{"public": true}, 201)
	k.call("POST", "/petitions/{id}/signatures", "/petitions/"+ptid+"/signatures", cyd, nil, 201)
	up := k.call("POST", "/petitions/{id}/updates", "/petitions/"+ptid+"/updates", ann, map[string]string{"body": "Goal **reched**!"}, 201)
	upTag, _ := up["etag"].(string) // an update has no GET: its ETag is in the JSON
	k.callWith(http.Header{"If-Match": {upTag}}, "PATCH", "/petitions/{id}/updates/{uid}", "/petitions/"+ptid+"/updates/"+id(up), ann,
		map[string]string{"body": "Goal **reached**!"}, 200)
	k.callWith(http.Header{"If-Match": {upTag}}, "PATCH", "/petitions/{id}/updates/{uid}", "/petitions/"+ptid+"/updates/"+id(up), ann,
		map[string]string{"body": "Goal reached."}, 412)
	answered := k.call("POST", "/petitions/{id}/response", "/petitions/"+ptid+"/response", mayor, map[string]string{"body": "The market *stays*."}, 200)
	responseTag, _ := answered["response_etag"].(string)
	k.callWith(http.Header{"If-Match": {responseTag}}, "PATCH", "/petitions/{id}/response", "/petitions/"+ptid+"/response", mayor,
		map[string]string{"body": "The market *stays*, on Sundays."}, 200)
	k.callWith(http.Header{"If-Match": {responseTag}}, "PATCH", "/petitions/{id}/response", "/petitions/"+ptid+"/response", mayor,
		map[string]string{"body": "The market goes."}, 412)
	k.call("GET", "/petitions/{id}", "/petitions/"+ptid, bob, nil, 200)
	k.call("GET", "/petitions/{id}", p("/petitions/%d", o.petition.ID), "", nil, 200)
	k.call("GET", "/spaces/{name}/petitions", "/spaces/town/petitions?sort=random", "", nil, 200)
	// The mayor leaves office: a moderator gives their open petition to
	// another decision-maker (and the mayor is re-elected, for what follows).
	o.user("deputy", models.RoleMember)
	if err := o.Store.SetDecider(ctx, nil, "deputy", true); err != nil {
		t.Fatal(err)
	}
	if err := o.Store.SetDecider(ctx, nil, "mayor", false); err != nil {
		t.Fatal(err)
	}
	k.call("POST", "/petitions/{id}/addressee", p("/petitions/%d/addressee", o.petition.ID), boss, map[string]string{"addressee": "deputy"}, 200)
	k.call("GET", "/petitions/{id}", p("/petitions/%d", o.petition.ID), "", nil, 200)
	if err := o.Store.SetDecider(ctx, nil, "mayor", true); err != nil {
		t.Fatal(err)
	}
	// Its author closes it before its deadline: a moderator's close
	// comes too late, a member may not.
	k.call("POST", "/petitions/{id}/close", p("/petitions/%d/close", o.petition.ID), bob, nil, 403)
	k.call("POST", "/petitions/{id}/close", p("/petitions/%d/close", o.petition.ID), ann, nil, 200)
	k.call("POST", "/petitions/{id}/close", p("/petitions/%d/close", o.petition.ID), boss, nil, 409)
	k.call("GET", "/petitions/{id}", p("/petitions/%d", o.petition.ID), "", nil, 200)

	// A debate of the consultation: drafted, opened, voted, closed.
	deb := k.call("POST", "/spaces/{name}/debates", "/spaces/town/debates", boss, map[string]any{"question": "Trees or lawn?",
		"description": "The *centre* of the square.", "options": []string{"Trees", "Lawn"}, "public_ballot": true, "consultation": cidN}, 201)
	did := id(deb)
	k.call("PATCH", "/debates/{id}", "/debates/"+did, boss, map[string]any{"options": []string{"Trees", "Lawn", "Both"}}, 200) // a draft
	k.call("POST", "/debates/{id}/open", "/debates/"+did+"/open", boss, nil, 200)
	k.call("PATCH", "/debates/{id}", "/debates/"+did, boss, map[string]any{"options": []string{"Trees", "Lawn"}}, 422)
	k.call("PATCH", "/debates/{id}", "/debates/"+did, boss, map[string]any{"description": "The *centre* of the square, by the fountain."}, 200)
	k.call("PATCH", "/debates/{id}", "/debates/"+did, cyd, map[string]any{"description": "Mine."}, 403)
	k.call("POST", "/debates/{id}/votes", "/debates/"+did+"/votes", cyd, map[string][]string{"options": {"Lawn"}}, 200)
	k.call("DELETE", "/debates/{id}/votes", "/debates/"+did+"/votes", cyd, nil, 204)
	k.call("POST", "/debates/{id}/votes", "/debates/"+did+"/votes", bob, map[string][]string{"options": {"Trees"}}, 200)
	k.call("GET", "/debates/{id}", "/debates/"+did, bob, nil, 200)
	k.call("GET", "/debates/{id}/results", "/debates/"+did+"/results", "", nil, 200)
	k.call("POST", "/debates/{id}/close", "/debates/"+did+"/close", boss, nil, 200)
	k.call("PATCH", "/debates/{id}", "/debates/"+did, boss, map[string]any{"description": "Too late."}, 409)
	k.call("GET", "/debates/{id}/results", "/debates/"+did+"/results", "", nil, 200)
	k.call("GET", "/debates/{id}/results", p("/debates/%d/results", o.debate.ID), "", nil, 200)
	k.call("POST", "/debates/{id}/votes", p("/debates/%d/votes", o.debate.ID), bob, map[string][]string{"options": {"Sunday"}}, 409)
	k.call("GET", "/spaces/{name}/debates", "/spaces/town/debates", boss, nil, 200)

	// Comments: a thread with a reply a moderator hid, arguments, a report.
	c1 := k.call("POST", "/proposals/{id}/comments", "/proposals/"+pid+"/comments", bob, map[string]string{"body": "Yes, with *benches*."}, 201)
	c2 := k.call("POST", "/proposals/{id}/comments", "/proposals/"+pid+"/comments", ann, map[string]string{"body": "Rude reply.", "in_reply_to": id(c1)}, 201)
	k.call("POST", "/proposals/{id}/comments", "/proposals/"+pid+"/comments", bob, map[string]string{"body": ""}, 422)
	k.call("PATCH", "/comments/{id}", "/comments/"+id(c1), bob, map[string]string{"body": "Yes, with *benches* and shade."}, 200)
	k.call("PATCH", "/comments/{id}", "/comments/"+id(c1), bob, map[string]string{"body": ""}, 422)
	k.call("PATCH", "/comments/{id}", "/comments/"+id(c1), ann, map[string]string{"body": "Mine."}, 403)
	k.call("DELETE", "/comments/{id}", "/comments/"+id(c1), ann, nil, 403)
	typo := k.call("POST", "/proposals/{id}/comments", "/proposals/"+pid+"/comments", bob, map[string]string{"body": "Yes, with benchs."}, 201)
	k.call("DELETE", "/comments/{id}", "/comments/"+id(typo), bob, nil, 204)
	k.call("POST", "/proposals/{id}/comments", "/proposals/"+pid+"/comments", "", map[string]string{"body": "anonymous"}, 401)
	k.call("POST", "/debates/{id}/comments", p("/debates/%d/comments", o.debate.ID), bob, map[string]string{"body": "Sunday is calm.", "stance": "for"}, 201)
	k.call("POST", "/petitions/{id}/comments", "/petitions/"+ptid+"/comments", bob, map[string]string{"body": "Signed!"}, 201)
	k.call("POST", "/reports", "/reports", bob, map[string]string{"object_type": "comment", "object_id": id(c2), "reason": "Rude."}, 201)
	k.call("GET", "/reports", "/reports?status=all", boss, nil, 200)
	k.call("POST", "/moderation/hide", "/moderation/hide", boss, map[string]string{"object_type": "comment", "object_id": id(c2), "reason": "Rude."}, 204)
	// Search finds comments, named by their item, but not the hidden one.
	if items, _ := k.call("GET", "/search", "/search?q=sunday+calm&kind=comments", "", nil, 200)["items"].([]any); len(items) != 1 ||
		items[0].(map[string]any)["stance"] != "for" || items[0].(map[string]any)["on"] == nil {
		t.Errorf("search for the argument: %v, want it with its debate and stance", items)
	}
	if counts, _ := k.call("GET", "/search", "/search?q=rude+reply", "", nil, 200)["counts"].(map[string]any); counts["comments"] != float64(0) {
		t.Errorf("search for the hidden reply: counts %v, want no comment", counts)
	}
	k.call("GET", "/proposals/{id}/comments", "/proposals/"+pid+"/comments", boss, nil, 200)
	k.call("GET", "/comments/{id}", "/comments/"+id(c1), boss, nil, 200)
	k.call("GET", "/comments/{id}", "/comments/"+id(c1), "", nil, 200)
	k.call("GET", "/debates/{id}/comments", p("/debates/%d/comments", o.debate.ID), "", nil, 200)
	k.call("GET", "/petitions/{id}/comments", "/petitions/"+ptid+"/comments", "", nil, 200)
	k.call("GET", "/reports", "/reports?status=all", boss, nil, 200)
	k.call("POST", "/moderation/restore", "/moderation/restore", boss, map[string]string{"object_type": "comment", "object_id": id(c2)}, 204)
	rep2 := k.call("POST", "/reports", "/reports", cyd, map[string]string{"object_type": "proposal", "object_id": pid, "reason": "Spam?"}, 201)
	k.call("POST", "/reports/{id}/dismiss", "/reports/"+id(rep2)+"/dismiss", boss, map[string]string{"note": "Not spam."}, 204)

	// The consultation's workshops, synthesis, statistics and news.
	k.call("POST", "/consultations/{id}/workshop-contributions", "/consultations/"+cid+"/workshop-contributions", boss, map[string]any{
		"title": "Evening workshop", "body": "Thirty people *want shade*.", "held_at": ts(-2 * time.Hour), "place": "Town hall",
		"participants": 30, "theme": tid, "lat": 48.85, "lon": 2.35}, 201)
	wrong := k.call("POST", "/consultations/{id}/workshop-contributions", "/consultations/"+cid+"/workshop-contributions", boss, map[string]any{
		"title": "Recorded twice", "body": "Thirty people.", "held_at": ts(-2 * time.Hour), "place": "Town hall", "participants": 30}, 201)
	k.call("DELETE", "/workshop-contributions/{id}", "/workshop-contributions/"+id(wrong), ann, nil, 403)
	k.call("DELETE", "/workshop-contributions/{id}", "/workshop-contributions/"+id(wrong), boss, nil, 204)
	k.call("DELETE", "/workshop-contributions/{id}", "/workshop-contributions/"+id(wrong), boss, nil, 404)
	k.call("GET", "/consultations/{id}/workshop-contributions", "/consultations/"+cid+"/workshop-contributions", "", nil, 200)
	k.call("POST", "/consultations/{id}/synthesis", "/consultations/"+cid+"/synthesis", boss, map[string]any{"body": "A *draft*.", "draft": true}, 200)
	k.call("GET", "/consultations/{id}/synthesis", "/consultations/"+cid+"/synthesis", boss, nil, 200)
	k.call("GET", "/consultations/{id}/stats", "/consultations/"+cid+"/stats", "", nil, 200)
	k.call("POST", "/spaces/{name}/news", "/spaces/town/news", boss, map[string]any{"title": "Workshop tonight", "body": "At *six*.", "consultation": cidN}, 201)
	k.call("GET", "/spaces/{name}/news", "/spaces/town/news", "", nil, 200)
	mistake := k.call("POST", "/spaces/{name}/news", "/spaces/town/news", boss, map[string]any{"title": "Workshop tomorrow", "body": "Wrong day."}, 201)
	k.call("GET", "/news/{id}", "/news/"+id(mistake), "", nil, 200)
	k.call("PATCH", "/news/{id}", "/news/"+id(mistake), ann, map[string]any{"body": "Mine."}, 403)
	k.call("PATCH", "/news/{id}", "/news/"+id(mistake), boss, map[string]any{"title": ""}, 422)
	k.call("PATCH", "/news/{id}", "/news/"+id(mistake), boss, map[string]any{"consultation": cidN}, 422)
	k.call("PATCH", "/news/{id}", "/news/"+id(mistake), boss, map[string]any{"body": "The *right* day."}, 200)
	k.call("DELETE", "/news/{id}", "/news/"+id(mistake), ann, nil, 403)
	k.call("DELETE", "/news/{id}", "/news/"+id(mistake), boss, nil, 204)
	k.call("GET", "/news/{id}", "/news/"+id(mistake), "", nil, 404)
	draft := k.call("POST", "/spaces/{name}/consultations", "/spaces/town/consultations", boss, map[string]any{"title": "Opened by mistake",
		"phases": []map[string]any{{"name": "contribution", "starts_at": ts(24 * time.Hour), "ends_at": ts(48 * time.Hour)}}}, 201)
	k.call("DELETE", "/consultations/{id}", "/consultations/"+id(draft), ann, nil, 403)
	k.call("DELETE", "/consultations/{id}", "/consultations/"+id(draft), boss, nil, 204)
	k.call("GET", "/consultations/{id}", "/consultations/"+id(draft), "", nil, 404)
	k.call("GET", "/spaces/{name}/relays", "/spaces/town/relays", "", nil, 200)

	// The account's follows, look-ups and notifications.
	k.call("POST", "/follows", "/follows", ann, map[string]string{"handle": "town@" + host}, 201)
	k.call("GET", "/follows", "/follows", ann, nil, 200)
	k.call("DELETE", "/follows", "/follows?handle="+url.QueryEscape("town@"+host), ann, nil, 204)
	k.call("GET", "/lookup", "/lookup?uri="+url.QueryEscape("bob@"+host), ann, nil, 200)
	k.call("GET", "/notifications", "/notifications", ann, nil, 200)
	k.call("POST", "/notifications/read", "/notifications/read", ann, nil, 204)
	k.call("GET", "/account", "/account", ann, nil, 200)
	if got := k.call("PATCH", "/account", "/account", ann, map[string]any{"display_name": "Ann", "bio": "Lives by the *square*.", "locale": "fr", "email_digest": true}, 200); got["email_digest"] != true {
		t.Errorf("email_digest not turned on: %v", got["email_digest"])
	}
	k.call("PATCH", "/account", "/account", ann, map[string]any{"display_name": strings.Repeat("n", 51), "email": "nope"}, 422)
	// A new address is pending (null when none) until it is confirmed.
	if got := k.call("PATCH", "/account", "/account", ann, map[string]any{"email": "ann@example.org", "current_password": testPassword}, 200); got["pending_email"] != "ann@example.org" || got["email_confirmed"] != false {
		t.Errorf("PATCH a new email: pending_email %v, email_confirmed %v", got["pending_email"], got["email_confirmed"])
	}
	k.call("POST", "/account/email/confirmation", "/account/email/confirmation", ann, nil, 204)
	k.call("POST", "/account/email/confirmation", "/account/email/confirmation", "", nil, 401)
	if _, err := o.Store.ConfirmPendingEmail(ctx, nil, "ann"); err != nil {
		t.Fatal(err)
	}
	k.call("POST", "/account/email/confirmation", "/account/email/confirmation", ann, nil, 422) // nothing pending
	if got := k.call("GET", "/account", "/account", ann, nil, 200); got["email"] != "ann@example.org" || got["pending_email"] != nil || got["email_confirmed"] != true {
		t.Errorf("confirmed: email %v, pending_email %v, email_confirmed %v", got["email"], got["pending_email"], got["email_confirmed"])
	}
	k.call("GET", "/account", "/account", "", nil, 401)
	k.o.Store.SetDataDir(t.TempDir())
	k.call("POST", "/account/avatar", "/account/avatar", ann, multipartFile{"avatar", "ann.png", imagemetatest.PNG()}, 200)
	k.call("POST", "/account/avatar", "/account/avatar", ann, multipartFile{"avatar", "ann.png", []byte("%PDF-1.7\n")}, 422)
	k.call("POST", "/account/avatar", "/account/avatar", ann, map[string]any{"avatar": "x"}, 422)
	k.call("DELETE", "/account/avatar", "/account/avatar", ann, nil, 200)
	k.call("DELETE", "/account/avatar", "/account/avatar", "", nil, 401)
	k.call("GET", "/notifications", "/notifications", ann, nil, 200)
	k.call("POST", "/accounts/{name}/role", "/accounts/cyd/role", boss, map[string]string{"role": "moderator"}, 204)
	k.call("POST", "/accounts/{name}/role", "/accounts/cyd/role", boss, map[string]string{"role": "king"}, 422)
	k.call("POST", "/accounts/{name}/role", "/accounts/boss/role", cyd, map[string]string{"role": "member"}, 403)
	k.call("POST", "/accounts/{name}/role", "/accounts/cyd/role", boss, map[string]string{"role": "member"}, 204)
	k.call("POST", "/accounts/{name}/decider", "/accounts/cyd/decider", boss, map[string]bool{"decider": true}, 204)
	k.call("POST", "/accounts/{name}/decider", "/accounts/cyd/decider", boss, map[string]any{}, 422)
	k.call("POST", "/accounts/{name}/decider", "/accounts/nobody/decider", boss, map[string]bool{"decider": false}, 404)
	k.call("POST", "/accounts/{name}/disable", "/accounts/cyd/disable", boss, map[string]string{"reason": "Tests."}, 204)
	k.call("POST", "/accounts/{name}/enable", "/accounts/cyd/enable", boss, nil, 204)

	// The administrators' settings, invitations and domain blocks.
	k.call("PATCH", "/instance", "/instance", boss, map[string]string{"registration": "invite"}, 200)
	k.call("PATCH", "/instance", "/instance", boss, map[string]string{"registration": "sometimes"}, 422)
	k.call("PATCH", "/instance", "/instance", ann, map[string]string{"registration": "open"}, 403)
	k.call("PATCH", "/instance", "/instance", boss, map[string]string{"registration": "open"}, 200)
	k.call("POST", "/invites", "/invites", boss, nil, 201)
	k.call("POST", "/invites", "/invites", ann, nil, 403)
	k.call("POST", "/domain-blocks", "/domain-blocks", boss, map[string]string{"domain": "spam.example", "reason": "Spam."}, 201)
	k.call("POST", "/domain-blocks", "/domain-blocks", boss, map[string]string{"domain": "spam.example"}, 422)
	k.call("GET", "/domain-blocks", "/domain-blocks", boss, nil, 200)
	k.call("GET", "/domain-blocks", "/domain-blocks", ann, nil, 403)
	k.call("DELETE", "/domain-blocks/{domain}", "/domain-blocks/spam.example", boss, nil, 204)
	k.call("DELETE", "/domain-blocks/{domain}", "/domain-blocks/spam.example", boss, nil, 404)

	// The page actions the API lacked: a consultation's documents and
	// banner, a contribution's place on the map, dead letters.
	boss = o.token("boss") // a new token: boss's first one has used its minute of writes
	docs := "/consultations/" + cid + "/documents"
	sheet := k.call("POST", "/consultations/{id}/documents", docs, boss, multipartBody{fields: map[string]string{"kind": "sheet",
		"title": "The square today", "body": "A *car park*.", "position": "2"}}, 201)
	k.call("POST", "/consultations/{id}/documents", docs, boss, multipartBody{fields: map[string]string{"kind": "file", "title": "The plan"},
		file: multipartFile{"file", "plan.pdf", []byte("%PDF-1.7\n%%EOF\n")}}, 201)
	k.call("POST", "/consultations/{id}/documents", docs, boss, multipartBody{fields: map[string]string{"kind": "file", "title": "No file"}}, 422)
	k.call("POST", "/consultations/{id}/documents", docs, boss, map[string]any{"kind": "sheet", "title": "JSON", "body": "No."}, 422)
	k.call("POST", "/consultations/{id}/documents", docs, ann, multipartBody{fields: map[string]string{"kind": "sheet", "title": "Mine", "body": "x"}}, 403)
	if l := k.call("GET", "/consultations/{id}/documents", docs, "", nil, 200); len(l["items"].([]any)) != 2 {
		t.Errorf("documents: %v", l)
	}
	k.call("GET", "/consultations/{id}/documents", "/consultations/99999/documents", "", nil, 404)
	k.call("DELETE", "/consultations/{id}/documents/{doc}", docs+"/"+id(sheet), ann, nil, 403)
	k.call("DELETE", "/consultations/{id}/documents/{doc}", docs+"/"+id(sheet), boss, nil, 204)
	k.call("DELETE", "/consultations/{id}/documents/{doc}", docs+"/"+id(sheet), boss, nil, 404)
	banner := "/consultations/" + cid + "/banner"
	png := multipartFile{"banner", "square.png", imagemetatest.PNG()}
	if c := k.call("POST", "/consultations/{id}/banner", banner, boss, multipartBody{fields: map[string]string{"banner_alt": "The square at dawn"}, file: png}, 200); c["banner"] == nil {
		t.Errorf("POST banner: no banner in %v", c)
	}
	k.call("POST", "/consultations/{id}/banner", banner, boss, multipartBody{file: png}, 422)
	k.call("POST", "/consultations/{id}/banner", banner, ann, multipartBody{fields: map[string]string{"banner_alt": "Mine"}, file: png}, 403)
	if c := k.call("DELETE", "/consultations/{id}/banner", banner, boss, nil, 200); c["banner"] != nil {
		t.Errorf("DELETE banner: banner still in %v", c)
	}
	k.call("POST", "/proposals/{id}/location", "/proposals/"+pid+"/location", ann, map[string]any{"lat": 48.85, "lon": 2.35}, 204)
	k.call("POST", "/proposals/{id}/location", "/proposals/"+pid+"/location", ann, map[string]any{"lat": 91, "lon": 2.35}, 422)
	k.call("POST", "/proposals/{id}/location", "/proposals/"+pid+"/location", bob, map[string]any{"lat": 48.85, "lon": 2.35}, 403)
	k.call("DELETE", "/proposals/{id}/location", "/proposals/"+pid+"/location", ann, nil, 204)
	k.call("POST", "/debates/{id}/location", "/debates/"+did+"/location", boss, map[string]any{"lat": 48.86, "lon": 2.34}, 204)
	k.call("DELETE", "/debates/{id}/location", "/debates/"+did+"/location", boss, nil, 204)
	k.call("POST", "/petitions/{id}/location", "/petitions/"+ptid+"/location", ann, map[string]any{"lat": 48.84, "lon": 2.36}, 204)
	k.call("POST", "/petitions/{id}/location", "/petitions/"+ptid+"/location", ann, map[string]any{"lat": 48.84}, 422)
	k.call("DELETE", "/petitions/{id}/location", "/petitions/"+ptid+"/location", bob, nil, 403)
	k.call("DELETE", "/petitions/{id}/location", "/petitions/"+ptid+"/location", ann, nil, 204)
	k.call("POST", "/petitions/{id}/location", "/petitions/99999/location", ann, map[string]any{"lat": 48.84, "lon": 2.36}, 404)
	if _, err := o.Store.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: "https://" + host + "/activities/dead", Body: []byte("{}"),
		SignerID: o.admin.Actor.ID, Inboxes: []string{"https://gone.example/inbox"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Store.DB.NewUpdate().Model((*models.Delivery)(nil)).Set("state = ?", models.DeliveryDead).
		Where("activity_id = ?", "https://"+host+"/activities/dead").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	dead := k.call("GET", "/deliveries/dead", "/deliveries/dead", boss, nil, 200)
	k.call("GET", "/deliveries/dead", "/deliveries/dead", ann, nil, 403)
	if items, _ := dead["items"].([]any); len(items) != 1 {
		t.Fatalf("dead letters: %v", dead)
	}
	deadID, _ := dead["items"].([]any)[0].(map[string]any)["id"].(string)
	k.call("POST", "/deliveries/{id}/retry", "/deliveries/"+deadID+"/retry", ann, nil, 403)
	k.call("POST", "/deliveries/{id}/retry", "/deliveries/"+deadID+"/retry", boss, nil, 204)
	k.call("POST", "/deliveries/{id}/retry", "/deliveries/"+deadID+"/retry", boss, nil, 404)
	k.call("GET", "/account/export", "/account/export", ann, nil, 200)
	k.call("GET", "/account/export", "/account/export", "", nil, 401)
	o.user("quitter", models.RoleMember)
	quitter := o.token("quitter")
	k.call("DELETE", "/account", "/account", quitter, map[string]string{"confirm": "ann", "current_password": testPassword}, 422)
	k.call("DELETE", "/account", "/account", quitter, map[string]string{"confirm": "quitter"}, 422)
	k.call("DELETE", "/account", "/account", quitter, map[string]string{"confirm": "quitter", "current_password": testPassword}, 204)
	k.call("GET", "/account", "/account", quitter, nil, 401)

	// Operations that need another instance: federation's tests cover them.
	needPeer := []string{"POST /spaces/{name}/relays", "POST /reports/{id}/forward"}
	for _, op := range apiOps(doc) {
		name := op.method + " " + op.template
		if !k.called[name] && !slices.Contains(needPeer, name) {
			t.Errorf("%s is never called with success here: its answer is not checked against the spec", name)
		}
	}
}
