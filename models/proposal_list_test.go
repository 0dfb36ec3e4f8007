package models_test

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// titles lists every page of q, following cursors.
func allPages(t *testing.T, s *models.Store, q models.ProposalQuery) []string {
	t.Helper()
	var out []string
	for range 100 {
		page, err := s.ListProposals(context.Background(), q)
		if err != nil {
			t.Fatalf("list %+v: %v", q, err)
		}
		for _, p := range page.Items {
			out = append(out, p.Title)
		}
		if page.NextCursor == "" {
			return out
		}
		q.Cursor = page.NextCursor
	}
	t.Fatal("too many pages")
	return nil
}

func TestProposalLists(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		mk := func(title, body string, tags ...string) *models.Proposal {
			p, err := s.CreateProposal(ctx, c.members[0].Actor, "ville", models.ProposalInput{Title: title, Body: body, Tags: tags})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		a := mk("École ouverte le samedi", "Ouvrir la cour d'ÉCOLE", "education")
		b := mk("Plus d'arbres", "Planter 100% d'arbres_en_plus", "nature", "climat")
		cc := mk("Bus gratuit", "Le bus gratuit pour les jeunes", "transport", "climat")
		e := mk("Zones piétonnes", "Des rues sans voitures", "Écologie", "ecologie", "mobilité")
		d := mk("Retiré", "sera retiré")
		if _, err := s.WithdrawProposal(ctx, c.members[0].Actor, d.ID); err != nil {
			t.Fatal(err)
		}
		for _, m := range c.members[1:3] {
			if _, err := s.Support(ctx, m.Actor, cc.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.Support(ctx, c.members[1].Actor, a.ID); err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name string
			q    models.ProposalQuery
			want []string
		}{
			{"newest", models.ProposalQuery{}, []string{e.Title, cc.Title, b.Title, a.Title}},
			{"newest paged", models.ProposalQuery{Limit: 1}, []string{e.Title, cc.Title, b.Title, a.Title}},
			{"supports, ties by id", models.ProposalQuery{Sort: models.SortSupports, Limit: 1}, []string{cc.Title, a.Title, b.Title, e.Title}},
			{"tag", models.ProposalQuery{Tag: "climat"}, []string{cc.Title, b.Title}},
			{"tag normalised", models.ProposalQuery{Tag: "Éducation"}, []string{a.Title}},
			{"accented tag by its spelling", models.ProposalQuery{Tag: "écologie"}, []string{e.Title}},
			{"accented tag without accents", models.ProposalQuery{Tag: "ECOLOGIE"}, []string{e.Title}},
			{"accented tag, hash and case", models.ProposalQuery{Tag: "#Mobilité"}, []string{e.Title}},
			{"status withdrawn", models.ProposalQuery{Status: models.ProposalWithdrawn}, []string{d.Title}},
			{"search accent and case insensitive", models.ProposalQuery{Search: "ecole"}, []string{a.Title}},
			{"search in body", models.ProposalQuery{Search: "JEUNES"}, []string{cc.Title}},
			{"search all words", models.ProposalQuery{Search: "bus arbres"}, nil},
			{"search LIKE wildcards are literal", models.ProposalQuery{Search: "100%"}, []string{b.Title}},
			{"search underscore literal", models.ProposalQuery{Search: "s_en"}, []string{b.Title}},
			{"search percent alone", models.ProposalQuery{Search: "%"}, []string{b.Title}},
		}
		// Accents are kept for display; "ecologie" is the same tag as
		// "Écologie", whose first spelling stays.
		if got, err := s.ProposalByID(ctx, e.ID); err != nil || !slices.Equal(got.Tags, []string{"écologie", "mobilité"}) {
			t.Fatalf("stored tags = %q, %v", got.Tags, err)
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				tc.q.Space = "ville"
				if got := allPages(t, s, tc.q); !slices.Equal(got, tc.want) {
					t.Fatalf("got %q, want %q", got, tc.want)
				}
			})
		}
		bad := []models.ProposalQuery{
			{Space: "ville", Sort: "best"}, {Space: "ville", Status: "lost"}, {Space: "ville", Cursor: "x"},
			{Space: "ville", Sort: models.SortSupports, Cursor: "1"}, {Space: "ville", Sort: models.SortRandom, Cursor: "-1"},
			{Space: "ville", Tag: "a/b"},
		}
		for _, q := range bad {
			var ve *models.ValidationError
			if _, err := s.ListProposals(ctx, q); !errors.As(err, &ve) {
				t.Errorf("list %+v: %v, want validation error", q, err)
			}
		}
		if _, err := s.ListProposals(ctx, models.ProposalQuery{Space: "nowhere"}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown space: %v", err)
		}
	})
}

func TestRandomOrder(t *testing.T) {
	ids := []int64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	// The documented algorithm, written again independently.
	key := func(seed uint64, id int64) uint64 {
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], seed)
		binary.BigEndian.PutUint64(b[8:], uint64(id))
		h := sha256.Sum256(b[:])
		return binary.BigEndian.Uint64(h[:8])
	}
	want := slices.Clone(ids)
	sort.Slice(want, func(i, j int) bool { return key(42, want[i]) < key(42, want[j]) })
	if got := models.RandomOrder(42, ids); !slices.Equal(got, want) {
		t.Fatalf("RandomOrder(42) = %v, want %v", got, want)
	}
	if slices.Equal(models.RandomOrder(42, ids), models.RandomOrder(43, ids)) {
		t.Fatal("seeds 42 and 43 give the same order")
	}
	// The relative order of two ids does not depend on the others.
	sub := models.RandomOrder(42, []int64{3, 7})
	if slices.Index(want, sub[0]) > slices.Index(want, sub[1]) {
		t.Fatal("order of a subset differs")
	}
}

func TestProposalRandomList(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		var ids []int64
		byID := map[int64]string{}
		for i := range 12 {
			p, err := s.CreateProposal(ctx, c.members[i%4].Actor, "ville", models.ProposalInput{Title: "Idée numéro " + string(rune('A'+i)), Body: "x"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, p.ID)
			byID[p.ID] = p.Title
		}
		var want []string
		for _, id := range models.RandomOrder(7, ids) {
			want = append(want, byID[id])
		}
		got := allPages(t, s, models.ProposalQuery{Space: "ville", Sort: models.SortRandom, Seed: 7, Limit: 5})
		if !slices.Equal(got, want) {
			t.Fatalf("random seed 7 = %q, want %q", got, want)
		}
		if again := allPages(t, s, models.ProposalQuery{Space: "ville", Sort: models.SortRandom, Seed: 7, Limit: 12}); !slices.Equal(again, want) {
			t.Fatal("same seed, different order")
		}
	})
}

func TestRemoteProposalsAndPetitions(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 1)
		in := models.RemoteProposal{
			URI: "https://far.example/p/9", URL: "https://far.example/p/9", AuthorID: c.remote.ID, SpaceID: c.space.ID,
			Title: "", ContentHTML: `<p>Une idée <b>venue</b> d'ailleurs<script>alert(1)</script></p>`,
			Tags: []string{"Ailleurs", "x/y", "#Écologie", "ecologie", "mobilité"}, Supports: 12, Published: time.Now(),
		}
		p, err := s.UpsertRemoteProposal(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if p.Local || p.Origin != "far.example" || p.Title != "Une idée venue d'ailleurs" || p.SupportsCount != 12 ||
			!slices.Equal(p.Tags, []string{"ailleurs", "écologie", "mobilité"}) || p.Author == nil || p.Author.ID != c.remote.ID {
			t.Fatalf("remote proposal = %+v", p)
		}
		if got, err := s.ProposalByURI(ctx, in.URI); err != nil || got.ID != p.ID {
			t.Fatalf("by uri: %v", err)
		}
		// A local member supports it: the event asks federation to tell the origin.
		n, err := s.Support(ctx, c.members[0].Actor, p.ID)
		if err != nil || n != 13 {
			t.Fatalf("support remote = %d %v", n, err)
		}
		evs, _ := s.PendingEvents(ctx, 100)
		last := evs[len(evs)-1]
		if last.Kind != models.EventSupportAdded || last.ObjectID != p.ID || last.ActorID != c.members[0].Actor.ID || last.SpaceID != c.space.ID {
			t.Fatalf("event = %+v", last)
		}
		// The origin's tally replaces ours; the threshold is the origin's business.
		in.Supports, in.Status, in.Title = 20, models.ProposalAccepted, "Titre revu"
		p2, err := s.UpsertRemoteProposal(ctx, in)
		if err != nil || p2.ID != p.ID || p2.SupportsCount != 20 || p2.Status != models.ProposalAccepted || p2.Title != "Titre revu" {
			t.Fatalf("refresh = %+v %v", p2, err)
		}
		// Local objects are never overwritten from outside.
		local := c.proposal(t, c.members[0], "Locale")
		if _, err := s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: local.URI, AuthorID: c.remote.ID, Title: "pirate"}); !errors.Is(err, models.ErrForbidden) {
			t.Fatalf("overwrite local: %v", err)
		}
		if _, err := s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "ftp://x", AuthorID: c.remote.ID, Title: "x"}); err == nil {
			t.Fatal("bad uri accepted")
		}

		pin := models.RemotePetition{URI: "https://far.example/pe/3", AuthorID: c.remote.ID, Title: "Pétition lointaine",
			ContentHTML: "<p>texte</p>", Goal: 100, Signatures: 10}
		pe, err := s.UpsertRemotePetition(ctx, pin)
		if err != nil || pe.Local || pe.SignaturesCount != 10 || pe.SpaceID != 0 {
			t.Fatalf("remote petition = %+v %v", pe, err)
		}
		if n, goal, err := s.Sign(ctx, c.members[1].Actor, pe.ID, true); err != nil || n != 11 || goal != 100 {
			t.Fatalf("sign remote = %d/%d %v", n, goal, err)
		}
		if got, err := s.PetitionByURI(ctx, pin.URI); err != nil || got.ID != pe.ID {
			t.Fatalf("petition by uri: %v", err)
		}
		pin.Answered, pin.ResponseHTML = true, "<p>Réponse</p>"
		if pe, err = s.UpsertRemotePetition(ctx, pin); err != nil || pe.Status != models.PetitionAnswered {
			t.Fatalf("answered remote = %+v %v", pe, err)
		}
		if _, _, err := s.Sign(ctx, c.members[2].Actor, pe.ID, true); !errors.Is(err, models.ErrClosed) {
			t.Fatalf("sign answered remote: %v", err)
		}
	})
}

func TestPetitionLists(t *testing.T) {
	clk := newClock()
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		soon := clk.Now().Add(time.Hour)
		a := c.petition(t, c.members[0], 10, &soon)
		b := c.petition(t, c.members[1], 10, nil)
		if _, _, err := s.Sign(ctx, c.members[2].Actor, b.ID, false); err != nil {
			t.Fatal(err)
		}
		clk.Add(2 * time.Hour)
		titles := func(q models.PetitionQuery) []int64 {
			q.Space = "ville"
			l, err := s.ListPetitions(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, p := range l.Items {
				ids = append(ids, p.ID)
			}
			return ids
		}
		if got := titles(models.PetitionQuery{State: models.PetitionOpen}); !slices.Equal(got, []int64{b.ID}) {
			t.Fatalf("open = %v", got)
		}
		if got := titles(models.PetitionQuery{State: models.PetitionClosed}); !slices.Equal(got, []int64{a.ID}) {
			t.Fatalf("closed = %v", got)
		}
		if got := titles(models.PetitionQuery{Sort: models.SortSignatures}); !slices.Equal(got, []int64{b.ID, a.ID}) {
			t.Fatalf("by signatures = %v", got)
		}
		if got := titles(models.PetitionQuery{Search: "KIOSQUE"}); len(got) != 2 {
			t.Fatalf("search = %v", got)
		}
	}, models.WithClock(clk.Now))
}
