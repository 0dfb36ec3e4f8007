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

// TestRelayAndRemoteBadge: a remote debate's page shows whose count it
// is and, to moderators, the relay button; the relay form and API relay
// it into a space (moderators only).
func TestRelayAndRemoteBadge(t *testing.T) {
	e := newDebateEnv(t)
	d := e.remoteDebate(t)
	path := "/d/" + strconv.FormatInt(d.ID, 10)
	body := func(res *http.Response) string {
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return string(b)
	}
	mod := e.loggedIn("modo")
	page := body(e.get(mod, path))
	for _, want := range []string{"other.example", "/relays/new"} {
		if !strings.Contains(page, want) {
			t.Errorf("moderator's page of a remote debate lacks %q", want)
		}
	}
	if strings.Contains(body(e.get(e.loggedIn("ann"), path)), "/relays/new") {
		t.Error("a member is offered the relay button")
	}
	if res := e.get(mod, "/relays/new?uri="+url.QueryEscape(d.URI)); res.StatusCode != http.StatusOK {
		t.Errorf("relay form: %d", res.StatusCode)
	}
	if res := e.get(e.loggedIn("ann"), "/relays/new"); res.StatusCode != http.StatusForbidden {
		t.Errorf("relay form for a member: %d", res.StatusCode)
	}
	res := e.postForm(mod, "/relays", url.Values{"uri": {d.URI}, "space": {"town"}})
	if res.StatusCode != http.StatusSeeOther && res.StatusCode != http.StatusOK {
		t.Fatalf("relay: %d", res.StatusCode)
	}
	var list struct {
		Items []struct{ Kind, ID, URI, Space string }
	}
	if res := e.api("GET", "/api/v1/spaces/town/relays", "", nil, &list); res.StatusCode != http.StatusOK || len(list.Items) != 1 || list.Items[0].URI != d.URI {
		t.Errorf("relays: %d %+v", res.StatusCode, list)
	}
	if res := e.api("POST", "/api/v1/spaces/town/relays", e.modTok, map[string]string{"uri": d.URI}, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("relay twice: %d", res.StatusCode)
	}
	if res := e.api("POST", "/api/v1/spaces/town/relays", e.annTok, map[string]string{"uri": d.URI}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("relay by a member: %d", res.StatusCode)
	}
}

// remoteDebate stores the copy of a debate of other.example (3 voters).
func (e *debateEnv) remoteDebate(t *testing.T) *models.Debate {
	t.Helper()
	ctx := context.Background()
	origin, err := e.Store.UpsertRemoteActor(ctx, &models.Actor{URI: "https://other.example/actors/modo", Type: models.ActorPerson,
		Username: "modo", Host: "other.example", Inbox: "https://other.example/actors/modo/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	d, err := e.Store.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/3", Question: "Shared?",
		Options: []string{"Yes", "No"}, Counts: []int{2, 1}, Voters: 3})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRemotePetitionSignFormIsAnonymous: another instance's petition
// counts the signatures it receives anonymously, so its sign form here
// offers no "show my name" box (it was silently ignored) and says so.
func TestRemotePetitionSignFormIsAnonymous(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	author, err := e.Store.UpsertRemoteActor(ctx, &models.Actor{URI: "https://other.example/actors/ada", Type: models.ActorPerson,
		Username: "ada", Host: "other.example", Inbox: "https://other.example/actors/ada/inbox"})
	if err != nil {
		t.Fatal(err)
	}
	pe, err := e.Store.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://other.example/pe/3", AuthorID: author.ID,
		Title: "A bus stop", ContentHTML: "<p>Here.</p>", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	res := e.get(e.loggedIn("ann"), "/pe/"+strconv.FormatInt(pe.ID, 10))
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	page := string(b)
	if !strings.Contains(page, "/sign") || strings.Contains(page, `name="public"`) ||
		!strings.Contains(page, "Your signature goes to other.example, which counts it anonymously") {
		t.Errorf("remote petition's sign form (status %d):\n%s", res.StatusCode, page)
	}
}
