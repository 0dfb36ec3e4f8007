package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// versioned is one editable thing for TestEditVersion: edit saves text
// from version want (0: any) and returns the new version; read returns
// the stored text and version.
type versioned struct {
	name string
	edit func(want int64, text string) (int64, error)
	read func() (string, int64)
}

// TestEditVersion: every editable thing starts at version 1, each edit
// adds 1, and an edit made from a version that is no longer the current
// one is refused with ErrEditConflict and changes nothing, while the
// current version and no version (0) are accepted. The clock is fixed, so
// every edit has the same updated_at: a timestamp could not tell them
// apart.
func TestEditVersion(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		for _, v := range editables(t, f) {
			t.Run(v.name, func(t *testing.T) {
				if _, ver := v.read(); ver != 1 {
					t.Fatalf("new: version %d, want 1", ver)
				}
				ver, err := v.edit(1, "First edit, from version one.")
				if err != nil || ver != 2 {
					t.Fatalf("edit from the current version: %d %v", ver, err)
				}
				_, err = v.edit(1, "Second edit, from version one too.")
				if !errors.Is(err, models.ErrEditConflict) || !errors.Is(err, models.ErrConflict) {
					t.Fatalf("edit from a stale version: %v, want ErrEditConflict", err)
				}
				if c, ok := errors.AsType[*models.EditConflict](err); !ok || c.Current != 2 {
					t.Fatalf("the refusal tells version %+v, want the current one, 2", c)
				}
				if text, ver := v.read(); text != "First edit, from version one." || ver != 2 {
					t.Fatalf("after the refused edit: %q version %d, want the first edit's, version 2", text, ver)
				}
				if ver, err = v.edit(0, "An edit that names no version."); err != nil || ver != 3 {
					t.Fatalf("edit without a version: %d %v", ver, err)
				}
				if ver, err = v.edit(3, "An edit from version three."); err != nil || ver != 4 {
					t.Fatalf("edit from version 3: %d %v", ver, err)
				}
				if text, ver := v.read(); text != "An edit from version three." || ver != 4 {
					t.Fatalf("stored: %q version %d", text, ver)
				}
			})
		}
	})
}

// editables makes one of each editable thing in f's space.
func editables(t *testing.T, f *civicFixture) []versioned {
	t.Helper()
	ctx := context.Background()
	s, ann := f.s, f.users[0]
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	p, err := s.CreateProposal(ctx, ann.Actor, "town", models.ProposalInput{Title: "Plant oaks", Body: "On the square."})
	must(err)
	c, err := s.CreateComment(ctx, ann.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Yes."})
	must(err)
	d := f.debate(t, models.DebateInput{}, false)
	n, err := s.PublishNews(ctx, f.mod, "town", models.NewsInput{Title: "Workshop", Body: "Come."})
	must(err)
	day := 24 * time.Hour
	cin := models.ConsultationInput{Title: "The square", Summary: "What square?", Body: "Tell us.",
		OpensAt: f.now, ContributionAt: f.now.Add(day), SynthesisAt: f.now.Add(10 * day), ClosesAt: f.now.Add(20 * day)}
	cons, err := s.CreateConsultation(ctx, f.mod, "town", cin)
	must(err)
	mayor := f.users[1]
	must(s.SetDecider(ctx, nil, mayor.Username, true))
	mayor.Decider = true
	pe, err := s.CreatePetition(ctx, ann.Actor, "town", models.PetitionInput{Title: "Save the kiosk", Body: "It must stay.", Addressee: mayor.Username, Goal: 10})
	must(err)
	u, err := s.PostPetitionUpdate(ctx, ann.Actor, pe.ID, "We met the mayor.")
	must(err)
	_, err = s.RespondPetition(ctx, mayor, pe.ID, "It stays.")
	must(err)
	return []versioned{
		{"proposal", func(want int64, text string) (int64, error) {
			got, err := s.UpdateProposal(ctx, ann.Actor, p.ID, models.ProposalInput{Title: "Plant oaks", Body: text, IfVersion: want})
			return version(got, err, func() int64 { return got.Version })
		}, func() (string, int64) {
			got, err := s.ProposalByID(ctx, p.ID)
			must(err)
			return got.Body, got.Version
		}},
		{"comment", func(want int64, text string) (int64, error) {
			got, err := s.EditComment(ctx, ann.Actor, c.ID, text, want)
			return version(got, err, func() int64 { return got.Version })
		}, func() (string, int64) {
			got, err := s.CommentByID(ctx, c.ID)
			must(err)
			return got.Body, got.Version
		}},
		{"debate", func(want int64, text string) (int64, error) {
			cur, err := s.DebateByID(ctx, d.ID)
			must(err)
			in := cur.Input()
			in.Description, in.IfVersion = text, want
			got, err := s.UpdateDebate(ctx, f.mod, d.ID, in)
			return version(got, err, func() int64 { return got.Version })
		}, func() (string, int64) {
			got, err := s.DebateByID(ctx, d.ID)
			must(err)
			return got.Description, got.Version
		}},
		{"news", func(want int64, text string) (int64, error) {
			got, err := s.UpdateNews(ctx, f.mod, n.ID, models.NewsInput{Title: "Workshop", Body: text, IfVersion: want})
			return version(got, err, func() int64 { return got.Version })
		}, func() (string, int64) {
			got, err := s.NewsByID(ctx, n.ID)
			must(err)
			return got.Body, got.Version
		}},
		{"consultation", func(want int64, text string) (int64, error) {
			in := cin
			in.Body, in.IfVersion = text, want
			got, err := s.UpdateConsultation(ctx, f.mod, cons.ID, in)
			return version(got, err, func() int64 { return got.Version })
		}, func() (string, int64) {
			got, err := s.ConsultationByID(ctx, cons.ID)
			must(err)
			return got.Body, got.Version
		}},
		{"space", func(want int64, text string) (int64, error) {
			got, err := s.UpdateSpace(ctx, f.admin, "town", models.SpaceInput{Kind: models.KindCity, Title: "Town", Description: text, IfVersion: want})
			return version(got, err, func() int64 { return got.Version })
		}, func() (string, int64) {
			got, err := s.SpaceByName(ctx, "town")
			must(err)
			return got.Description, got.Version
		}},
		{"petition update", func(want int64, text string) (int64, error) {
			got, err := s.EditPetitionUpdate(ctx, ann, pe.ID, u.ID, text, want)
			return version(got, err, func() int64 { return got.Version })
		}, func() (string, int64) {
			got, err := s.PetitionUpdateByID(ctx, pe.ID, u.ID)
			must(err)
			return got.Body, got.Version
		}},
		{"petition response", func(want int64, text string) (int64, error) {
			got, err := s.EditPetitionResponse(ctx, mayor, pe.ID, text, want)
			return version(got, err, func() int64 { return got.ResponseVersion })
		}, func() (string, int64) {
			got, err := s.PetitionByID(ctx, pe.ID)
			must(err)
			return got.Response, got.ResponseVersion
		}},
	}
}

// version is the version an edit returned, or its error.
func version[T any](got *T, err error, v func() int64) (int64, error) {
	if err != nil {
		return 0, err
	}
	return v(), nil
}

// TestEditVersionConcurrent: edits sent at once from the same version
// (two moderators saving one news post, an author's two tabs) are not all
// applied: the check and the write are one step, so exactly one wins and
// the others are refused with ErrEditConflict, and the stored text is the
// winner's.
func TestEditVersionConcurrent(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		n, err := f.s.PublishNews(ctx, f.mod, "town", models.NewsInput{Title: "Workshop", Body: "Come."})
		if err != nil {
			t.Fatal(err)
		}
		const editors = 6
		errs := make(chan error, editors)
		won := make(chan string, editors)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range editors {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				body := fmt.Sprintf("Edit number %d.", i)
				_, err := f.s.UpdateNews(ctx, f.mod, n.ID, models.NewsInput{Title: "Workshop", Body: body, IfVersion: n.Version})
				if err == nil {
					won <- body
				}
				errs <- err
			}()
		}
		close(start)
		wg.Wait()
		close(errs)
		close(won)
		wins, conflicts := 0, 0
		for err := range errs {
			switch {
			case err == nil:
				wins++
			case errors.Is(err, models.ErrEditConflict):
				conflicts++
			default:
				t.Errorf("edit: %v", err)
			}
		}
		if wins != 1 || conflicts != editors-1 {
			t.Fatalf("%d edits applied and %d refused, want 1 and %d", wins, conflicts, editors-1)
		}
		got, err := f.s.NewsByID(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if winner := <-won; got.Body != winner || got.Version != n.Version+1 {
			t.Errorf("stored %q version %d, want the winner's %q at version %d", got.Body, got.Version, winner, n.Version+1)
		}
	})
}

// TestEditVersionWaitsForAnEditInFlight: an edit whose version check
// happens while another edit of the same row is in flight (its
// transaction open, the row written, not yet committed) waits for it and
// then sees its version, and is refused; it does not check against the
// version before and then overwrite the other edit once it commits
// (which a read of the version without the row lock would do on
// PostgreSQL).
func TestEditVersionWaitsForAnEditInFlight(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		n, err := f.s.PublishNews(ctx, f.mod, "town", models.NewsInput{Title: "Workshop", Body: "Come."})
		if err != nil {
			t.Fatal(err)
		}
		other, err := f.s.DB.BeginTx(ctx, nil) // another editor's transaction
		if err != nil {
			t.Fatal(err)
		}
		defer other.Rollback() //nolint:errcheck // committed below
		if _, err := other.NewRaw("UPDATE news SET body = ?, version = version + 1 WHERE id = ?", "The other edit.", n.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() {
			_, err := f.s.UpdateNews(ctx, f.mod, n.ID, models.NewsInput{Title: "Workshop", Body: "This edit.", IfVersion: n.Version})
			done <- err
		}()
		select {
		case err := <-done:
			t.Fatalf("the edit did not wait for the one in flight: %v", err)
		case <-time.After(300 * time.Millisecond):
		}
		if err := other.Commit(); err != nil {
			t.Fatal(err)
		}
		if err := <-done; !errors.Is(err, models.ErrEditConflict) {
			t.Fatalf("edit from the version before the one in flight: %v, want ErrEditConflict", err)
		}
		got, err := f.s.NewsByID(ctx, n.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Body != "The other edit." || got.Version != n.Version+1 {
			t.Errorf("stored %q version %d, want the other edit's at version %d", got.Body, got.Version, n.Version+1)
		}
	})
}
