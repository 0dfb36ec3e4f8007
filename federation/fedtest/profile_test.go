package fedtest_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestProfileUpdateReachesFollowers: bob on B follows alice on A; alice
// changes her display name, bio and (private) e-mail on A. A's actor
// document says the new profile, and its Update{Person} brings it to B's
// copy of alice; the e-mail is in neither.
func TestProfileUpdateReachesFollowers(t *testing.T) {
	ins := fedtest.Start(t, 2)
	a, b := ins[0], ins[1]
	ctx := context.Background()
	alice, _ := a.User("alice", false)
	bob, bobTok := b.User("bob", false)

	var f struct{ URI, State string }
	if st := b.API("POST", "/api/v1/follows", bobTok, map[string]string{"handle": a.Handle("alice")}, &f); st != http.StatusCreated {
		t.Fatalf("follow: status %d", st)
	}
	aliceAtB := remoteActor(t, b, alice.Actor.URI)
	fedtest.Eventually(t, wait, "B to receive Accept", func() bool {
		ok, _ := b.Store.IsFollowing(ctx, bob.Actor.ID, aliceAtB.ID)
		return ok
	})

	name, bio, email := "Alice Liddell", "Curious about *everything*.", "alice.private@mail.example"
	if _, err := a.Store.EditAccount(ctx, alice, models.AccountEdit{DisplayName: &name, Bio: &bio, Email: &email,
		CurrentPassword: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	const summary = "<p>Curious about <em>everything</em>.</p>"

	// The actor document at alice's id.
	req, _ := http.NewRequest("GET", alice.Actor.URI, nil)
	req.Header.Set("Accept", "application/activity+json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var raw json.RawMessage
	if err := json.NewDecoder(res.Body).Decode(&raw); err != nil {
		t.Fatal(err)
	}
	var person struct{ Type, Name, Summary string }
	if err := json.Unmarshal(raw, &person); err != nil {
		t.Fatal(err)
	}
	if person.Type != "Person" || person.Name != name || person.Summary != summary {
		t.Errorf("actor document = %+v, want the new name and summary %q", person, summary)
	}
	if strings.Contains(string(raw), "alice.private") {
		t.Errorf("the actor document shows the e-mail: %s", raw)
	}

	// The Update{Person} at B.
	fedtest.Eventually(t, wait, "B to see alice's new profile", func() bool {
		got := remoteActor(t, b, alice.Actor.URI)
		return got.Name == name && got.Summary == summary
	})
	var rows []map[string]any
	if err := b.Store.DB.NewSelect().TableExpr("actors").ColumnExpr("*").Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		for col, v := range r {
			if s, ok := v.(string); ok && strings.Contains(s, "alice.private") {
				t.Errorf("B's actors.%s holds alice's e-mail", col)
			}
		}
	}
}
