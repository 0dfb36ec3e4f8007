package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// readdressEnv is civicEnv with a second decision-maker, adjointe, and a
// petition of alice to maire signed by bob, whose addressee then leaves
// office when leave is true; it returns the petition's id.
func readdressEnv(t *testing.T, e *testEnv, leave bool) string {
	t.Helper()
	ctx := context.Background()
	civicEnv(t, e)
	e.user("adjointe", models.RoleMember)
	if err := e.Store.SetDecider(ctx, nil, "adjointe", true); err != nil {
		t.Fatal(err)
	}
	id := createdID(t, e.postForm(e.loggedIn("alice"), "/s/ville/petitions/new", url.Values{
		"title": {"Un banc"}, "body": {"Devant l'école."}, "addressee": {"maire"}, "goal": {"10"}}))
	if res := e.postForm(e.loggedIn("bob"), "/pe/"+id+"/sign", nil); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign: %d", res.StatusCode)
	}
	if leave {
		if err := e.Store.SetDecider(ctx, nil, "maire", false); err != nil {
			t.Fatal(err)
		}
	}
	return id
}

// TestPetitionReaddressForm: a moderator is offered, on the page of a
// petition whose addressee left office, a choice of a new addressee;
// sending it re-addresses the petition, which then says so; no one else
// is offered it, nor is it offered while the addressee can answer.
func TestPetitionReaddressForm(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		id := readdressEnv(t, e, false)
		sacha, alice, bob := e.loggedIn("sacha"), e.loggedIn("alice"), e.loggedIn("bob")
		action := `action="/pe/` + id + `/addressee"`
		if body := readBody(e.get(sacha, "/pe/"+id)); strings.Contains(body, action) {
			t.Fatal("the form is offered while the addressee can answer")
		}
		if res := e.postForm(sacha, "/pe/"+id+"/addressee", url.Values{"addressee": {"adjointe"}}); res.StatusCode != http.StatusConflict {
			t.Fatalf("re-addressing while the addressee can answer: %d", res.StatusCode)
		}
		respond := `action="/pe/` + id + `/response"`
		if body := readBody(e.get(e.loggedIn("maire"), "/pe/"+id)); !strings.Contains(body, respond) {
			t.Fatal("the addressee is not offered the response form")
		}
		if err := e.Store.SetDecider(context.Background(), nil, "maire", false); err != nil { // the election
			t.Fatal(err)
		}
		if body := readBody(e.get(e.loggedIn("maire"), "/pe/"+id)); strings.Contains(body, respond) {
			t.Error("the former decision-maker is still offered the response form")
		}
		for _, tc := range []struct {
			name    string
			c       *http.Client
			offered bool
		}{{"moderator", sacha, true}, {"author", alice, false}, {"signer", bob, false}, {"anonymous", e.client(), false}} {
			body := readBody(e.get(tc.c, "/pe/"+id))
			offered := strings.Contains(body, action) && strings.Contains(body, `<option value="adjointe"`) &&
				strings.Contains(body, "can no longer answer it")
			if offered != tc.offered {
				t.Errorf("%s: form offered %t, want %t", tc.name, offered, tc.offered)
			}
		}
		cases := []struct {
			name      string
			c         *http.Client
			addressee string
			status    int
			want      string
		}{
			{"author", alice, "adjointe", http.StatusForbidden, ""},
			{"anonymous", e.client(), "adjointe", http.StatusSeeOther, "/login"},
			{"not a decision-maker", sacha, "bob", http.StatusUnprocessableEntity, "The addressee must be a verified decision-maker."},
			{"the same", sacha, "maire", http.StatusUnprocessableEntity, "The new addressee must differ from the current one."},
			{"none chosen", sacha, "", http.StatusUnprocessableEntity, `aria-invalid="true"`},
			{"moderator", sacha, "adjointe", http.StatusSeeOther, "flash=petition.readdressed"},
			{"again", sacha, "adjointe", http.StatusConflict, ""},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := e.postForm(tc.c, "/pe/"+id+"/addressee", url.Values{"addressee": {tc.addressee}})
				got := readBody(res) + res.Header.Get("Location")
				if res.StatusCode != tc.status || !strings.Contains(got, tc.want) {
					t.Fatalf("status %d, want %d with %q: %s", res.StatusCode, tc.status, tc.want, got)
				}
			})
		}
		day := e.Now.Format("2006-01-02")
		page := readBody(e.get(e.client(), "/pe/"+id))
		if !strings.Contains(page, "Addressee changed on <time") || !strings.Contains(page, ">"+day+"</time>") ||
			!strings.Contains(page, "to adjointe") || strings.Contains(page, action) {
			t.Errorf("re-addressed page lacks its line or new addressee: %s", page)
		}
		req, _ := http.NewRequest("GET", e.URL+"/pe/"+id, nil)
		req.Header.Set("Accept-Language", "fr")
		if fr := readBody(e.do(e.client(), req)); !strings.Contains(fr, "Destinataire changé le <time") || !strings.Contains(fr, e.Now.Format("02/01/2006")) {
			t.Errorf("French page lacks the line: %s", fr)
		}
		if body := readBody(e.get(bob, "/notifications")); !strings.Contains(body, "The petition “Un banc” has a new addressee.") {
			t.Errorf("the signer is not told: %s", body)
		}
		if body := readBody(e.get(e.loggedIn("adjointe"), "/pe/"+id)); !strings.Contains(body, `action="/pe/`+id+`/response"`) {
			t.Error("the new addressee is not offered the response form")
		}
	})
}

// TestPetitionReaddressAPI: POST /api/v1/petitions/{id}/addressee, for
// moderators, answers the petition with its new addressee and
// readdressed_at.
func TestPetitionReaddressAPI(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		id := readdressEnv(t, e, true)
		sacha, alice := e.token("sacha"), e.token("alice")
		p := "/api/v1/petitions/" + id
		cases := []struct {
			name, token, addressee string
			status                 int
			contains               string
		}{
			{"no token", "", "adjointe", 401, "authentication"},
			{"member", alice, "adjointe", 403, "moderators"},
			{"not a decision-maker", sacha, "bob", 422, `"addressee"`},
			{"the same", sacha, "maire", 422, "differ"},
			{"unknown petition", sacha, "adjointe", 404, "not found"},
			{"moderator", sacha, "adjointe", 200, `"readdressed_at":"`},
			{"again", sacha, "adjointe", 409, "can still answer"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				path := p + "/addressee"
				if tc.name == "unknown petition" {
					path = "/api/v1/petitions/999999/addressee"
				}
				res := e.api("POST", path, tc.token, map[string]any{"addressee": tc.addressee}, nil)
				if body := readBody(res); res.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
					t.Fatalf("%d %s", res.StatusCode, body)
				}
			})
		}
		var got struct {
			Addressee     struct{ Handle string }
			ReaddressedAt string `json:"readdressed_at"`
		}
		if res := e.api("GET", p, "", nil, &got); res.StatusCode != 200 || !strings.HasPrefix(got.Addressee.Handle, "adjointe@") || got.ReaddressedAt == "" {
			t.Fatalf("GET %s: %d %+v", p, res.StatusCode, got)
		}
	})
}
