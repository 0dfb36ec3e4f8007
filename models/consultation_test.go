package models_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// consClock is a settable fake clock for consultation tests.
type consClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *consClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *consClock) Set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// consT0 is when test consultations open (information phase).
var consT0 = time.Date(2027, 3, 1, 9, 0, 0, 0, time.UTC)

// consFixture is a space with a moderator and citizens, and one
// consultation: information [T0, T0+10d), contribution [T0+10d, T0+30d),
// synthesis [T0+30d, T0+40d), closed after.
type consFixture struct {
	s        *models.Store
	clock    *consClock
	mod      *models.Account
	citizens []*models.Account
	space    *models.Space
	c        *models.Consultation
}

func (f *consFixture) at(days int) { f.clock.Set(consT0.Add(time.Duration(days) * 24 * time.Hour)) }

func consEach(t *testing.T, fn func(t *testing.T, f *consFixture)) {
	clock := &consClock{t: consT0.Add(-24 * time.Hour)}
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		clock.Set(consT0.Add(-24 * time.Hour))
		fn(t, newConsFixture(t, s, clock))
	}, models.WithClock(clock.Now), models.WithDataDir(t.TempDir()))
}

func newConsFixture(t *testing.T, s *models.Store, clock *consClock) *consFixture {
	t.Helper()
	ctx := context.Background()
	f := &consFixture{s: s, clock: clock}
	var err error
	f.mod, err = s.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "long enough password", Role: models.RoleModerator, Email: "modo@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"ana", "ben", "cleo"} {
		a, err := s.CreateAccount(ctx, models.NewAccount{Username: n, Password: "long enough password", Email: n + "@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		f.citizens = append(f.citizens, a)
	}
	if f.space, err = s.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity}); err != nil {
		t.Fatal(err)
	}
	f.c, err = s.CreateConsultation(ctx, f.mod, "town", consInput(consT0))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func consInput(t0 time.Time) models.ConsultationInput {
	d := 24 * time.Hour
	return models.ConsultationInput{Title: "Rethink the market square", Summary: "What square do we want?", Body: "**Tell us.**",
		OpensAt: t0, ContributionAt: t0.Add(10 * d), SynthesisAt: t0.Add(30 * d), ClosesAt: t0.Add(40 * d)}
}

func TestConsultationPhaseAt(t *testing.T) {
	in := consInput(consT0)
	c := &models.Consultation{Title: "x", OpensAt: in.OpensAt, ContributionAt: in.ContributionAt, SynthesisAt: in.SynthesisAt, ClosesAt: in.ClosesAt}
	d := 24 * time.Hour
	for _, tc := range []struct {
		at                     time.Duration
		phase                  string
		propose, comment, vote bool
	}{
		{-d, models.PhaseUpcoming, false, false, false},
		{0, models.PhaseInformation, false, false, false},
		{10 * d, models.PhaseContribution, true, true, true},
		{30*d - time.Second, models.PhaseContribution, true, true, true},
		{30 * d, models.PhaseSynthesis, false, true, false},
		{40 * d, models.PhaseClosed, false, false, false},
	} {
		now := consT0.Add(tc.at)
		if got := c.PhaseAt(now); got != tc.phase {
			t.Errorf("at %v: phase %s, want %s", tc.at, got, tc.phase)
		}
		for action, want := range map[string]bool{models.ActionPropose: tc.propose, models.ActionComment: tc.comment, models.ActionVote: tc.vote} {
			err := c.Check(now, action)
			if (err == nil) != want {
				t.Errorf("at %v (%s): %s allowed=%v, want %v (%v)", tc.at, tc.phase, action, err == nil, want, err)
			}
			if err != nil && !errors.Is(err, models.ErrClosed) {
				t.Errorf("phase refusal %v is not ErrClosed", err)
			}
		}
	}
	var pe *models.PhaseError
	if err := c.Check(consT0, models.ActionPropose); !errors.As(err, &pe) || !pe.Next.Equal(in.ContributionAt) {
		t.Errorf("information phase refusal should say when proposals open: %v", err)
	}
}

func TestConsultationPhasesFromAPI(t *testing.T) {
	d := 24 * time.Hour
	ptr := func(t time.Time) *time.Time { return &t }
	var in models.ConsultationInput
	err := in.PhasesToInput([]models.Phase{
		{Name: "information", StartsAt: consT0, EndsAt: ptr(consT0.Add(5 * d))},
		{Name: "contribution", StartsAt: consT0.Add(5 * d), EndsAt: ptr(consT0.Add(20 * d))},
		{Name: "synthesis", StartsAt: consT0.Add(20 * d)},
		{Name: "closed", StartsAt: consT0.Add(25 * d)},
	})
	if err != nil || !in.OpensAt.Equal(consT0) || !in.SynthesisAt.Equal(consT0.Add(20*d)) || !in.ClosesAt.Equal(consT0.Add(25*d)) {
		t.Fatalf("phases: %v %+v", err, in)
	}
	in = models.ConsultationInput{}
	if err := in.PhasesToInput([]models.Phase{{Name: "contribution", StartsAt: consT0, EndsAt: ptr(consT0.Add(d))}}); err != nil ||
		!in.OpensAt.Equal(consT0) || !in.ClosesAt.Equal(consT0.Add(d)) {
		t.Fatalf("contribution only: %v %+v", err, in)
	}
	for name, phases := range map[string][]models.Phase{
		"no contribution": {{Name: "information", StartsAt: consT0}},
		"unknown":         {{Name: "voting", StartsAt: consT0}, {Name: "contribution", StartsAt: consT0}},
		"gap":             {{Name: "contribution", StartsAt: consT0, EndsAt: ptr(consT0.Add(d))}, {Name: "synthesis", StartsAt: consT0.Add(2 * d)}},
	} {
		in := models.ConsultationInput{}
		if err := in.PhasesToInput(phases); err == nil {
			t.Errorf("%s: accepted %+v", name, in)
		}
	}
}

func TestConsultationCRUD(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		if _, err := f.s.CreateConsultation(ctx, f.citizens[0], "town", consInput(consT0)); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("citizen created a consultation: %v", err)
		}
		bad := consInput(consT0)
		bad.SynthesisAt = bad.OpensAt
		var ve *models.ValidationError
		if _, err := f.s.CreateConsultation(ctx, f.mod, "town", bad); !errors.As(err, &ve) || ve.Fields["phases"] == "" {
			t.Errorf("phases out of order accepted: %v", err)
		}
		bad = consInput(consT0)
		one := int64(1)
		bad.BannerID = &one
		if _, err := f.s.CreateConsultation(ctx, f.mod, "town", bad); !errors.As(err, &ve) || ve.Fields["banner_alt"] == "" {
			t.Errorf("banner without alt text accepted: %v", err)
		}
		if f.c.URI != f.s.URLs.ConsultationURI(f.c.ID) || f.c.BodyHTML != "<p><strong>Tell us.</strong></p>" {
			t.Errorf("consultation %q %q", f.c.URI, f.c.BodyHTML)
		}
		list, err := f.s.ListConsultations(ctx, f.space.ID, models.ConsultationFilter{Current: true})
		if err != nil || len(list) != 1 {
			t.Fatalf("current consultations: %v %d", err, len(list))
		}
		in := consInput(consT0)
		in.Title = "Rethink the square"
		if c, err := f.s.UpdateConsultation(ctx, f.mod, f.c.ID, in); err != nil || c.Title != in.Title {
			t.Fatalf("update: %v", err)
		}
		f.at(45)
		if list, _ := f.s.ListConsultations(ctx, f.space.ID, models.ConsultationFilter{Current: true}); len(list) != 0 {
			t.Errorf("closed consultation listed as current")
		}
		if err := f.s.DeleteConsultation(ctx, f.mod, f.c.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.ConsultationByID(ctx, f.c.ID); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("deleted consultation still found: %v", err)
		}
	})
}

func TestConsultationThemesAndDocuments(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		th, err := f.s.AddTheme(ctx, f.mod, f.c.ID, models.ThemeInput{Name: "Trees"})
		if err != nil {
			t.Fatal(err)
		}
		var ve *models.ValidationError
		if _, err := f.s.AddTheme(ctx, f.mod, f.c.ID, models.ThemeInput{Name: "Trees"}); !errors.As(err, &ve) {
			t.Errorf("duplicate theme: %v", err)
		}
		if _, err := f.s.AddTheme(ctx, f.citizens[0], f.c.ID, models.ThemeInput{Name: "Cars"}); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("citizen added a theme: %v", err)
		}
		if _, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocSheet, Title: "The project", Body: "<script>alert(1)</script>\n\n*ok*"}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFAQ, Title: "Who?", Body: "Anyone."}); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFile, Title: "Plan"}); !errors.As(err, &ve) {
			t.Errorf("file document without file: %v", err)
		}
		docs, err := f.s.Documents(ctx, f.c.ID, models.DocSheet)
		if err != nil || len(docs) != 1 || strings.Contains(docs[0].BodyHTML, "<script") || !strings.Contains(docs[0].BodyHTML, "<em>ok</em>") {
			t.Fatalf("sheets: %v %+v", err, docs[0])
		}
		if err := f.s.DeleteTheme(ctx, f.mod, th.ID); err != nil {
			t.Fatal(err)
		}
		if ts, _ := f.s.Themes(ctx, f.c.ID); len(ts) != 0 {
			t.Errorf("theme not deleted")
		}
	})
}

func TestWorkshopContributionRules(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		in := models.WorkshopInput{Title: "Town hall workshop", Body: "More trees.", HeldAt: consT0.Add(12 * 24 * time.Hour), Place: "Town hall", Participants: 12}
		f.at(5) // information phase
		if _, err := f.s.RecordWorkshopContribution(ctx, f.mod, f.c.ID, in); err == nil {
			t.Error("workshop recorded before the contribution phase")
		}
		f.at(11)
		var ve *models.ValidationError
		if _, err := f.s.RecordWorkshopContribution(ctx, f.mod, f.c.ID, in); !errors.As(err, &ve) || ve.Fields["held_at"] == "" {
			t.Errorf("future workshop accepted: %v", err)
		}
		f.at(13)
		if _, err := f.s.RecordWorkshopContribution(ctx, f.citizens[0], f.c.ID, in); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("citizen recorded a workshop: %v", err)
		}
		w, err := f.s.RecordWorkshopContribution(ctx, f.mod, f.c.ID, in)
		if err != nil {
			t.Fatal(err)
		}
		if w.URI == "" || w.Participants != 12 {
			t.Errorf("workshop %+v", w)
		}
		f.at(35) // synthesis: paper sheets may still be typed in
		in.Title = "Second workshop"
		if _, err := f.s.RecordWorkshopContribution(ctx, f.mod, f.c.ID, in); err != nil {
			t.Errorf("synthesis phase refused a workshop: %v", err)
		}
		f.at(41)
		if _, err := f.s.RecordWorkshopContribution(ctx, f.mod, f.c.ID, in); !errors.Is(err, models.ErrClosed) {
			t.Errorf("closed consultation took a workshop: %v", err)
		}
	})
}

func TestNews(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		if _, err := f.s.PublishNews(ctx, f.citizens[0], "town", models.NewsInput{Title: "Hello", Body: "x"}); !errors.Is(err, models.ErrForbidden) {
			t.Errorf("citizen posted news: %v", err)
		}
		n, err := f.s.PublishNews(ctx, f.mod, "town", models.NewsInput{Title: "Workshop on Saturday", Body: "Come!", Consultation: f.c.ID})
		if err != nil {
			t.Fatal(err)
		}
		if n.URI != f.s.URLs.NewsURI(n.ID) {
			t.Errorf("news uri %s", n.URI)
		}
		other, err := f.s.CreateSpace(ctx, nil, models.SpaceInput{Name: "village", Kind: models.KindCity})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.PublishNews(ctx, f.mod, other.Name, models.NewsInput{Title: "Cross", Body: "x", Consultation: f.c.ID}); err == nil {
			t.Error("news linked to another space's consultation")
		}
		list, err := f.s.ListNews(ctx, f.space.ID, models.NewsFilter{})
		if err != nil || len(list) != 1 || list[0].Author == nil {
			t.Fatalf("news: %v %d", err, len(list))
		}
		evs, _ := f.s.PendingEvents(ctx, 100)
		found := false
		for _, e := range evs {
			found = found || (e.Kind == models.EventNewsPublished && e.ObjectID == n.ID && e.SpaceID == f.space.ID)
		}
		if !found {
			t.Error("no news.published event")
		}
		if err := f.s.DeleteNews(ctx, f.mod, n.ID); err != nil {
			t.Fatal(err)
		}
		if list, _ := f.s.ListNews(ctx, f.space.ID, models.NewsFilter{}); len(list) != 0 {
			t.Error("deleted news listed")
		}
	})
}

// TestDocumentsWithFiles: a list of documents gets each one's own file
// (loaded for the whole list at once); a document without a file has none.
func TestDocumentsWithFiles(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		want := map[string]string{}
		for _, title := range []string{"Plan", "Budget"} {
			u, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, strings.ToLower(title)+".pdf", bytes.NewReader(uploadPDF))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFile, Title: title, UploadID: &u.ID}); err != nil {
				t.Fatal(err)
			}
			want[title] = u.Key
		}
		if _, err := f.s.AddDocument(ctx, f.mod, f.c.ID, models.DocumentInput{Kind: models.DocFAQ, Title: "Who?", Body: "Anyone."}); err != nil {
			t.Fatal(err)
		}
		docs, err := f.s.Documents(ctx, f.c.ID, "")
		if err != nil || len(docs) != 3 {
			t.Fatalf("documents: %v %d", err, len(docs))
		}
		for _, d := range docs {
			switch {
			case d.Kind == models.DocFAQ && d.Upload != nil:
				t.Errorf("%s: a file it does not have", d.Title)
			case d.Kind == models.DocFile && (d.Upload == nil || d.Upload.Key != want[d.Title]):
				t.Errorf("%s: file %+v, want key %s", d.Title, d.Upload, want[d.Title])
			}
		}
	})
}

// TestDeleteConsultationTombstonesItsSynthesis: deleting a consultation
// leaves a tombstone of its published synthesis (its id answers 410 and
// is never re-created); a draft synthesis, never public, leaves none.
func TestDeleteConsultationTombstonesItsSynthesis(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		f.at(31)
		syn, err := f.s.PublishSynthesis(ctx, f.mod, f.c.ID, "We heard you.")
		if err != nil {
			t.Fatal(err)
		}
		draft, err := f.s.CreateConsultation(ctx, f.mod, "town", consInput(consT0))
		if err != nil {
			t.Fatal(err)
		}
		draftSyn, err := f.s.SaveSynthesis(ctx, f.mod, draft.ID, "Not yet.")
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range []int64{f.c.ID, draft.ID} {
			if err := f.s.DeleteConsultation(ctx, f.mod, id); err != nil {
				t.Fatal(err)
			}
		}
		if ts, err := f.s.TombstoneByURI(ctx, syn.URI); err != nil || ts.Type != "Note" || ts.ActorURI != f.space.Actor.URI {
			t.Errorf("tombstone of the published synthesis: %+v, %v", ts, err)
		}
		if _, err := f.s.TombstoneByURI(ctx, draftSyn.URI); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("a draft synthesis was tombstoned: %v", err)
		}
	})
}

// TestUpdateConsultationBanner: the consultation an edit returns carries
// the banner it now has: the new image, or none once removed (it kept
// the former one, which the API then showed).
func TestUpdateConsultationBanner(t *testing.T) {
	consEach(t, func(t *testing.T, f *consFixture) {
		ctx := context.Background()
		u, err := f.s.SaveUpload(ctx, f.mod, f.space.ID, "square.png", bytes.NewReader(imagemetatest.PNG()))
		if err != nil {
			t.Fatal(err)
		}
		in := consInput(consT0)
		for _, tc := range []struct {
			name   string
			banner *int64
			alt    string
		}{
			{"set", &u.ID, "The square"},
			{"removed", nil, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				in.BannerID, in.BannerAlt = tc.banner, tc.alt
				c, err := f.s.UpdateConsultation(ctx, f.mod, f.c.ID, in)
				if err != nil {
					t.Fatal(err)
				}
				if (c.Banner != nil) != (tc.banner != nil) || c.Banner != nil && c.Banner.ID != *tc.banner {
					t.Errorf("banner %+v, want upload %v", c.Banner, tc.banner)
				}
			})
		}
	})
}
