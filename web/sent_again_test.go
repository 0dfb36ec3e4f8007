package web_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestFormsSentAgain: a support, signature, withdrawal or report sent a
// second time (a double click, a form sent again from the history) takes
// the member back to the page with a message saying it is already so,
// not to a 409 or 404 error page; the API still answers 409 and 404.
func TestFormsSentAgain(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	p, err := e.Store.CreateProposal(ctx, e.bob.Actor, "town", models.ProposalInput{Title: "Plant trees", Body: "Shade!"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetDecider(ctx, nil, "modo", true); err != nil {
		t.Fatal(err)
	}
	pe, err := e.Store.CreatePetition(ctx, e.bob.Actor, "town", models.PetitionInput{Title: "A bus stop", Body: "Here.", Goal: 10, Addressee: "modo"})
	if err != nil {
		t.Fatal(err)
	}
	d := e.openDebate(t, map[string]any{"question": "Which colour?", "options": []string{"Red", "Green"}})
	pp, pep := "/p/"+strconv.FormatInt(p.ID, 10), "/pe/"+strconv.FormatInt(pe.ID, 10)
	ann := e.loggedIn("ann")
	if res := e.postForm(ann, "/d/"+d+"/vote", url.Values{"option": {"Red"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("vote: %d", res.StatusCode)
	}
	for _, tc := range []struct {
		path  string
		form  url.Values
		back  string
		first string // flash of the first time
		again string // flash of the second
	}{
		{pp + "/support", nil, pp, "proposal.supported", "proposal.already_supported"},
		{pp + "/unsupport", nil, pp, "proposal.unsupported", "proposal.not_supported"},
		{pep + "/sign", url.Values{"public": {"1"}}, pep, "petition.signed", "petition.already_signed"},
		{"/d/" + d + "/withdraw", nil, "/d/" + d + "#vote", "debate.withdrawn", "debate.no_vote"},
		{"/report", url.Values{"type": {"proposal"}, "id": {strconv.FormatInt(p.ID, 10)}, "reason": {"Spam, I think."}}, pp, "moderation.reported", "moderation.already_reported"},
	} {
		for i, flash := range []string{tc.first, tc.again} {
			res := e.postForm(ann, tc.path, tc.form)
			loc := res.Header.Get("Location")
			if res.StatusCode != http.StatusSeeOther || !strings.Contains(loc, "flash="+flash) || !strings.HasPrefix(loc, strings.Split(tc.back, "#")[0]) {
				t.Errorf("%s, time %d: %d to %q, want 303 to %s with %s", tc.path, i+1, res.StatusCode, loc, tc.back, flash)
			}
		}
	}
	// The message is the request's: after ann's repeated support (and
	// withdrawal), bob's first support still says it was counted.
	if res := e.postForm(e.loggedIn("bob"), pp+"/support", nil); !strings.Contains(res.Header.Get("Location"), "flash=proposal.supported") {
		t.Errorf("bob's first support, after ann's repeated ones: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	id := strconv.FormatInt(p.ID, 10)
	if res := e.api("POST", "/api/v1/proposals/"+id+"/support", e.annTok, nil, nil); res.StatusCode != http.StatusOK && res.StatusCode != http.StatusCreated {
		t.Fatalf("API support: %d", res.StatusCode)
	}
	if res := e.api("POST", "/api/v1/proposals/"+id+"/support", e.annTok, nil, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("API support again: %d, want 409", res.StatusCode)
	}
	if res := e.api("DELETE", "/api/v1/debates/"+d+"/votes", e.annTok, nil, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("API withdrawal of no vote: %d, want 404", res.StatusCode)
	}
}

// TestOversizedForm: a form beyond the 1 MB a form may take is refused
// with a 413 that says so, in the reader's language, not "unreadable".
func TestOversizedForm(t *testing.T) {
	e := newDebateEnv(t)
	big := url.Values{"title": {"Trees"}, "body": {strings.Repeat("x", 1200<<10)}}
	for _, tc := range []struct{ lang, want string }{{"en", "Form too large"}, {"fr", "Formulaire trop volumineux"}} {
		req, _ := http.NewRequest(http.MethodPost, e.URL+"/s/town/proposals/new", strings.NewReader(big.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", e.URL)
		req.Header.Set("Accept-Language", tc.lang)
		res := e.do(e.loggedIn("ann"), req)
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(string(b), tc.want) {
			t.Errorf("%s: %d, want 413 saying %q", tc.lang, res.StatusCode, tc.want)
		}
	}
}
