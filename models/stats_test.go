package models_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// consScenario fills f's consultation during its contribution phase:
// ana proposes P1 (themed "Trees"), ben proposes P2 (hidden later), ben
// and cleo and a remote zoe support P1, ben comments on P1, and two
// workshops are recorded (12 and 8 people, one themed).
type consScenario struct {
	theme  *models.Theme
	p1, p2 *models.Proposal
	remote *models.Actor
}

func newConsScenario(t *testing.T, f *consFixture) *consScenario {
	t.Helper()
	ctx := context.Background()
	sc := &consScenario{}
	var err error
	if sc.theme, err = f.s.AddTheme(ctx, f.mod, f.c.ID, models.ThemeInput{Name: "Trees"}); err != nil {
		t.Fatal(err)
	}
	f.at(12)
	ana, ben, cleo := f.citizens[0], f.citizens[1], f.citizens[2]
	if sc.p1, err = f.s.CreateProposal(ctx, ana.Actor, "town", models.ProposalInput{Title: "Plant twenty trees", Body: "Shade!", Consultation: f.c.ID}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.DB.NewUpdate().Table("proposals").Set("theme_id = ?", sc.theme.ID).Where("id = ?", sc.p1.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if sc.p2, err = f.s.CreateProposal(ctx, ben.Actor, "town", models.ProposalInput{Title: "A car park underground", Body: "Cars.", Consultation: f.c.ID}); err != nil {
		t.Fatal(err)
	}
	if sc.remote, err = f.s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://other.example/users/zoe", Type: "Person", Username: "zoe", Host: "other.example"}); err != nil {
		t.Fatal(err)
	}
	f.at(13)
	for _, a := range []*models.Actor{ben.Actor, cleo.Actor, sc.remote} {
		if _, err := f.s.Support(ctx, a, sc.p1.ID); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.CreateComment(ctx, ben.Actor, models.CommentInput{ObjectType: "proposal", ObjectID: sc.p1.ID, Body: "Yes, oaks please."}); err != nil {
		t.Fatal(err)
	}
	f.at(15)
	for i, n := range []int{12, 8} {
		in := models.WorkshopInput{Title: "Workshop sheet", Body: "Notes", HeldAt: consT0.Add(time.Duration(13+i) * 24 * time.Hour), Place: "Town hall", Participants: n}
		if i == 0 {
			in.ThemeID = sc.theme.ID
		}
		if _, err := f.s.RecordWorkshopContribution(ctx, f.mod, f.c.ID, in); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.s.DB.NewUpdate().Table("proposals").Set("hidden_at = ?", f.clock.Now()).Where("id = ?", sc.p2.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return sc
}

func TestConsultationStatisticsMatchRecount(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		sc := newConsScenario(t, f)
		st, err := f.s.ConsultationStatistics(ctx, f.c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// Expected by construction.
		if st.Online != 2 || st.Workshop != 2 || st.ParticipantsOnline != 4 || st.ParticipantsWorkshop != 20 || st.Participants != 24 || st.Workshops != 2 {
			t.Errorf("stats %+v", st)
		}
		if st.ByType["proposal"] != 1 || st.ByType["comment"] != 1 || st.ByType["support"] != 3 || st.ByType["workshop"] != 2 {
			t.Errorf("by type %v", st.ByType)
		}
		// Recount straight from the database, independently of the code above.
		count := func(q string, args ...any) int {
			var n int
			if err := f.s.DB.NewRaw(q, args...).Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		live := "consultation_id = ? AND hidden_at IS NULL AND deleted_at IS NULL"
		online := count("SELECT COUNT(*) FROM proposals WHERE "+live, f.c.ID) +
			count("SELECT COUNT(*) FROM comments WHERE object_type = 'proposal' AND hidden_at IS NULL AND deleted_at IS NULL AND object_id IN (SELECT id FROM proposals WHERE "+live+")", f.c.ID)
		workshop := count("SELECT COUNT(*) FROM workshop_contributions WHERE "+live, f.c.ID)
		people := count("SELECT COALESCE(SUM(participants), 0) FROM workshop_contributions WHERE "+live, f.c.ID)
		actorsQ := "SELECT author_id AS a FROM proposals WHERE " + live +
			" UNION SELECT actor_id FROM supports WHERE proposal_id IN (SELECT id FROM proposals WHERE " + live + ")" +
			" UNION SELECT author_id FROM comments WHERE hidden_at IS NULL AND deleted_at IS NULL AND object_type = 'proposal' AND object_id IN (SELECT id FROM proposals WHERE " + live + ")"
		actors := count("SELECT COUNT(*) FROM ("+actorsQ+") AS x", f.c.ID, f.c.ID, f.c.ID)
		remote := count("SELECT COUNT(*) FROM actors WHERE host = 'other.example' AND id IN ("+actorsQ+")", f.c.ID, f.c.ID, f.c.ID)
		if st.Online != online || st.Workshop != workshop || st.ParticipantsWorkshop != people || st.ParticipantsOnline != actors {
			t.Errorf("stats %d/%d/%d/%d, recount %d/%d/%d/%d", st.Online, st.Workshop, st.ParticipantsWorkshop, st.ParticipantsOnline, online, workshop, people, actors)
		}
		hosts := map[string]int{}
		for _, h := range st.ByInstance {
			hosts[h.Host] = h.Participants
		}
		if hosts["other.example"] != remote || hosts[f.s.URLs.Host()] != actors-remote || len(hosts) != 2 {
			t.Errorf("by instance %v, recount remote %d", st.ByInstance, remote)
		}
		byTheme := map[int64]models.ThemeCount{}
		for _, tc := range st.ByTheme {
			byTheme[tc.ThemeID] = tc
		}
		trees, none := byTheme[sc.theme.ID], byTheme[0]
		if trees.Online != 2 || trees.Workshop != 1 || trees.Participants != 4+12 || none.Workshop != 1 || none.Online != 0 {
			t.Errorf("by theme %+v", st.ByTheme)
		}
		sum := 0
		for _, d := range st.ByDay {
			sum += d.Online + d.Workshop + d.Participation
		}
		if sum != online+workshop+3 {
			t.Errorf("by day sums to %d: %+v", sum, st.ByDay)
		}
	})
}

func TestConsultationPhaseRulesOnProposalsAndComments(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		ana, ben := f.citizens[0].Actor, f.citizens[1].Actor
		in := models.ProposalInput{Title: "Plant twenty trees", Body: "Shade!", Consultation: f.c.ID}
		f.at(3) // information: read only
		if _, err := f.s.CreateProposal(ctx, ana, "town", in); !errors.Is(err, models.ErrClosed) {
			t.Fatalf("information phase took a proposal: %v", err)
		}
		f.at(12) // contribution
		p, err := f.s.CreateProposal(ctx, ana, "town", in)
		if err != nil {
			t.Fatal(err)
		}
		f.at(31) // synthesis: comments only
		var pe *models.PhaseError
		if _, err := f.s.CreateProposal(ctx, ana, "town", in); !errors.As(err, &pe) || pe.Phase != models.PhaseSynthesis {
			t.Errorf("synthesis phase took a proposal: %v", err)
		}
		if _, err := f.s.Support(ctx, ben, p.ID); !errors.Is(err, models.ErrClosed) {
			t.Errorf("synthesis phase took a support: %v", err)
		}
		if _, err := f.s.CreateComment(ctx, ben, models.CommentInput{ObjectType: "proposal", ObjectID: p.ID, Body: "Agreed."}); err != nil {
			t.Errorf("synthesis phase refused a comment: %v", err)
		}
		f.at(41) // closed: nothing
		if _, err := f.s.CreateComment(ctx, ben, models.CommentInput{ObjectType: "proposal", ObjectID: p.ID, Body: "Late."}); !errors.Is(err, models.ErrClosed) {
			t.Errorf("closed consultation took a comment: %v", err)
		}
	})
}

func TestSynthesisNotifiesEveryContributorOnce(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		sc := newConsScenario(t, f)
		if _, err := f.s.PublishSynthesis(ctx, f.mod, f.c.ID, "Too early"); !errors.Is(err, models.ErrClosed) {
			t.Errorf("synthesis published during the contribution phase: %v", err)
		}
		if _, err := f.s.SaveSynthesis(ctx, f.mod, f.c.ID, "Draft"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.SynthesisOf(ctx, f.c.ID, false); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("draft synthesis is public: %v", err)
		}
		f.at(31)
		if _, err := f.s.PublishSynthesis(ctx, f.citizens[0], f.c.ID, "x"); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("citizen published: %v", err)
		}
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := 0; i < 20; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.s.PublishSynthesis(ctx, f.mod, f.c.ID, "## What you said\n\nTrees, see [P1]("+sc.p1.URI+").")
				errs <- err
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.s.PublishSynthesis(ctx, f.mod, f.c.ID, "Edited after publication."); err != nil {
			t.Fatal(err)
		}
		syn, err := f.s.SynthesisOf(ctx, f.c.ID, false)
		if err != nil || syn.PublishedAt == nil || syn.Body != "Edited after publication." {
			t.Fatalf("synthesis %v %+v", err, syn)
		}
		// ana, ben, cleo (local) are told once each; the moderator (no
		// online contribution) and hidden content's sole authors are not.
		for _, acc := range append(f.citizens, f.mod) {
			var n int
			err := f.s.DB.NewRaw("SELECT COUNT(*) FROM notifications WHERE account_id = ? AND kind = ?", acc.ID, models.NotifySynthesisPublished).Scan(ctx, &n)
			if err != nil {
				t.Fatal(err)
			}
			want := 1
			if acc == f.mod {
				want = 0
			}
			if n != want {
				t.Errorf("%s got %d synthesis notifications, want %d", acc.Username, n, want)
			}
		}
		recipients, err := f.s.SynthesisRecipients(ctx, syn.ID)
		if err != nil || len(recipients) != 4 {
			t.Errorf("recipients: %v %d (want 3 local + zoe)", err, len(recipients))
		}
		evs, _ := f.s.PendingEvents(ctx, 100)
		published, updated := 0, 0
		for _, e := range evs {
			switch e.Kind {
			case models.EventSynthesisPublished:
				published++
			case models.EventSynthesisUpdated:
				updated++
			}
		}
		if published != 1 || updated != 20 {
			t.Errorf("events: %d published, %d updated", published, updated)
		}
		// An address awaiting confirmation gets nothing until confirmed.
		unconfirmed := f.citizens[len(f.citizens)-1]
		if _, err := f.s.DB.NewRaw("UPDATE accounts SET pending_email = email, email = '' WHERE id = ?", unconfirmed.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		mails, err := f.s.PendingSynthesisEmails(ctx, 100)
		if err != nil || len(mails) != 2 {
			t.Fatalf("pending e-mails %v %+v, want the 2 confirmed addresses'", err, mails)
		}
		if _, err := f.s.ConfirmPendingEmail(ctx, nil, unconfirmed.Username); err != nil {
			t.Fatal(err)
		}
		if mails, err = f.s.PendingSynthesisEmails(ctx, 100); err != nil || len(mails) != 3 {
			t.Fatalf("pending e-mails once confirmed %v %+v", err, mails)
		}
		// Nodes queueing them at once queue each one once, to its
		// account and address.
		var mu sync.Mutex
		queued := 0
		var nodes sync.WaitGroup
		for range 4 {
			nodes.Go(func() {
				n, err := f.s.QueueSynthesisEmails(ctx, 100, func(e models.SynthesisEmail) models.Mail {
					return models.Mail{Kind: "synthesis", Subject: e.Title, Body: e.Username}
				})
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				queued += n
				mu.Unlock()
			})
		}
		nodes.Wait()
		var outbox []models.Mail
		if err := f.s.DB.NewSelect().Model(&outbox).Order("id").Scan(ctx); err != nil || queued != 3 || len(outbox) != 3 {
			t.Fatalf("queued %d, outbox %d (%v); want 3 each", queued, len(outbox), err)
		}
		byName := map[string]models.SynthesisEmail{}
		for _, p := range mails {
			byName[p.Username] = p
		}
		for _, m := range outbox {
			if want, ok := byName[m.Username]; !ok || m.AccountID != want.AccountID || m.Address != want.Email || m.Body != want.Username || m.AccountID == 0 {
				t.Errorf("outbox: %+v, want one of %+v", m, mails)
			}
			delete(byName, m.Username)
		}
		if mails, _ := f.s.PendingSynthesisEmails(ctx, 100); len(mails) != 0 {
			t.Errorf("e-mails pending after queueing: %d", len(mails))
		}
	})
}

func TestDemoHasConsultation(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.clock.Set(time.Now())
		if err := f.s.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		sp, err := f.s.SpaceByName(ctx, "ville")
		if err != nil {
			t.Fatal(err)
		}
		cs, err := f.s.ListConsultations(ctx, sp.ID, models.ConsultationFilter{})
		if err != nil || len(cs) == 0 {
			t.Fatalf("demo consultations: %v", err)
		}
		ok := false
		for _, c := range cs {
			sheets, _ := f.s.Documents(ctx, c.ID, models.DocSheet)
			ws, _ := f.s.WorkshopContributions(ctx, c.ID, 0)
			_, synErr := f.s.SynthesisOf(ctx, c.ID, false)
			ok = ok || (len(sheets) > 0 && len(ws) > 0 && synErr == nil)
		}
		if !ok {
			t.Error("no demo consultation with an information sheet, a workshop contribution and a published synthesis")
		}
	})
}

func TestConsultationDraftDebatesStayOut(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.at(12)
		d, err := f.s.CreateDebate(ctx, f.mod, f.space, models.DebateInput{Question: "Which trees shall we plant?", Options: []string{"Oaks", "Limes"}, ConsultationID: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		items, err := f.s.ConsultationItems(ctx, f.c.ID, 0, 50)
		if err != nil || len(items) != 0 {
			t.Fatalf("a draft debate is listed: %v %+v", err, items)
		}
		if _, err := f.s.OpenDebate(ctx, f.mod, d.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CastVote(ctx, f.citizens[2].Actor, d.ID, []string{"Oaks"}); err != nil {
			t.Fatal(err)
		}
		items, _ = f.s.ConsultationItems(ctx, f.c.ID, 0, 50)
		st, err := f.s.ConsultationStatistics(ctx, f.c.ID)
		if err != nil || len(items) != 1 || items[0].Kind != "debate" || st.ByType["debate"] != 1 || st.ByType["vote"] != 1 || st.ParticipantsOnline != 2 {
			t.Errorf("open debate: %v items %+v stats %+v", err, items, st)
		}
	})
}
