package web_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestPetitionCloseForm: the author and moderators are offered to close
// an open petition; the button leads to a confirmation page whose form
// closes it; the page then says it was closed early and by whom, offers
// the button no more, and the petition takes no more signatures. Others
// are neither offered nor allowed it.
func TestPetitionCloseForm(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		id := readdressEnv(t, e, false)
		sacha, alice, bob, maire := e.loggedIn("sacha"), e.loggedIn("alice"), e.loggedIn("bob"), e.loggedIn("maire")
		link := `href="/pe/` + id + `/close"`
		for _, tc := range []struct {
			name    string
			c       *http.Client
			offered bool
		}{{"author", alice, true}, {"moderator", sacha, true}, {"signer", bob, false}, {"addressee", maire, false}, {"anonymous", e.client(), false}} {
			if offered := strings.Contains(readBody(e.get(tc.c, "/pe/"+id)), link); offered != tc.offered {
				t.Errorf("%s: close offered %t, want %t", tc.name, offered, tc.offered)
			}
		}
		if res := e.get(bob, "/pe/"+id+"/close"); res.StatusCode != http.StatusForbidden {
			t.Errorf("a signer's confirmation page: %d, want 403", res.StatusCode)
		}
		res := e.get(alice, "/pe/"+id+"/close")
		if body := readBody(res); res.StatusCode != http.StatusOK || !strings.Contains(body, `action="/pe/`+id+`/close"`) ||
			!strings.Contains(body, "Close this petition before its deadline?") || !strings.Contains(body, "Un banc") {
			t.Fatalf("confirmation page: %d %s", res.StatusCode, body)
		}
		for _, tc := range []struct {
			name   string
			c      *http.Client
			status int
			want   string
		}{
			{"signer", bob, http.StatusForbidden, ""},
			{"anonymous", e.client(), http.StatusSeeOther, "/login"},
			{"author", alice, http.StatusSeeOther, "flash=petition.closed_flash"},
			{"again", sacha, http.StatusConflict, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := e.postForm(tc.c, "/pe/"+id+"/close", nil)
				if got := readBody(res) + res.Header.Get("Location"); res.StatusCode != tc.status || !strings.Contains(got, tc.want) {
					t.Fatalf("status %d, want %d with %q: %s", res.StatusCode, tc.status, tc.want, got)
				}
			})
		}
		page := readBody(e.get(e.client(), "/pe/"+id))
		if !strings.Contains(page, "closed early by its author on <time") || !strings.Contains(page, "closed before its deadline; signatures are closed") {
			t.Errorf("closed page lacks its state: %s", page)
		}
		if strings.Contains(readBody(e.get(alice, "/pe/"+id)), link) {
			t.Error("the close is still offered once closed")
		}
		if res := e.get(alice, "/pe/"+id+"/close"); res.StatusCode != http.StatusConflict {
			t.Errorf("confirmation page of a closed petition: %d, want 409", res.StatusCode)
		}
		if res := e.postForm(maire, "/pe/"+id+"/sign", nil); res.StatusCode != http.StatusConflict {
			t.Errorf("signing the closed petition: %d, want 409", res.StatusCode)
		}
		if body := readBody(e.get(bob, "/notifications")); !strings.Contains(body, "The petition “Un banc” was closed before its deadline.") {
			t.Errorf("the signer is not told: %s", body)
		}
		req, _ := http.NewRequest("GET", e.URL+"/pe/"+id, nil)
		req.Header.Set("Accept-Language", "fr")
		if fr := readBody(e.do(e.client(), req)); !strings.Contains(fr, "close avant l’échéance par son auteur·rice le <time") {
			t.Errorf("French page lacks the line: %s", fr)
		}
	})
}

// TestPetitionCloseAPI: POST /api/v1/petitions/{id}/close, for its
// author or a moderator, answers the petition closed, with closed_by.
func TestPetitionCloseAPI(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		id := readdressEnv(t, e, false)
		p := "/api/v1/petitions/" + id
		for _, tc := range []struct {
			name, token, path string
			status            int
			contains          string
		}{
			{"no token", "", p, 401, "authentication"},
			{"signer", e.token("bob"), p, 403, "author or a moderator"},
			{"unknown petition", e.token("sacha"), "/api/v1/petitions/999999", 404, "not found"},
			{"moderator", e.token("sacha"), p, 200, `"closed_by":"moderator"`},
			{"again", e.token("alice"), p, 409, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				res := e.api("POST", tc.path+"/close", tc.token, nil, nil)
				if body := readBody(res); res.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
					t.Fatalf("%d %s", res.StatusCode, body)
				}
			})
		}
		var got struct {
			State      string
			ClosedBy   string `json:"closed_by"`
			Signatures int
		}
		if res := e.api("GET", p, "", nil, &got); res.StatusCode != 200 || got.State != "closed" || got.ClosedBy != "moderator" || got.Signatures != 1 {
			t.Fatalf("GET %s: %d %+v", p, res.StatusCode, got)
		}
	})
}
