package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var updateIDRE = regexp.MustCompile(`id="update-(\d+)"`)

// petitionWithNews is readdressEnv's petition (alice's, to maire, signed
// by bob) with an update of alice and maire's response, posted through
// the forms; it returns the petition's id and the update's.
func petitionWithNews(t *testing.T, e *testEnv) (string, string) {
	t.Helper()
	id := readdressEnv(t, e, false)
	if res := e.postForm(e.loggedIn("alice"), "/pe/"+id+"/updates", url.Values{"body": {"Nous avons vu la mare."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("update: %d", res.StatusCode)
	}
	if res := e.postForm(e.loggedIn("maire"), "/pe/"+id+"/response", url.Values{"response": {"Le banc sera posé."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("response: %d", res.StatusCode)
	}
	m := updateIDRE.FindStringSubmatch(readBody(e.get(e.client(), "/pe/"+id)))
	if m == nil {
		t.Fatal("no update on the page")
	}
	return id, m[1]
}

// TestPetitionEditForms: the author of an update (and a moderator) edits
// it, the addressee edits the response, through a form each; the page
// says "edited on" and offers the edit links to them only; others are
// refused the forms.
func TestPetitionEditForms(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		id, uid := petitionWithNews(t, e)
		alice, bob, maire, sacha := e.loggedIn("alice"), e.loggedIn("bob"), e.loggedIn("maire"), e.loggedIn("sacha")
		editUpdate, editResponse := "/pe/"+id+"/updates/"+uid+"/edit", "/pe/"+id+"/response/edit"

		for _, c := range []struct {
			who  string
			cl   *http.Client
			path string
			want int
		}{
			{"signer, update", bob, editUpdate, http.StatusForbidden},
			{"addressee, update", maire, editUpdate, http.StatusForbidden},
			{"author, update", alice, editUpdate, http.StatusOK},
			{"moderator, update", sacha, editUpdate, http.StatusOK},
			{"author, response", alice, editResponse, http.StatusForbidden},
			{"moderator, response", sacha, editResponse, http.StatusForbidden},
			{"addressee, response", maire, editResponse, http.StatusOK},
			{"unknown update", alice, "/pe/" + id + "/updates/999999/edit", http.StatusNotFound},
		} {
			res := e.get(c.cl, c.path)
			if body := readBody(res); res.StatusCode != c.want {
				t.Errorf("%s: GET %d, want %d", c.who, res.StatusCode, c.want)
			} else if c.want == http.StatusOK && !strings.Contains(body, `action="`+c.path+`"`) {
				t.Errorf("%s: the form does not post to %s", c.who, c.path)
			}
		}
		if body := readBody(e.get(alice, editUpdate)); !strings.Contains(body, "Nous avons vu la mare.") {
			t.Error("the update's edit form does not hold its text")
		}
		if res := e.postForm(bob, editUpdate, url.Values{"body": {"Volé"}}); res.StatusCode != http.StatusForbidden {
			t.Errorf("edit by a signer: %d", res.StatusCode)
		}
		if res := e.postForm(alice, editUpdate, url.Values{"body": {" "}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("empty update: %d", res.StatusCode)
		}
		if res := e.postForm(alice, editUpdate, url.Values{"body": {"Nous avons vu **le maire**."}}); res.StatusCode != http.StatusSeeOther ||
			!strings.Contains(res.Header.Get("Location"), "flash=petition.update_edited") {
			t.Fatalf("edit of the update: %d %s", res.StatusCode, res.Header.Get("Location"))
		}
		if res := e.postForm(maire, editResponse, url.Values{"response": {"Le banc sera posé **en mai**."}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("edit of the response: %d", res.StatusCode)
		}
		page := readBody(e.get(bob, "/pe/"+id))
		if !strings.Contains(page, "<strong>le maire</strong>") || !strings.Contains(page, "<strong>en mai</strong>") ||
			strings.Count(page, "edited on") != 2 {
			t.Errorf("the page does not show both edits, each edited on a date: %s", page)
		}
		if strings.Contains(page, editUpdate) || strings.Contains(page, editResponse) {
			t.Error("a signer is offered an edit link")
		}
		if page := readBody(e.get(alice, "/pe/"+id)); !strings.Contains(page, `href="`+editUpdate+`"`) || strings.Contains(page, editResponse) {
			t.Error("the author is not offered the update's edit link only")
		}
		if page := readBody(e.get(maire, "/pe/"+id)); !strings.Contains(page, `href="`+editResponse+`"`) {
			t.Error("the addressee is not offered the response's edit link")
		}
		if body := readBody(e.get(bob, "/notifications")); !strings.Contains(body, "was edited") {
			t.Error("the signer was not told of the edited response")
		}
	})
}

// TestPetitionEditAPI: PATCH of an update and of the response, with the
// same rules as the forms, answering the edited object with its date of
// edit.
func TestPetitionEditAPI(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		id, uid := petitionWithNews(t, e)
		alice, bob, maire := e.token("alice"), e.token("bob"), e.token("maire")
		upd, resp := "/api/v1/petitions/"+id+"/updates/"+uid, "/api/v1/petitions/"+id+"/response"
		cases := []struct {
			name, path, token, body string
			status                  int
			contains                string
		}{
			{"no token", upd, "", "x", 401, "authentication"},
			{"signer, update", upd, bob, "x", 403, "author or a moderator"},
			{"author, empty", upd, alice, " ", 422, `"body"`},
			{"author, update", upd, alice, "Vu le maire.", 200, `"edited_at":"`},
			{"unknown update", "/api/v1/petitions/" + id + "/updates/999999", alice, "x", 404, "not found"},
			{"author, response", resp, alice, "x", 403, "addressee"},
			{"addressee, response", resp, maire, "Posé en mai.", 200, `"response_edited_at":"`},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := e.api("PATCH", tc.path, tc.token, map[string]any{"body": tc.body}, nil)
				if body := readBody(res); res.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
					t.Fatalf("%d %s", res.StatusCode, body)
				}
			})
		}
		res := e.api("GET", "/api/v1/petitions/"+id, "", nil, nil)
		if body := readBody(res); !strings.Contains(body, "Vu le maire.") || !strings.Contains(body, "Posé en mai.") || !strings.Contains(body, `"edited_at":"`) {
			t.Errorf("GET after the edits: %s", body)
		}
	})
}
