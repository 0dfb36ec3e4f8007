package federation

import (
	"context"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// peerVote describes a fixture of a poll vote as another server sends it
// (testdata/<software>/vote.json, built from its source: docs/FEDERATION.md,
// "Other servers"), and how to mint more votes of the same shape.
type peerVote struct {
	software string
	host     string   // the fixture's example host
	actor    string   // the voter's id in the fixture
	unique   []string // parts of the ids that differ from one vote to the next
	second   []string // old, new pairs: the vote for the second option of the same poll
}

var peerVotes = []peerVote{
	// Misskey: ApRendererService.renderVote, one Create per choice, ids
	// {actor}#votes/{vote id}, to the poll's owner only, no content.
	{software: "misskey", host: "https://misskey.example", actor: "https://misskey.example/users/9x1abcd2ef",
		unique: []string{"9y7vote0aa"}},
	// GoToSocial: typeutils PollVoteToASCreates, one Create per choice,
	// Create id {actor}/activity#vote{i}/{question}, Note id
	// {actor}#{poll id}/votes/{choice}.
	{software: "gotosocial", host: "https://gts.example", actor: "https://gts.example/users/bo",
		unique: []string{"01JE5R0Q2N3C8W6Y7T9V4K1M2P"}, second: []string{"#vote0/", "#vote1/", "/votes/0", "/votes/1"}},
	// Pleroma and Akkoma: CommonAPI.vote builds an Answer (Builder.answer),
	// sent as a Note (Transmogrifier.set_type) with to: [] and cc: [the
	// poll's actor], ids under /activities and /objects (not the actor's).
	{software: "pleroma", host: "https://pleroma.example", actor: "https://pleroma.example/users/bo",
		unique: []string{"8a6f0c3e-7d21-4b9a-a5e8-0c1d2e3f4a5b", "3e9b1d7c-5a42-4f18-b6c0-7d8e9f0a1b2c"}},
}

// body is the fixture as peer sends it: its vote n, for option of question
// (whose author is author); second picks the poll's second choice where
// the software's ids say so.
func (p peerVote) body(t *testing.T, peer *fakeMastodon, n int, question, author, option string, second bool) []byte {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + p.software + "/vote.json")
	if err != nil {
		t.Fatal(err)
	}
	s := string(raw)
	if second {
		s = strings.NewReplacer(p.second...).Replace(s)
	}
	var pairs []string
	for _, u := range p.unique {
		pairs = append(pairs, u, u+"n"+strconv.Itoa(n))
	}
	pairs = append(pairs, p.actor, peer.base+"/users/alice", p.host, peer.base,
		"https://odn.example/d/3", question, "https://odn.example/actors/modo", author, `"Jardin"`, strconv.Quote(option))
	return []byte(strings.NewReplacer(pairs...).Replace(s))
}

// TestOtherServersVotes replays the poll votes of Misskey, GoToSocial and
// Pleroma/Akkoma, in the shapes their code sends them, against a running
// odn: a single-choice vote, a multiple-choice ballot (one Create per
// option) and a petition's signature must all count.
func TestOtherServersVotes(t *testing.T) {
	a := newNode(t, nil)
	a.run(t)
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
	options := []string{"Keep it in the old town", "Move it to the riverside"}
	debate := func(question string, multiple bool) *models.Debate {
		t.Helper()
		d, err := st.CreateDebate(ctx, admin, sp, models.DebateInput{Question: question, Options: options, Multiple: multiple})
		if err != nil {
			t.Fatal(err)
		}
		if d, err = st.OpenDebate(ctx, admin, d.ID); err != nil {
			t.Fatal(err)
		}
		return d
	}
	counts := func(d *models.Debate) []int {
		r, err := st.Results(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []int
		for _, o := range r.Options {
			out = append(out, o.Count)
		}
		return out
	}
	inbox := a.srv.URL + "/inbox"
	for _, p := range peerVotes {
		t.Run(p.software, func(t *testing.T) {
			peer := newFakeMastodon(t)
			send := func(n int, question, author, option string, second bool) {
				t.Helper()
				body := p.body(t, peer, n, question, author, option, second)
				if code := peer.send(t, inbox, "/users/alice", peer.key, body); code != http.StatusAccepted {
					t.Fatalf("inbox answered %d, want 202", code)
				}
			}
			author := admin.Actor.URI

			single := debate("Where should the "+p.software+" market go?", false)
			send(1, single.URI, author, options[1], false)
			waitFor(t, "the single-choice vote counted", func() bool { return slices.Equal(counts(single), []int{0, 1}) })

			multi := debate("Which days for the "+p.software+" market?", true)
			send(2, multi.URI, author, options[0], false)
			// GoToSocial's two Creates share the poll's id and differ by
			// the choice; the others mint an id per Create.
			n := 4
			if len(p.second) > 0 {
				n = 2
			}
			send(n, multi.URI, author, options[1], true)
			waitFor(t, "both options counted", func() bool { return slices.Equal(counts(multi), []int{1, 1}) })
			if d, _ := st.DebateByID(ctx, multi.ID); d.Voters != 1 {
				t.Errorf("voters = %d, want 1: one ballot of two options", d.Voters)
			}

			pet, err := st.CreatePetition(ctx, citizen.Actor, "lyon", models.PetitionInput{Title: "Save the " + p.software + " market hall", Body: "Please.", Addressee: "boss", Goal: 100})
			if err != nil {
				t.Fatal(err)
			}
			send(3, pet.URI, citizen.Actor.URI, SignOption, false)
			waitFor(t, "the signature counted", func() bool { p, _ := st.PetitionByID(ctx, pet.ID); return p.SignaturesCount == 1 })
		})
	}
}
