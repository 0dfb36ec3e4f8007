package models_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// civic is a small world for civic tests: a space with a threshold, a
// moderator, a decider and a few members.
type civic struct {
	s       *models.Store
	space   *models.Space
	mod     *models.Account
	mayor   *models.Account
	members []*models.Account
	remote  *models.Actor
}

func newCivic(t *testing.T, s *models.Store, policy string, threshold int) *civic {
	t.Helper()
	ctx := context.Background()
	c := &civic{s: s, mod: mustAccount(t, s, "sacha", models.RoleModerator), mayor: mustAccount(t, s, "maire", models.RoleMember)}
	if err := s.SetDecider(ctx, nil, "maire", true); err != nil {
		t.Fatal(err)
	}
	c.mayor.Decider = true
	for i := range 4 {
		c.members = append(c.members, mustAccount(t, s, fmt.Sprintf("m%d", i), models.RoleMember))
	}
	sp, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity, Policy: policy, SupportThreshold: threshold})
	if err != nil {
		t.Fatal(err)
	}
	c.space = sp
	c.remote, err = s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://far.example/users/bob", Type: models.ActorPerson, Username: "bob", Host: "far.example"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func (c *civic) proposal(t *testing.T, by *models.Account, title string) *models.Proposal {
	t.Helper()
	p, err := c.s.CreateProposal(context.Background(), by.Actor, c.space.Name, models.ProposalInput{
		Title: title, Body: "Un texte **détaillé** pour " + title, Tags: []string{"Vélo", "centre ville"}})
	if err != nil {
		t.Fatalf("create proposal: %v", err)
	}
	return p
}

func wantErr(t *testing.T, err, want error) {
	t.Helper()
	if want == nil {
		if err != nil {
			t.Fatalf("unexpected error %v", err)
		}
		return
	}
	if want == errValidation {
		var ve *models.ValidationError
		if !errors.As(err, &ve) {
			t.Fatalf("error = %v, want a validation error", err)
		}
		return
	}
	if !errors.Is(err, want) {
		t.Fatalf("error = %v, want %v", err, want)
	}
}

// errValidation stands for any *models.ValidationError in tables.
var errValidation = errors.New("validation error")

func TestProposalValidation(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		c := newCivic(t, s, models.PolicyOpen, 0)
		ctx := context.Background()
		tags := make([]string, 11)
		for i := range tags {
			tags[i] = fmt.Sprintf("t%d", i)
		}
		cases := []struct {
			name string
			in   models.ProposalInput
			want error
		}{
			{"ok", models.ProposalInput{Title: "Des bancs", Body: "Plus de bancs."}, nil},
			{"title too short", models.ProposalInput{Title: "ab", Body: "x"}, errValidation},
			{"title too long", models.ProposalInput{Title: strings.Repeat("é", 141), Body: "x"}, errValidation},
			{"title at limit", models.ProposalInput{Title: strings.Repeat("é", 140), Body: "x"}, nil},
			{"empty body", models.ProposalInput{Title: "Des bancs", Body: "   "}, errValidation},
			{"body too long", models.ProposalInput{Title: "Des bancs", Body: strings.Repeat("a", 20_001)}, errValidation},
			{"too many tags", models.ProposalInput{Title: "Des bancs", Body: "x", Tags: tags}, errValidation},
			{"bad tag", models.ProposalInput{Title: "Des bancs", Body: "x", Tags: []string{"a/b"}}, errValidation},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.CreateProposal(ctx, c.members[0].Actor, "ville", tc.in)
				wantErr(t, err, tc.want)
			})
		}
		if _, err := s.CreateProposal(ctx, c.members[0].Actor, "nowhere", models.ProposalInput{Title: "Des bancs", Body: "x"}); !errors.Is(err, models.ErrNotFound) {
			t.Fatalf("unknown space: %v", err)
		}
	})
}

func TestNormalizeTags(t *testing.T) {
	cases := []struct {
		in   []string
		want []string
		bad  bool
	}{
		{in: []string{"Vélo", "pistes  cyclables", "#Écologie"}, want: []string{"vélo", "pistes-cyclables", "écologie"}},
		// One tag per folded key, first spelling kept.
		{in: []string{"écologie", "Ecologie", "ÉCOLOGIE"}, want: []string{"écologie"}},
		{in: []string{"ecologie", "écologie"}, want: []string{"ecologie"}},
		// Decomposed input (e + U+0301) is composed, as typed on macOS.
		{in: []string{"mobilite\u0301"}, want: []string{"mobilité"}},
		{in: []string{"  ", "#", "--"}, want: nil},
		{in: []string{"a/b"}, bad: true},
		{in: []string{"-é"}, want: []string{"é"}},
		{in: []string{strings.Repeat("é", 33)}, bad: true},
		{in: []string{strings.Repeat("é", 32)}, want: []string{strings.Repeat("é", 32)}},
	}
	for _, tc := range cases {
		got, problem := models.NormalizeTags(tc.in)
		if (problem != "") != tc.bad || strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("NormalizeTags(%q) = %q, %q", tc.in, got, problem)
		}
	}
	if k := models.TagKey("Écologie"); k != "ecologie" {
		t.Errorf("TagKey = %q", k)
	}
}

func TestProposalLifecycle(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 3)
		author, other := c.members[0], c.members[1]
		p := c.proposal(t, author, "Des pistes cyclables rue Haute")
		if p.URI != s.URLs.Base+fmt.Sprintf("/p/%d", p.ID) || p.URL != p.URI || !p.Local {
			t.Fatalf("uri/url = %q %q", p.URI, p.URL)
		}
		if strings.Join(p.Tags, ",") != "vélo,centre-ville" {
			t.Fatalf("tags = %v", p.Tags)
		}
		if !strings.Contains(p.BodyHTML, "<strong>détaillé</strong>") {
			t.Fatalf("body html = %q", p.BodyHTML)
		}
		// Editing: only the author, only without supports.
		in := models.ProposalInput{Title: "Des pistes cyclables partout", Body: "Texte revu", Tags: []string{"velo"}}
		_, err := s.UpdateProposal(ctx, other.Actor, p.ID, in)
		wantErr(t, err, models.ErrForbidden)
		p2, err := s.UpdateProposal(ctx, author.Actor, p.ID, in)
		wantErr(t, err, nil)
		if p2.Title != in.Title || len(p2.Tags) != 1 {
			t.Fatalf("after edit: %+v", p2)
		}
		// The author's own support does not lock the text: nobody else
		// supported it yet.
		if n, err := s.Support(ctx, author.Actor, p.ID); err != nil || n != 1 {
			t.Fatalf("author's support = %d, %v", n, err)
		}
		if got, err := s.ProposalByID(ctx, p.ID); err != nil || !got.AuthorSupports || !got.Editable() {
			t.Fatalf("with the author's support only: editable %v, author supports %v, %v", got.Editable(), got.AuthorSupports, err)
		}
		in.Title = "Des pistes cyclables, vraiment partout"
		_, err = s.UpdateProposal(ctx, author.Actor, p.ID, in)
		wantErr(t, err, nil)
		n, err := s.Support(ctx, other.Actor, p.ID)
		if err != nil || n != 2 {
			t.Fatalf("support = %d, %v", n, err)
		}
		if got, err := s.ProposalByID(ctx, p.ID); err != nil || got.Editable() {
			t.Fatalf("with another's support: editable, %v", err)
		}
		_, err = s.UpdateProposal(ctx, author.Actor, p.ID, in)
		wantErr(t, err, models.ErrNotEditable)
		if _, err := s.Unsupport(ctx, author.Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		// Another's support alone locks it too.
		_, err = s.UpdateProposal(ctx, author.Actor, p.ID, in)
		wantErr(t, err, models.ErrNotEditable)

		// Supporting twice is refused by the database constraint.
		_, err = s.Support(ctx, other.Actor, p.ID)
		wantErr(t, err, models.ErrDuplicate)
		n, err = s.Unsupport(ctx, other.Actor, p.ID)
		if err != nil || n != 0 {
			t.Fatalf("unsupport = %d, %v", n, err)
		}
		_, err = s.Unsupport(ctx, other.Actor, p.ID)
		wantErr(t, err, models.ErrNotFound)

		// Withdrawal closes it.
		_, err = s.WithdrawProposal(ctx, other.Actor, p.ID)
		wantErr(t, err, models.ErrForbidden)
		w, err := s.WithdrawProposal(ctx, author.Actor, p.ID)
		if err != nil || w.Status != models.ProposalWithdrawn {
			t.Fatalf("withdraw: %v %v", w, err)
		}
		_, err = s.Support(ctx, other.Actor, p.ID)
		wantErr(t, err, models.ErrClosed)
		_, err = s.WithdrawProposal(ctx, author.Actor, p.ID)
		wantErr(t, err, models.ErrClosed)
		_, err = s.SetProposalStatus(ctx, c.mod, p.ID, models.ProposalAccepted, "")
		wantErr(t, err, models.ErrClosed)
		_, err = s.Support(ctx, other.Actor, 999999)
		wantErr(t, err, models.ErrNotFound)
		_, err = s.Support(ctx, nil, p.ID)
		wantErr(t, err, models.ErrUnauthorized)
	})
}

func TestProposalThreshold(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 3)
		author := c.members[0]
		p := c.proposal(t, author, "Un jardin partagé")
		for i, m := range []*models.Account{c.members[1], c.members[2]} {
			if n, err := s.Support(ctx, m.Actor, p.ID); err != nil || n != i+1 {
				t.Fatalf("support %d = %d, %v", i, n, err)
			}
		}
		if got, _ := s.ProposalByID(ctx, p.ID); got.Status != models.ProposalOpen || got.ThresholdReachedAt != nil {
			t.Fatalf("before threshold: %s", got.Status)
		}
		if _, err := s.Support(ctx, c.members[3].Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := s.ProposalByID(ctx, p.ID)
		if got.Status != models.ProposalThresholdReached || got.ThresholdReachedAt == nil {
			t.Fatalf("after threshold: %s %v", got.Status, got.ThresholdReachedAt)
		}
		// Author and the three supporters are told once.
		for _, acc := range append([]*models.Account{author}, c.members[1:]...) {
			list, err := s.Notifications(ctx, acc, 0, 10)
			if err != nil || len(list) != 1 || list[0].Kind != models.NotifyProposalThreshold || list[0].Object == nil || list[0].Object.Title != p.Title {
				t.Fatalf("notifications of %s = %+v, %v", acc.Username, list, err)
			}
		}
		// Withdrawing a support does not undo the threshold (documented).
		if n, err := s.Unsupport(ctx, c.members[3].Actor, p.ID); err != nil || n != 2 {
			t.Fatalf("unsupport = %d %v", n, err)
		}
		if got, _ := s.ProposalByID(ctx, p.ID); got.Status != models.ProposalThresholdReached {
			t.Fatalf("threshold undone: %s", got.Status)
		}
		// Crossing again does not emit or notify twice.
		if _, err := s.Support(ctx, c.members[3].Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Notifications(ctx, author, 0, 10); len(list) != 1 {
			t.Fatalf("threshold notified twice: %d", len(list))
		}
		if n := countEvents(t, s, models.EventProposalThreshold); n != 1 {
			t.Fatalf("threshold events = %d", n)
		}
		if n := countEvents(t, s, models.EventSupportAdded); n != 4 {
			t.Fatalf("support.added events = %d", n)
		}
		if n := countEvents(t, s, models.EventSupportRemoved); n != 1 {
			t.Fatalf("support.removed events = %d", n)
		}
	})
}

func countEvents(t *testing.T, s *models.Store, kind string) int {
	t.Helper()
	evs, err := s.PendingEvents(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.Kind == kind {
			n++
		}
	}
	return n
}

func TestProposalStatus(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		author, supporter := c.members[0], c.members[1]
		p := c.proposal(t, author, "Une fontaine place du marché")
		if _, err := s.Support(ctx, supporter.Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		admin := mustAccount(t, s, "root_admin", models.RoleAdmin)
		cases := []struct {
			name           string
			by             *models.Account
			status, answer string
			want           error
		}{
			{"member refused", c.members[2], models.ProposalAccepted, "ok", models.ErrForbidden},
			{"decider without role refused", c.mayor, models.ProposalAccepted, "ok", models.ErrForbidden},
			{"anonymous", nil, models.ProposalAccepted, "ok", models.ErrUnauthorized},
			{"unknown status", c.mod, "maybe", "x", errValidation},
			{"withdrawn is not a moderator status", c.mod, models.ProposalWithdrawn, "x", errValidation},
			{"answered needs an answer", c.mod, models.ProposalAnswered, " ", errValidation},
			{"answered", c.mod, models.ProposalAnswered, "Nous étudions <script>alert(1)</script> la **fontaine**.", nil},
			{"accepted by admin keeps answer", admin, models.ProposalAccepted, "", nil},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := s.SetProposalStatus(ctx, tc.by, p.ID, tc.status, tc.answer)
				wantErr(t, err, tc.want)
			})
		}
		got, _ := s.ProposalByID(ctx, p.ID)
		if got.Status != models.ProposalAccepted || !strings.Contains(got.AnswerHTML, "<strong>fontaine</strong>") ||
			strings.Contains(got.AnswerHTML, "<script") || got.AnsweredAt == nil || got.Answerer == nil || got.Answerer.Username != "root_admin" {
			t.Fatalf("answered proposal: %+v", got)
		}
		// An accepted proposal keeps its tally.
		_, err := s.Support(ctx, c.members[2].Actor, p.ID)
		wantErr(t, err, models.ErrClosed)
		_, err = s.Unsupport(ctx, supporter.Actor, p.ID)
		wantErr(t, err, models.ErrClosed)
		list, _ := s.Notifications(ctx, supporter, 0, 10)
		if len(list) != 2 || list[0].Kind != models.NotifyProposalAnswered {
			t.Fatalf("supporter notifications = %+v", list)
		}
		if list, _ := s.Notifications(ctx, author, 0, 10); len(list) != 2 {
			t.Fatalf("author notifications = %d", len(list))
		}
		if log, _ := s.AuditLog(ctx, 10); len(log) == 0 || !strings.HasPrefix(log[0].Action, "proposal_status:") {
			t.Fatalf("audit = %+v", log)
		}
	})
}

func TestProposalPolicy(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyLocal, 0)
		p := c.proposal(t, c.members[0], "Un marché bio le dimanche")
		_, err := s.Support(ctx, c.remote, p.ID)
		wantErr(t, err, models.ErrForbidden)
		_, err = s.CreateProposal(ctx, c.remote, "ville", models.ProposalInput{Title: "Depuis ailleurs", Body: "x"})
		wantErr(t, err, models.ErrForbidden)
		if _, err := s.Support(ctx, c.members[1].Actor, p.ID); err != nil {
			t.Fatal(err)
		}
		// network: partner hosts only.
		if _, err := s.UpdateSpace(ctx, mustAdmin(t, s), "ville", models.SpaceInput{Title: "Ville", Kind: models.KindCity, Policy: models.PolicyNetwork, AllowedHosts: []string{"far.example"}}); err != nil {
			t.Fatal(err)
		}
		if n, err := s.Support(ctx, c.remote, p.ID); err != nil || n != 2 {
			t.Fatalf("partner support = %d %v", n, err)
		}
	})
}

func mustAdmin(t *testing.T, s *models.Store) *models.Account {
	t.Helper()
	acc, err := s.AccountByUsername(context.Background(), "root_admin")
	if err != nil {
		return mustAccount(t, s, "root_admin", models.RoleAdmin)
	}
	return acc
}

func TestProposalConcurrentSupports(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 30)
		p := c.proposal(t, c.members[0], "Cinquante soutiens d'un coup")
		var actors []*models.Actor
		for i := range 50 {
			a, err := s.UpsertRemoteActor(ctx, &models.Actor{URI: fmt.Sprintf("https://far.example/users/u%d", i), Type: models.ActorPerson, Username: fmt.Sprintf("u%d", i), Host: "far.example"})
			if err != nil {
				t.Fatal(err)
			}
			actors = append(actors, a)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 100)
		for _, a := range actors {
			for range 2 { // each actor tries twice, at once
				wg.Go(func() {
					if _, err := s.Support(ctx, a, p.ID); err != nil && !errors.Is(err, models.ErrDuplicate) {
						errs <- err
					}
				})
			}
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		got, _ := s.ProposalByID(ctx, p.ID)
		if got.SupportsCount != 50 || got.Status != models.ProposalThresholdReached {
			t.Fatalf("count = %d status = %s", got.SupportsCount, got.Status)
		}
		if n, err := s.RecountSupports(ctx, p.ID); err != nil || n != 50 {
			t.Fatalf("recount = %d %v", n, err)
		}
		if n := countEvents(t, s, models.EventProposalThreshold); n != 1 {
			t.Fatalf("threshold events = %d", n)
		}
	})
}

func TestProposalAccountDeleted(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		open := c.proposal(t, c.members[0], "Ouverte")
		decided := c.proposal(t, c.members[0], "Décidée")
		leaver := c.members[1]
		for _, p := range []*models.Proposal{open, decided} {
			for _, m := range c.members[1:3] {
				if _, err := s.Support(ctx, m.Actor, p.ID); err != nil {
					t.Fatal(err)
				}
			}
		}
		if _, err := s.SetProposalStatus(ctx, c.mod, decided.ID, models.ProposalRejected, "Non."); err != nil {
			t.Fatal(err)
		}
		if err := s.DeleteAccount(ctx, leaver); err != nil {
			t.Fatal(err)
		}
		if got, _ := s.ProposalByID(ctx, open.ID); got.SupportsCount != 1 {
			t.Fatalf("open proposal count = %d, want 1", got.SupportsCount)
		}
		if got, _ := s.ProposalByID(ctx, decided.ID); got.SupportsCount != 2 {
			t.Fatalf("decided proposal count = %d, want 2", got.SupportsCount)
		}
		if n, _ := s.RecountSupports(ctx, open.ID); n != 1 {
			t.Fatalf("recount = %d", n)
		}
	})
}
