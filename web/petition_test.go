package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestPetitionPages(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		civicEnv(t, e)
		alice, bob, maire := e.loggedIn("alice"), e.loggedIn("bob"), e.loggedIn("maire")

		form := e.get(alice, "/s/ville/petitions/new")
		if body := readBody(form); form.StatusCode != 200 || !strings.Contains(body, `<option value="maire"`) {
			t.Fatalf("new form: %d", form.StatusCode)
		}
		day := e.Now.AddDate(0, 0, 10).Format(time.DateOnly)
		bad := []struct {
			name string
			form url.Values
			want string
		}{
			{"not a decider", url.Values{"title": {"Un kiosque"}, "body": {"x"}, "addressee": {"bob"}, "goal": {"10"}}, "The addressee must be a verified decision-maker."},
			{"goal not a number", url.Values{"title": {"Un kiosque"}, "body": {"x"}, "addressee": {"maire"}, "goal": {"dix"}}, "The goal must be between 1 and 10000000 signatures."},
			{"past deadline", url.Values{"title": {"Un kiosque"}, "body": {"x"}, "addressee": {"maire"}, "goal": {"10"}, "closes_on": {"2001-01-01"}}, "The deadline must be in the future."},
			{"bad date", url.Values{"title": {"Un kiosque"}, "body": {"x"}, "addressee": {"maire"}, "goal": {"10"}, "closes_on": {"demain"}}, "The deadline must be a date"},
		}
		for _, tc := range bad {
			t.Run(tc.name, func(t *testing.T) {
				res := e.postForm(alice, "/s/ville/petitions/new", tc.form)
				if body := readBody(res); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.want) {
					t.Fatalf("status %d, body lacks %q", res.StatusCode, tc.want)
				}
			})
		}
		id := createdID(t, e.postForm(alice, "/s/ville/petitions/new", url.Values{
			"title": {"Sauvons le kiosque <b>du parc</b>"}, "body": {"Il doit **rester**.<script>alert(1)</script>"},
			"addressee": {"maire"}, "goal": {"2"}, "closes_on": {day}}))
		page := readBody(e.get(e.client(), "/pe/"+id))
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<b>du parc</b>") || !strings.Contains(page, "<strong>rester</strong>") ||
			!strings.Contains(page, `<progress id="progress-`+id+`" max="2" value="0">`) || !strings.Contains(page, "0 signatures of 2 (0%)") ||
			!strings.Contains(page, "23:59 UTC") {
			t.Fatalf("petition page: %s", page)
		}

		// Sign publicly, then once is enough.
		if res := e.postForm(bob, "/pe/"+id+"/sign", url.Values{"public": {"1"}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("sign: %d %s", res.StatusCode, readBody(res))
		}
		page = readBody(e.get(bob, "/pe/"+id))
		if !strings.Contains(page, "You signed this petition.") || !strings.Contains(page, "1 public signature, 0 anonymous") || !strings.Contains(page, "bob <span") {
			t.Fatalf("signed page: %s", page)
		}
		if res := e.postForm(bob, "/pe/"+id+"/sign", nil); res.StatusCode != http.StatusSeeOther ||
			!strings.Contains(res.Header.Get("Location"), "flash=petition.already_signed") {
			t.Fatalf("second signature: %d %s, want back to the page (TestFormsSentAgain)", res.StatusCode, res.Header.Get("Location"))
		}
		if body := readBody(e.get(alice, "/notifications")); !strings.Contains(body, "reached 50% of its goal") {
			t.Fatalf("milestone notification missing: %s", body)
		}

		// News from the author reach the signers.
		if res := e.postForm(bob, "/pe/"+id+"/updates", url.Values{"body": {"Pas l'auteur"}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("update by signer: %d", res.StatusCode)
		}
		if res := e.postForm(alice, "/pe/"+id+"/updates", url.Values{"body": {" "}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("empty update: %d", res.StatusCode)
		} else if body := readBody(res); !strings.Contains(body, `class="error-summary"`) || !strings.Contains(body, `href="#f-body"`) {
			t.Errorf("the refused update is not summed up at the top of the page, linked to its field")
		}
		if res := e.postForm(alice, "/pe/"+id+"/updates", url.Values{"body": {"Rendez-vous **samedi**."}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("update: %d", res.StatusCode)
		}
		if body := readBody(e.get(bob, "/notifications")); !strings.Contains(body, "News from the author of the petition") {
			t.Fatal("update notification missing")
		}

		// Only the addressee responds.
		if res := e.postForm(alice, "/pe/"+id+"/response", url.Values{"response": {"Oui"}}); res.StatusCode != http.StatusForbidden {
			t.Fatalf("response by author: %d", res.StatusCode)
		}
		if body := readBody(e.get(maire, "/pe/"+id)); !strings.Contains(body, `action="/pe/`+id+`/response"`) {
			t.Fatal("response form not offered to the addressee")
		}
		if res := e.postForm(maire, "/pe/"+id+"/response", url.Values{"response": {""}}); res.StatusCode != http.StatusUnprocessableEntity {
			t.Fatalf("empty response: %d", res.StatusCode)
		} else if body := readBody(res); !strings.Contains(body, `class="error-summary"`) || !strings.Contains(body, `href="#f-response"`) {
			t.Errorf("the refused response is not summed up at the top of the page, linked to its field")
		}
		if res := e.postForm(maire, "/pe/"+id+"/response", url.Values{"response": {"Le kiosque **restera**."}}); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("response: %d %s", res.StatusCode, readBody(res))
		}
		page = readBody(e.get(e.client(), "/pe/"+id))
		if !strings.Contains(page, "Official response") || !strings.Contains(page, "<strong>restera</strong>") || !strings.Contains(page, "Answered") {
			t.Fatal("response not shown")
		}
		if res := e.postForm(alice, "/pe/"+id+"/sign", nil); res.StatusCode != http.StatusConflict {
			t.Fatalf("sign answered: %d", res.StatusCode)
		}

		// Lists and the space page.
		if body := readBody(e.get(e.client(), "/s/ville/petitions?state=answered")); !strings.Contains(body, "Sauvons le kiosque") {
			t.Fatal("answered list")
		}
		if body := readBody(e.get(e.client(), "/s/ville/petitions?state=open")); strings.Contains(body, "Sauvons le kiosque") {
			t.Fatal("answered petition listed as open")
		}
		for _, path := range []string{"/pe/999999", "/s/nowhere/petitions"} {
			if res := e.get(e.client(), path); res.StatusCode != http.StatusNotFound {
				t.Fatalf("%s: %d", path, res.StatusCode)
			}
		}
	})
}

func TestPetitionAPI(t *testing.T) {
	eachDialect(t, func(t *testing.T, e *testEnv) {
		civicEnv(t, e)
		alice, bob, maire := e.token("alice"), e.token("bob"), e.token("maire")
		closes := e.Now.Add(48 * time.Hour)
		var created struct {
			ID, URI, URL, State string
			Goal, Signatures    int
			Addressee           struct{ Handle string }
		}
		res := e.api("POST", "/api/v1/spaces/ville/petitions", alice, map[string]any{
			"title": "Un kiosque", "body": "Texte", "goal": 3, "addressee": "maire", "closes_at": closes}, &created)
		if res.StatusCode != http.StatusCreated || created.URI != e.URL+"/pe/"+created.ID || created.State != "open" || created.Goal != 3 ||
			!strings.HasPrefix(created.Addressee.Handle, "maire@") {
			t.Fatalf("create: %d %+v", res.StatusCode, created)
		}
		p := "/api/v1/petitions/" + created.ID
		cases := []struct {
			name, method, path, token string
			body                      any
			status                    int
			contains                  string
		}{
			{"not a decider", "POST", "/api/v1/spaces/ville/petitions", alice, map[string]any{"title": "abcd", "body": "x", "goal": 3, "addressee": "bob"}, 422, `"addressee"`},
			{"goal zero", "POST", "/api/v1/spaces/ville/petitions", alice, map[string]any{"title": "abcd", "body": "x", "goal": 0, "addressee": "maire"}, 422, `"goal"`},
			{"goal too big", "POST", "/api/v1/spaces/ville/petitions", alice, map[string]any{"title": "abcd", "body": "x", "goal": 10_000_001, "addressee": "maire"}, 422, `"goal"`},
			{"deadline past", "POST", "/api/v1/spaces/ville/petitions", alice, map[string]any{"title": "abcd", "body": "x", "goal": 3, "addressee": "maire", "closes_at": "2001-01-01T00:00:00Z"}, 422, `"closes_at"`},
			{"no token", "POST", p + "/signatures", "", map[string]any{"public": true}, 401, "authentication"},
			{"wrong token", "POST", p + "/signatures", "bad", map[string]any{"public": true}, 401, "invalid"},
			{"sign", "POST", p + "/signatures", bob, map[string]any{"public": true}, 201, `{"signatures":1,"goal":3}`},
			{"sign twice", "POST", p + "/signatures", bob, map[string]any{"public": false}, 409, "already exists"},
			{"sign without body", "POST", p + "/signatures", alice, nil, 201, `{"signatures":2,"goal":3}`},
			{"sign unknown", "POST", "/api/v1/petitions/999999/signatures", bob, nil, 404, "not found"},
			{"get", "GET", p, bob, nil, 200, `"signed":true`},
			{"milestones", "GET", p, "", nil, 200, `"percent":50`},
			{"update by signer", "POST", p + "/updates", bob, map[string]any{"body": "x"}, 403, "not allowed"},
			{"update", "POST", p + "/updates", alice, map[string]any{"body": "Des **nouvelles**"}, 201, "nouvelles"},
			{"response by author", "POST", p + "/response", alice, map[string]any{"body": "Oui"}, 403, "addressee"},
			{"response empty", "POST", p + "/response", maire, map[string]any{"body": ""}, 422, `"response"`},
			{"list open", "GET", "/api/v1/spaces/ville/petitions?state=open", "", nil, 200, `"title":"Un kiosque"`},
			{"list bad state", "GET", "/api/v1/spaces/ville/petitions?state=lost", "", nil, 422, "state"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				res := e.api(tc.method, tc.path, tc.token, tc.body, nil)
				if body := readBody(res); res.StatusCode != tc.status || !strings.Contains(body, tc.contains) {
					t.Fatalf("%s %s: %d %s", tc.method, tc.path, res.StatusCode, body)
				}
			})
		}
		// Past the deadline, signing is closed.
		e.Now = e.Now.Add(49 * time.Hour)
		if res := e.api("POST", p+"/signatures", maire, nil, nil); res.StatusCode != http.StatusConflict {
			t.Fatalf("sign after deadline: %d", res.StatusCode)
		}
		var got struct{ State string }
		e.api("GET", p, "", nil, &got)
		if got.State != "closed" {
			t.Fatalf("state after deadline = %s", got.State)
		}
		// The addressee may still respond after the deadline.
		if res := e.api("POST", p+"/response", maire, map[string]any{"body": "Réponse"}, &got); res.StatusCode != 200 || got.State != "answered" {
			t.Fatalf("response: %d %s", res.StatusCode, got.State)
		}
		if res := e.api("POST", p+"/response", maire, map[string]any{"body": "Encore"}, nil); res.StatusCode != http.StatusConflict {
			t.Fatalf("second response: %d", res.StatusCode)
		}
		// Notifications through the API.
		var notes struct {
			Items []struct{ Kind, Text string }
		}
		e.api("GET", "/api/v1/notifications", bob, nil, &notes)
		if len(notes.Items) == 0 || notes.Items[0].Kind != "petition.answered" {
			t.Fatalf("notifications = %+v", notes)
		}
		if res := e.api("POST", "/api/v1/notifications/read", bob, nil, nil); res.StatusCode != http.StatusNoContent {
			t.Fatalf("read: %d", res.StatusCode)
		}
	})
}
