package federation

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// syncBuffer is a log destination safe for the workers' goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) Reset() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.b.Reset()
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestCreateOfAnotherActorsObject: a Create goes out only signed by its
// object's attributedTo. When they differ because the author was erased
// after writing (byline keeps the object theirs, the space signs), the
// Create is dropped and logged at Info; any other difference is a bug,
// logged at Error so that it is seen, and nothing is sent either.
func TestCreateOfAnotherActorsObject(t *testing.T) {
	ctx := context.Background()
	logs := &syncBuffer{}
	a := newNode(t, func(o *Options) {
		o.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	ville := a.space(t, "ville")
	newPeerInbox(t).follower(t, a, "fan", ville.Actor)
	ada, bob, cy := a.user(t, "ada"), a.user(t, "bob"), a.user(t, "cy")
	noteBy := func(author *models.Actor, title string) doc {
		p, err := a.st.CreateProposal(ctx, author, "ville", models.ProposalInput{Title: title, Body: "Text."})
		if err != nil {
			t.Fatal(err)
		}
		if p, err = a.st.ProposalByID(ctx, p.ID); err != nil {
			t.Fatal(err)
		}
		n, err := a.s.proposalDoc(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	adas, bobs, cys := noteBy(ada.Actor, "A bench"), noteBy(bob.Actor, "A fountain"), noteBy(cy.Actor, "A kiosk")
	if err := a.st.DeleteAccount(ctx, ada); err != nil {
		t.Fatal(err)
	}
	erased, err := a.st.ActorByID(ctx, ada.Actor.ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		author *models.Actor
		obj    doc
		sent   bool
		level  string // of the line naming the Create's id; "" for none
	}{
		{"its author's", bob.Actor, bobs, true, ""},
		{"its author was erased after writing it", erased, adas, false, "INFO"},
		{"attributed to a live actor, not its author", bob.Actor, cys, false, "ERROR"},
		{"its author was erased, but it names another actor", erased, cys, false, "ERROR"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			logs.Reset()
			p := &publication{s: a.s}
			if err := p.create(ctx, tc.author, ville, tc.obj, true); err != nil {
				t.Fatal(err)
			}
			var creates int
			for _, o := range p.out {
				if strings.Contains(string(o.Body), `"`+idOf(tc.obj["id"])+`#create"`) { // bare, or in the space's Announce
					creates++
				}
			}
			if tc.sent != (creates > 0) {
				t.Errorf("Create sent: %v, want %v (queued %d)", creates > 0, tc.sent, len(p.out))
			}
			var line string
			for l := range strings.SplitSeq(logs.String(), "\n") {
				if strings.Contains(l, idOf(tc.obj["id"])+"#create") && strings.Contains(l, "create not sent") {
					line = l
				}
			}
			if tc.level == "" && line != "" || tc.level != "" && !strings.Contains(line, "level="+tc.level) {
				t.Errorf("log %q, want a line at %q", line, tc.level)
			}
		})
	}
}
