package federation

import (
	"bytes"
	"context"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// fakeMastodon is a loopback "Mastodon": it serves alice's actor (and an
// instance actor, for Flags) with a test key, signs the replayed
// fixtures with it, and records what odn delivers to its inboxes.
type fakeMastodon struct {
	srv  *httptest.Server
	key  *rsa.PrivateKey
	mu   sync.Mutex
	got  []map[string]any
	base string
}

func newFakeMastodon(t *testing.T) *fakeMastodon {
	f := &fakeMastodon{key: testKey(t, 0)}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	f.base = f.srv.URL
	return f
}

func (f *fakeMastodon) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPost {
		var m map[string]any
		if json.NewDecoder(r.Body).Decode(&m) == nil {
			f.mu.Lock()
			f.got = append(f.got, m)
			f.mu.Unlock()
		}
		w.WriteHeader(http.StatusAccepted)
		return
	}
	var d map[string]any
	switch r.URL.Path {
	case "/users/alice":
		d = f.actorDoc("Person", "alice", f.base+"/users/alice")
	case "/actor":
		d = f.actorDoc("Application", "mastodon.example", f.base+"/actor")
	default:
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", ActivityJSONType)
	json.NewEncoder(w).Encode(d)
}

func (f *fakeMastodon) actorDoc(typ, name, id string) map[string]any {
	pem, _ := EncodePublicKeyPEM(&f.key.PublicKey)
	return map[string]any{
		"@context": []any{ActivityStreamsContext, SecurityContext}, "id": id, "type": typ, "preferredUsername": name,
		"inbox": id + "/inbox", "outbox": id + "/outbox", "followers": id + "/followers", "url": f.base + "/@" + name,
		"endpoints": map[string]any{"sharedInbox": f.base + "/inbox"},
		"publicKey": map[string]any{"id": id + "#main-key", "owner": id, "publicKeyPem": pem},
	}
}

// send signs body as actorPath (/users/alice or /actor) with key and
// posts it to inbox.
func (f *fakeMastodon) send(t *testing.T, inbox, actorPath string, key *rsa.PrivateKey, body []byte) int {
	t.Helper()
	sg, err := NewSigner(f.base+actorPath+"#main-key", key)
	if err != nil {
		t.Fatal(err)
	}
	return post(t, inbox, body, sg, nil)
}

// received returns what odn delivered, by type.
func (f *fakeMastodon) received(typ string) []map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []map[string]any
	for _, m := range f.got {
		if typeOf(m) == typ {
			out = append(out, m)
		}
	}
	return out
}

// rejected reports whether odn sent a Reject of activityID and a direct
// Note to alice explaining it.
func (f *fakeMastodon) rejected(activityID string) bool {
	var reject, note bool
	for _, m := range f.received("Reject") {
		reject = reject || idOf(m["object"]) == activityID
	}
	for _, m := range f.received("Create") {
		obj, _ := m["object"].(map[string]any)
		note = note || (typeOf(obj) == "Note" && slices.Contains(idsOf(obj["to"]), f.base+"/users/alice") &&
			strings.Contains(str(obj, "content"), "@alice@"))
	}
	return reject && note
}

// mastodonFixture reads testdata/mastodon/name.json with its example
// hosts and ids replaced (pairs old, new, applied in order).
func mastodonFixture(t *testing.T, name string, pairs ...string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/mastodon/" + name + ".json")
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.NewReplacer(pairs...).Replace(string(b)))
}

// TestMastodonParticipation replays what Mastodon sends (favourite,
// un-favourite, poll votes, a one-option petition vote, a reply, a
// report, the deletion of the account) against a running odn, signed by
// a fake Mastodon on loopback, and checks the counts.
func TestMastodonParticipation(t *testing.T) {
	a := newNode(t, nil)
	a.run(t)
	masto := newFakeMastodon(t)
	ctx := context.Background()
	st := a.st
	admin, err := st.CreateAccount(ctx, models.NewAccount{Username: "boss", Password: "correct horse battery", Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	citizen := a.user(t, "ann")
	sp := a.space(t, "lyon")
	if err := st.SetDecider(ctx, admin, "boss", true); err != nil {
		t.Fatal(err)
	}
	prop, err := st.CreateProposal(ctx, citizen.Actor, "lyon", models.ProposalInput{Title: "Cycle lanes on the quays", Body: "Paint them."})
	if err != nil {
		t.Fatal(err)
	}
	debate := func(question string, multiple bool) *models.Debate {
		d, err := st.CreateDebate(ctx, admin, sp, models.DebateInput{Question: question, Options: []string{"Keep it in the old town", "Move it to the riverside"}, Multiple: multiple})
		if err != nil {
			t.Fatal(err)
		}
		if d, err = st.OpenDebate(ctx, admin, d.ID); err != nil {
			t.Fatal(err)
		}
		return d
	}
	single, multi, closing := debate("Where should the market go?", false), debate("Which days for the market?", true), debate("Which market name?", false)
	pet, err := st.CreatePetition(ctx, citizen.Actor, "lyon", models.PetitionInput{Title: "Save the old market hall", Body: "Please.", Addressee: "boss", Goal: 100})
	if err != nil {
		t.Fatal(err)
	}
	inbox := a.srv.URL + "/inbox"
	alice := masto.base + "/users/alice"
	key := masto.key
	base := []string{"https://mastodon.example", masto.base, "https://odn.example/spaces/lyon", sp.Actor.URI}
	vote := func(n, question, option string) []byte {
		return mastodonFixture(t, "vote", append([]string{"#votes/314", "#votes/" + n, "https://odn.example/debates/42", question,
			"Keep it in the old town", option}, base...)...)
	}
	results := func(d *models.Debate) []int {
		r, err := st.Results(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		out := []int{}
		for _, o := range r.Options {
			out = append(out, o.Count)
		}
		return out
	}
	supports := func() int { p, _ := st.ProposalByID(ctx, prop.ID); return p.SupportsCount }
	signatures := func() int { p, _ := st.PetitionByID(ctx, pet.ID); return p.SignaturesCount }
	accepted := func(status int) {
		t.Helper()
		if status != http.StatusAccepted {
			t.Fatalf("inbox answered %d, want 202", status)
		}
	}

	t.Run("favourite supports, un-favourite withdraws", func(t *testing.T) {
		like := mastodonFixture(t, "like", append([]string{"https://odn.example/proposals/7", prop.URI}, base...)...)
		accepted(masto.send(t, inbox, "/users/alice", key, like))
		waitFor(t, "one support", func() bool { return supports() == 1 })
		undo := mastodonFixture(t, "undo_like", append([]string{"https://odn.example/proposals/7", prop.URI}, base...)...)
		accepted(masto.send(t, inbox, "/users/alice", key, undo))
		waitFor(t, "support withdrawn", func() bool { return supports() == 0 })
		again := mastodonFixture(t, "like", append([]string{"#likes/2718", "#likes/2719", "https://odn.example/proposals/7", prop.URI}, base...)...)
		accepted(masto.send(t, inbox, "/users/alice", key, again))
		waitFor(t, "support again", func() bool { return supports() == 1 })
	})

	t.Run("an un-favourite after the decision does not withdraw, and says so", func(t *testing.T) {
		decided, err := st.CreateProposal(ctx, citizen.Actor, "lyon", models.ProposalInput{Title: "Benches on the square", Body: "Oak ones."})
		if err != nil {
			t.Fatal(err)
		}
		pairs := append([]string{"#likes/2718", "#likes/2800", "https://odn.example/proposals/7", decided.URI}, base...)
		accepted(masto.send(t, inbox, "/users/alice", key, mastodonFixture(t, "like", pairs...)))
		count := func() int { p, _ := st.ProposalByID(ctx, decided.ID); return p.SupportsCount }
		waitFor(t, "the support", func() bool { return count() == 1 })
		if _, err := st.SetProposalStatus(ctx, admin, decided.ID, models.ProposalAccepted, "Agreed."); err != nil {
			t.Fatal(err)
		}
		accepted(masto.send(t, inbox, "/users/alice", key, mastodonFixture(t, "undo_like", pairs...)))
		waitFor(t, "a direct Note saying the support still counts", func() bool {
			for _, m := range masto.received("Create") {
				obj, _ := m["object"].(map[string]any)
				if slices.Contains(idsOf(obj["to"]), alice) && strings.Contains(str(obj, "content"), "Your support was not withdrawn") {
					return true
				}
			}
			return false
		})
		if n := count(); n != 1 {
			t.Errorf("supports of the decided proposal = %d, want 1: it was counted when it was decided", n)
		}
	})

	t.Run("poll vote counts, a second vote on a single-choice poll is refused", func(t *testing.T) {
		accepted(masto.send(t, inbox, "/users/alice", key, vote("314", single.URI, "Keep it in the old town")))
		waitFor(t, "the vote counted", func() bool { return slices.Equal(results(single), []int{1, 0}) })
		r, _ := st.Results(ctx, single.ID)
		if r.ByInstance[hostOf(masto.base)] != 1 {
			t.Errorf("by_instance = %v, want the Mastodon host once", r.ByInstance)
		}
		accepted(masto.send(t, inbox, "/users/alice", key, vote("315", single.URI, "Move it to the riverside")))
		waitFor(t, "Reject and direct Note for the second vote", func() bool { return masto.rejected(alice + "#votes/315/activity") })
		if got := results(single); !slices.Equal(got, []int{1, 0}) {
			t.Errorf("counts after a refused second vote = %v", got)
		}
	})

	t.Run("multiple choice: one Create per option; unknown option refused", func(t *testing.T) {
		accepted(masto.send(t, inbox, "/users/alice", key, vote("320", multi.URI, "Keep it in the old town")))
		accepted(masto.send(t, inbox, "/users/alice", key, vote("321", multi.URI, "Move it to the riverside")))
		waitFor(t, "both options counted", func() bool { return slices.Equal(results(multi), []int{1, 1}) })
		if d, _ := st.DebateByID(ctx, multi.ID); d.Voters != 1 {
			t.Errorf("voters = %d, want 1", d.Voters)
		}
		accepted(masto.send(t, inbox, "/users/alice", key, vote("322", multi.URI, "Somewhere else")))
		waitFor(t, "Reject of the unknown option", func() bool { return masto.rejected(alice + "#votes/322/activity") })
	})

	t.Run("votes after the close are refused, the earlier one stands", func(t *testing.T) {
		accepted(masto.send(t, inbox, "/users/alice", key, vote("330", closing.URI, "Keep it in the old town")))
		waitFor(t, "the vote counted", func() bool { return slices.Equal(results(closing), []int{1, 0}) })
		if _, err := st.CloseDebate(ctx, admin, closing.ID); err != nil {
			t.Fatal(err)
		}
		accepted(masto.send(t, inbox, "/users/alice", key, vote("331", closing.URI, "Move it to the riverside")))
		waitFor(t, "Reject of the late vote", func() bool { return masto.rejected(alice + "#votes/331/activity") })
	})

	t.Run("a vote before the consultation's contribution phase is refused, saying when votes open", func(t *testing.T) {
		now := st.Now()
		in := models.ConsultationInput{Title: "Market <hall>", OpensAt: now.Add(-2 * time.Hour), ContributionAt: now.Add(-time.Hour),
			SynthesisAt: now.Add(48 * time.Hour), ClosesAt: now.Add(72 * time.Hour)}
		c, err := st.CreateConsultation(ctx, admin, "lyon", in)
		if err != nil {
			t.Fatal(err)
		}
		d, err := st.CreateDebate(ctx, admin, sp, models.DebateInput{Question: "Which stalls?", Options: []string{"Keep it in the old town", "Move it to the riverside"},
			ConsultationID: c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.OpenDebate(ctx, admin, d.ID); err != nil {
			t.Fatal(err)
		}
		// Moderators move the contribution phase a day later: the
		// consultation is back in its information phase.
		in.ContributionAt = now.Add(24 * time.Hour)
		if c, err = st.UpdateConsultation(ctx, admin, c.ID, in); err != nil {
			t.Fatal(err)
		}
		accepted(masto.send(t, inbox, "/users/alice", key, vote("350", d.URI, "Keep it in the old town")))
		var content string
		waitFor(t, "Reject of the early vote and the direct Note saying why", func() bool {
			for _, m := range masto.received("Create") {
				if obj, _ := m["object"].(map[string]any); str(obj, "inReplyTo") == alice+"#votes/350" {
					content = str(obj, "content")
				}
			}
			return masto.rejected(alice+"#votes/350/activity") && content != ""
		})
		opens := c.ContributionAt.UTC().Format("2006-01-02 15:04 UTC")
		for _, want := range []string{"Your vote was not counted", "the consultation “Market &lt;hall&gt;” is in its information phase",
			"open on " + opens, "est en phase d’information", `<a href="` + c.URI + `"`} {
			if !strings.Contains(content, want) {
				t.Errorf("the refusal says %q, want %q in it", content, want)
			}
		}
		if got := results(d); !slices.Equal(got, []int{0, 0}) {
			t.Errorf("counts after a vote in the information phase = %v, want none", got)
		}
	})

	t.Run("the one-option poll of a petition signs it", func(t *testing.T) {
		accepted(masto.send(t, inbox, "/users/alice", key, vote("340", pet.URI, SignOption)))
		waitFor(t, "one signature", func() bool { return signatures() == 1 })
	})

	t.Run("a reply lands in the thread, sanitised, as an argument", func(t *testing.T) {
		reply := mastodonFixture(t, "create_note", append([]string{"https://odn.example/debates/42", single.URI,
			" More cycle lanes", " pour : more cycle lanes<script>alert(1)</script>", "https://odn.example", a.srv.URL}, base...)...)
		accepted(masto.send(t, inbox, "/users/alice", key, reply))
		noteID := alice + "/statuses/113456789012345678"
		var c *models.Comment
		waitFor(t, "the reply stored", func() bool { c, err = st.CommentByURI(ctx, noteID); return err == nil })
		if c.ObjectType != models.ObjectTypeDebate || c.ObjectID != single.ID || strings.Contains(c.BodyHTML, "<script") {
			t.Errorf("comment = %+v", c)
		}
		waitFor(t, "the stance", func() bool { c, _ = st.CommentByURI(ctx, noteID); return c.Stance == models.StanceFor })
	})

	t.Run("a Flag files a report", func(t *testing.T) {
		// Mastodon's report of a user names the user and the posts it
		// quotes: one report each, the account's in the same queue.
		spammer, err := st.CreateAccount(ctx, models.NewAccount{Username: "spammer", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		flag := mastodonFixture(t, "flag", append([]string{"https://odn.example/users/spammer", spammer.Actor.URI,
			`"https://odn.example/comments/901",`, "", "https://odn.example/comments/902", prop.URI}, base...)...)
		accepted(masto.send(t, inbox, "/actor", key, flag))
		waitFor(t, "the reports", func() bool {
			rs, _ := st.ListReports(ctx, admin, models.ReportFilter{})
			got := map[string]int64{}
			for _, r := range rs {
				got[r.ObjectType] = r.ObjectID
			}
			return len(rs) == 2 && got[models.ObjectTypeProposal] == prop.ID && got[models.ObjectTypeAccount] == spammer.Actor.ID
		})
		rs, _ := st.ListReports(ctx, admin, models.ReportFilter{})
		for _, r := range rs {
			if r.ObjectType == models.ObjectTypeAccount && (r.Target == nil || r.Target.Label != "@spammer" || r.Target.Gone) {
				t.Errorf("account report target %+v", r.Target)
			}
		}

		// Once the account is disabled (which closes its report), a new
		// Flag of it is applied without a report: nothing is left to do,
		// and nothing to retry.
		if err := st.SetDisabled(ctx, admin, "spammer", true, "spam"); err != nil {
			t.Fatal(err)
		}
		again := masto.base + "/flags/again"
		flag = bytes.Replace(flag, []byte("/0c4a7d2e-5b6f-4a8c-9d1e-2f3a4b5c6d7e"), []byte("/flags/again"), 1)
		accepted(masto.send(t, inbox, "/actor", key, flag))
		item := new(models.InboxItem)
		waitFor(t, "the second Flag applied", func() bool {
			err := st.DB.NewSelect().Model(item).Where("activity_id = ?", again).Scan(ctx)
			return err == nil && (item.ProcessedAt != nil || item.Error != "")
		})
		if item.Error != "" || item.ProcessedAt == nil {
			t.Errorf("the Flag of a disabled account failed: %q", item.Error)
		}
		if open, _ := st.ListReports(ctx, admin, models.ReportFilter{Status: models.ReportOpen}); len(open) != 1 || open[0].ObjectType != models.ObjectTypeProposal {
			t.Errorf("open reports %d, want the proposal's only", len(open))
		}
	})

	t.Run("a vote signed with another key is refused", func(t *testing.T) {
		if got := masto.send(t, inbox, "/users/alice", testKey(t, 1), vote("350", multi.URI, "Keep it in the old town")); got != http.StatusUnauthorized {
			t.Errorf("inbox answered %d, want 401", got)
		}
	})

	t.Run("deleting the account withdraws from open items only", func(t *testing.T) {
		accepted(masto.send(t, inbox, "/users/alice", key, mastodonFixture(t, "delete_actor", base...)))
		waitFor(t, "withdrawals", func() bool {
			return supports() == 0 && signatures() == 0 && slices.Equal(results(single), []int{0, 0}) &&
				slices.Equal(results(multi), []int{0, 0})
		})
		if got := results(closing); !slices.Equal(got, []int{1, 0}) {
			t.Errorf("closed debate counts = %v, want the vote kept", got)
		}
	})

	t.Run("votes from a blocked domain are refused", func(t *testing.T) {
		if err := a.s.BlockDomain(ctx, admin, hostOf(masto.base), "test"); err != nil {
			t.Fatal(err)
		}
		if got := masto.send(t, inbox, "/users/alice", key, vote("360", multi.URI, "Keep it in the old town")); got != http.StatusForbidden {
			t.Errorf("inbox answered %d, want 403", got)
		}
	})
}
