package federation

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestOnlyPublicRepliesAreComments: a Mastodon reply to a local proposal
// becomes a comment when it is public or unlisted; a direct or
// followers-only one was written for its addressees and is not published.
func TestOnlyPublicRepliesAreComments(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	a.run(t)
	masto := newFakeMastodon(t)
	a.space(t, "lyon")
	ann := a.user(t, "ann")
	prop, err := a.st.CreateProposal(ctx, ann.Actor, "lyon", models.ProposalInput{Title: "Cycle lanes on the quays", Body: "Paint them."})
	if err != nil {
		t.Fatal(err)
	}
	alice := masto.base + "/users/alice"
	cases := []struct {
		name   string
		to, cc []string
		public bool
	}{
		{"direct", []string{ann.Actor.URI}, nil, false},
		{"followers only", []string{alice + "/followers"}, []string{ann.Actor.URI}, false},
		{"unlisted", []string{alice + "/followers"}, []string{"https://www.w3.org/ns/activitystreams#Public"}, true},
		{"public", []string{"as:Public"}, []string{alice + "/followers"}, true},
	}
	var want []string
	for i, c := range cases {
		note := alice + "/statuses/" + strconv.Itoa(i+1)
		body, _ := json.Marshal(map[string]any{
			"@context": ActivityStreamsContext, "id": note + "/activity", "type": "Create", "actor": alice, "to": c.to, "cc": c.cc,
			"object": map[string]any{"id": note, "type": "Note", "attributedTo": alice, "inReplyTo": prop.URI,
				"to": c.to, "cc": c.cc, "published": "2026-01-01T00:00:00Z", "content": "<p>@ann " + c.name + "</p>"},
		})
		if code := masto.send(t, a.srv.URL+"/inbox", "/users/alice", masto.key, body); code != 202 {
			t.Fatalf("%s: inbox %d", c.name, code)
		}
		if c.public {
			want = append(want, note)
		}
	}
	var got []string
	waitFor(t, "the public replies", func() bool {
		_, page := getAS(t, a, "/p/"+strconv.FormatInt(prop.ID, 10)+"/replies?page=1")
		items, _ := page["items"].([]any)
		got = got[:0]
		for _, it := range items {
			got = append(got, idOf(it))
		}
		return len(got) >= len(want)
	})
	// The inbox applies one actor's activities in order: the direct ones,
	// sent first, were applied before the public ones appeared.
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("replies collection %v, want the public and unlisted replies only %v", got, want)
	}
}
