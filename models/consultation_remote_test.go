package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestCopiesFollowTheOriginsPhases: copies of another instance's
// proposal, debate and petition that name its consultation refuse this
// instance's members' supports, votes, signatures and comments as the
// origin would (the information phase, then the synthesis phase), with the
// same reason and a link to the origin's page; a stale description does
// not move the phases back, one from another host is not believed, and a
// copy stored without its consultation learns it from a version that is
// not newer. Before, members took part on copies whatever the origin's
// phase, and the origin refused it afterwards.
func TestCopiesFollowTheOriginsPhases(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		day := 24 * time.Hour
		t0 := f.now.Add(day) // information until t0+10d, contribution until t0+30d, synthesis until t0+40d
		cons := func(updated time.Time, shift time.Duration) *models.RemoteConsultation {
			return &models.RemoteConsultation{URI: "https://other.example/consultations/3", URL: "https://other.example/consultations/3",
				Title: "Rethink &lt;the&gt; square", OpensAt: t0, ContributionAt: t0.Add(10*day + shift),
				SynthesisAt: t0.Add(30*day + shift), ClosesAt: t0.Add(40*day + shift), UpdatedAt: updated}
		}
		v1 := f.now.Add(-time.Hour)
		p, err := f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://other.example/p/1", Title: "Plant trees",
			ContentHTML: "<p>Shade</p>", AuthorID: origin.ID, Updated: v1, Consultation: cons(v1, 0)})
		if err != nil {
			t.Fatal(err)
		}
		d, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/2", Question: "Which trees?",
			Options: []string{"Oaks", "Limes"}, Updated: v1, Consultation: cons(v1, 0)})
		if err != nil {
			t.Fatal(err)
		}
		pe, err := f.s.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://other.example/pe/4", Title: "Keep the kiosk",
			ContentHTML: "<p>x</p>", AuthorID: origin.ID, Goal: 10, Updated: v1, Consultation: cons(v1, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if p.RemoteConsultationID == 0 || p.RemoteConsultationID != d.RemoteConsultationID || d.RemoteConsultationID != pe.RemoteConsultationID {
			t.Fatalf("one remote consultation for the three copies: %d %d %d", p.RemoteConsultationID, d.RemoteConsultationID, pe.RemoteConsultationID)
		}
		member := f.users[0].Actor
		participate := map[string]func() error{
			"support": func() error { _, err := f.s.Support(ctx, member, p.ID); return err },
			"vote":    func() error { _, err := f.s.CastVote(ctx, member, d.ID, []string{"Oaks"}); return err },
			"sign":    func() error { _, _, err := f.s.Sign(ctx, member, pe.ID, false); return err },
			"comment": func() error {
				_, err := f.s.CreateComment(ctx, member, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, Body: "Limes smell nice"})
				return err
			},
		}
		refused := func(what, phase string) {
			t.Helper()
			err := participate[what]()
			var pe *models.PhaseError
			if !errors.As(err, &pe) || !errors.Is(err, models.ErrClosed) || pe.Phase != phase ||
				pe.Consultation != "Rethink <the> square" || pe.URL != "https://other.example/consultations/3" {
				t.Errorf("%s in the %s phase: %v (%+v), want its PhaseError", what, phase, err, pe)
			}
		}

		f.now = t0.Add(day) // information
		for _, what := range []string{"support", "vote", "sign", "comment"} {
			refused(what, models.PhaseInformation)
		}
		if r, err := f.s.PhaseRefusal(ctx, d.ConsultationRef(), models.ActionVote); err != nil || r == nil || !r.Next.Equal(t0.Add(10*day)) {
			t.Errorf("the copy's page: %+v %v, want a refusal until the contribution phase", r, err)
		}
		// The origin's own comments on its objects, relayed to the copies,
		// are the origin's to accept: not refused here by its phases.
		if _, err := f.s.CreateComment(ctx, origin, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID,
			Body: "Welcome to the information phase"}); err != nil {
			t.Errorf("the origin's comment on the copy: %v", err)
		}

		t.Run("only the consultation's document changes it", func(t *testing.T) {
			// A copy naming another version changes nothing (another
			// account of the host could send one); the consultation's
			// document, fetched from its id, does: the origin moved the
			// contribution phase two days earlier (v2). A retried delivery
			// of the older version (v1) then moves nothing back.
			v2 := f.now
			if _, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/2", Question: "Which trees?",
				Options: []string{"Oaks", "Limes"}, Updated: v2, Consultation: cons(v2, -5*day)}); err != nil {
				t.Fatal(err)
			}
			if v, checked, ok, err := f.s.RemoteConsultationVersion(ctx, "https://other.example/consultations/3"); err != nil || !ok ||
				!v.Equal(time.Unix(0, 0)) || checked != nil {
				t.Errorf("version %v, checked %v (%v %v), want unconfirmed: a copy neither confirms nor changes the consultation", v, checked, ok, err)
			}
			if err := f.s.RefreshRemoteConsultation(ctx, "other.example", cons(v2, -2*day)); err != nil {
				t.Fatal(err)
			}
			if err := f.s.RefreshRemoteConsultation(ctx, "other.example", cons(v1.Add(time.Minute), 0)); err != nil {
				t.Fatal(err)
			}
			f.now = t0.Add(9 * day) // contribution by v2's dates, information by v1's
			for what, do := range participate {
				if err := do(); err != nil {
					t.Errorf("%s in the contribution phase: %v", what, err)
				}
			}
		})

		f.now = t0.Add(35 * day) // synthesis: comments still, nothing else
		if _, err := f.s.Unsupport(ctx, member, p.ID); !errors.Is(err, models.ErrClosed) {
			t.Errorf("support withdrawn in the synthesis phase: %v", err)
		}
		if _, err := f.s.Unsign(ctx, member, pe.ID); !errors.Is(err, models.ErrClosed) {
			t.Errorf("signature withdrawn in the synthesis phase: %v", err)
		}
		if _, err := f.s.CreateComment(ctx, member, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Thanks"}); err != nil {
			t.Errorf("comment in the synthesis phase: %v", err)
		}

		t.Run("a consultation on another host is not believed", func(t *testing.T) {
			forged := cons(f.now, 0)
			forged.URI = "https://evil.example/consultations/1"
			c, err := f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://other.example/p/9", Title: "Other",
				ContentHTML: "<p>x</p>", AuthorID: origin.ID, Updated: f.now, Consultation: forged})
			if err != nil || c.RemoteConsultationID != 0 {
				t.Fatalf("%+v %v, want the copy without the forged consultation", c, err)
			}
			// On other.example by its host, but read as evil.example's.
			userinfo := cons(f.now, 0)
			userinfo.URI = "https://evil.example@other.example/consultations/1"
			c, err = f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://other.example/p/13", Title: "Other",
				ContentHTML: "<p>x</p>", AuthorID: origin.ID, Updated: f.now, Consultation: userinfo})
			if err != nil || c.RemoteConsultationID != 0 {
				t.Fatalf("%+v %v, want the copy without a consultation id carrying user information", c, err)
			}
			// A page elsewhere: the notice links the id instead.
			elsewhere := cons(f.now, 0)
			elsewhere.URI, elsewhere.URL = "https://other.example/consultations/14", "https://evil.example/phish"
			c, err = f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://other.example/p/14", Title: "Other",
				ContentHTML: "<p>x</p>", AuthorID: origin.ID, Updated: f.now, Consultation: elsewhere})
			if err != nil || c.RemoteConsultationID == 0 {
				t.Fatalf("%+v %v", c, err)
			}
			if _, err := f.s.Unsupport(ctx, member, c.ID); err == nil {
				t.Fatal("withdrew a support never given")
			} else if pe := new(models.PhaseError); !errors.As(err, &pe) || pe.URL != elsewhere.URI {
				t.Errorf("refusal %v links %q, want the consultation's id %s", err, pe.URL, elsewhere.URI)
			}
			disordered := cons(f.now, 0)
			disordered.SynthesisAt = disordered.OpensAt.Add(-day)
			c, err = f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://other.example/p/10", Title: "Other",
				ContentHTML: "<p>x</p>", AuthorID: origin.ID, Updated: f.now, Consultation: disordered})
			if err != nil || c.RemoteConsultationID != 0 {
				t.Fatalf("%+v %v, want the copy without phases out of order", c, err)
			}
		})

		t.Run("a copy without its consultation learns it", func(t *testing.T) {
			at := f.now
			// Each kind's copy, stored at version at without a
			// consultation and then with rc (nil: none): the
			// consultation the copy then has.
			for kind, upsert := range map[string]func(rc *models.RemoteConsultation) (int64, error){
				"proposal": func(rc *models.RemoteConsultation) (int64, error) {
					c, err := f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://other.example/p/11", Title: "Later",
						ContentHTML: "<p>x</p>", AuthorID: origin.ID, Updated: at, Consultation: rc})
					if err != nil {
						return 0, err
					}
					return c.RemoteConsultationID, nil
				},
				"debate": func(rc *models.RemoteConsultation) (int64, error) {
					d, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/11",
						Question: "Later?", Options: []string{"Yes", "No"}, Updated: at, Consultation: rc})
					if err != nil {
						return 0, err
					}
					return d.RemoteConsultationID, nil
				},
				"petition": func(rc *models.RemoteConsultation) (int64, error) {
					c, err := f.s.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://other.example/pe/11", Title: "Later",
						ContentHTML: "<p>x</p>", AuthorID: origin.ID, Goal: 5, Updated: at, Consultation: rc})
					if err != nil {
						return 0, err
					}
					if rc == nil {
						return c.RemoteConsultationID, nil
					}
					if _, _, err := f.s.Sign(ctx, f.users[1].Actor, c.ID, false); !errors.Is(err, models.ErrClosed) {
						t.Errorf("signed in the synthesis phase: %v", err)
					}
					return c.RemoteConsultationID, nil
				},
			} {
				if rid, err := upsert(nil); err != nil || rid != 0 {
					t.Fatalf("%s: %d %v", kind, rid, err)
				}
				// The same version, now naming its consultation (an Update
				// after the consultation's dates changed).
				if rid, err := upsert(cons(v1, 0)); err != nil || rid != p.RemoteConsultationID {
					t.Errorf("%s: %d %v, want it linked to %d", kind, rid, err, p.RemoteConsultationID)
				}
			}
		})

		t.Run("a bogus first description is replaced by the document", func(t *testing.T) {
			// The first copy seen (say, from another account of the host)
			// names the consultation with the synthesis phase, a version a
			// year ahead and a withdrawal.
			bogus := cons(f.now.Add(365*day), -10*day) // closed since t0+30d
			bogus.URI = "https://other.example/consultations/8"
			w := f.now
			bogus.WithdrawnAt = &w
			c, err := f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://other.example/p/12", Title: "Skewed",
				ContentHTML: "<p>x</p>", AuthorID: origin.ID, Updated: f.now, Consultation: bogus})
			if err != nil {
				t.Fatal(err)
			}
			if r, err := f.s.PhaseRefusal(ctx, c.ConsultationRef(), models.ActionVote); err != nil || r == nil || r.Phase != models.PhaseClosed {
				t.Fatalf("from the description: %+v %v, want its (closed) dates, not its withdrawal", r, err)
			}
			// The consultation's document, a day old, says the
			// contribution phase is open: it replaces the description.
			real := cons(f.now.Add(-day), 0)
			real.URI = bogus.URI
			real.ContributionAt, real.SynthesisAt, real.ClosesAt = f.now.Add(-day), f.now.Add(day), f.now.Add(2*day)
			if err := f.s.RefreshRemoteConsultation(ctx, "other.example", real); err != nil {
				t.Fatal(err)
			}
			if r, err := f.s.PhaseRefusal(ctx, c.ConsultationRef(), models.ActionVote); err != nil || r != nil {
				t.Errorf("after the document: %+v %v, want votes open", r, err)
			}
			// A version from the future is taken as now: the origin's
			// next real version still applies.
			future := *real
			future.UpdatedAt, future.ClosesAt = f.now.Add(365*day), f.now.Add(3*day)
			if err := f.s.RefreshRemoteConsultation(ctx, "other.example", &future); err != nil {
				t.Fatal(err)
			}
			f.tick(time.Minute)
			next := *real
			next.UpdatedAt, next.SynthesisAt = f.now, f.now.Add(-time.Second)
			if err := f.s.RefreshRemoteConsultation(ctx, "other.example", &next); err != nil {
				t.Fatal(err)
			}
			if r, err := f.s.PhaseRefusal(ctx, c.ConsultationRef(), models.ActionVote); err != nil || r == nil || r.Phase != models.PhaseSynthesis {
				t.Errorf("the origin's version after one from the future: %+v %v, want its synthesis phase", r, err)
			}
		})

		t.Run("withdrawn", func(t *testing.T) {
			f.now = t0.Add(12 * day)
			if err := f.s.WithdrawRemoteConsultation(ctx, "https://other.example/consultations/3"); err != nil {
				t.Fatal(err)
			}
			withdrawn := func() {
				t.Helper()
				_, _, err := f.s.Sign(ctx, member, pe.ID, false)
				var e *models.PhaseError
				if !errors.As(err, &e) || e.Phase != models.PhaseClosed || e.URL != "" {
					t.Errorf("sign once withdrawn: %v (%+v), want closed, with no link to the gone page", err, e)
				}
			}
			withdrawn()
			// A document older than the withdrawal (a retried delivery)
			// does not reopen it; nor does a newer one that does not say
			// withdrawn: odn has no way to restore a consultation.
			if err := f.s.RefreshRemoteConsultation(ctx, "other.example", cons(f.now.Add(time.Minute), -2*day)); err != nil {
				t.Fatal(err)
			}
			withdrawn()
		})
	})
}

// TestClaimRemoteConsultations: the remote consultations to fetch again
// are those not withdrawn nor long closed, with copies here, not fetched
// for an hour; a claim leases them, so no node takes them again
// meanwhile; a fetched document creates no row for a consultation of
// which nothing is held here.
func TestClaimRemoteConsultations(t *testing.T) {
	const lease = 5 * time.Minute
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		day := 24 * time.Hour
		cons := func(n int, closes time.Time) *models.RemoteConsultation {
			return &models.RemoteConsultation{URI: fmt.Sprintf("https://other.example/consultations/%d", n),
				Title: "C", OpensAt: closes.Add(-2 * day), ContributionAt: closes.Add(-2 * day),
				SynthesisAt: closes.Add(-time.Hour), ClosesAt: closes, UpdatedAt: f.now.Add(-time.Minute)}
		}
		// 6 and 7: closed six and eight days ago.
		for n, closes := range []time.Time{f.now.Add(day), f.now.Add(day), f.now.Add(day), f.now.Add(-time.Minute), f.now.Add(day),
			f.now.Add(day), f.now.Add(-6 * day), f.now.Add(-8 * day)} {
			if n == 5 {
				continue // below
			}
			c := cons(n, closes)
			if _, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: fmt.Sprintf("https://other.example/d/%d", n),
				Question: "Q?", Options: []string{"Yes", "No"}, Updated: f.now, Consultation: c}); err != nil {
				t.Fatal(err)
			}
		}
		// 5: its only copy deleted by its origin.
		if _, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/5",
			Question: "Q?", Options: []string{"Yes", "No"}, Updated: f.now, Consultation: cons(5, f.now.Add(day))}); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteRemoteCopy(ctx, origin, "https://other.example/d/5"); err != nil {
			t.Fatal(err)
		}
		// 0: confirmed a moment ago; 1: two hours ago; 2: never; 3: closed a
		// minute ago, confirmed a moment ago; 4: withdrawn.
		// (Records made from copies are never checked; a withdrawal in a
		// copy's description is not believed: a 410 withdraws.)
		now := f.now
		for at, ns := range map[time.Time][]int{now: {0, 3}, now.Add(-2 * time.Hour): {1, 6, 7}} {
			f.now = at
			for _, n := range ns {
				if err := f.s.MarkRemoteConsultationChecked(ctx, fmt.Sprintf("https://other.example/consultations/%d", n)); err != nil {
					t.Fatal(err)
				}
			}
		}
		f.now = now
		if err := f.s.WithdrawRemoteConsultation(ctx, "https://other.example/consultations/4"); err != nil {
			t.Fatal(err)
		}
		due, err := f.s.ClaimRemoteConsultations(ctx, 10, lease)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range due {
			got = append(got, r.URI)
		}
		if want := []string{"https://other.example/consultations/1", "https://other.example/consultations/2",
			"https://other.example/consultations/6"}; !slices.Equal(got, want) {
			t.Errorf("due = %v, want %v", got, want)
		}
		// Claimed: not due again while leased, for this node or another.
		if again, err := f.s.ClaimRemoteConsultations(ctx, 10, lease); err != nil || len(again) != 0 {
			t.Errorf("claimed again at once: %+v %v", again, err)
		}

		newer := cons(1, f.now.Add(2*day))
		newer.UpdatedAt = f.now
		if err := f.s.RefreshRemoteConsultation(ctx, "other.example", cons(9, f.now.Add(day))); err != nil {
			t.Errorf("the document of a consultation held nowhere here: %v", err)
		}
		var n int
		if err := f.s.DB.NewRaw("SELECT count(*) FROM remote_consultations").Scan(ctx, &n); err != nil || n != 8 {
			t.Errorf("%d rows (%v), want 8: nothing created by a fetched document", n, err)
		}
		if err := f.s.RefreshRemoteConsultation(ctx, "other.example", newer); err != nil {
			t.Fatal(err)
		}
		f.now = f.now.Add(time.Hour)
		// An hour later: all but the withdrawn one and the one without
		// copies, the one closed a minute before included (its origin may
		// extend it).
		due, err = f.s.ClaimRemoteConsultations(ctx, 10, lease)
		got = got[:0]
		for _, r := range due {
			got = append(got, strings.TrimPrefix(r.URI, "https://other.example/consultations/"))
		}
		if want := []string{"0", "1", "2", "3", "6"}; err != nil || !slices.Equal(got, want) {
			t.Errorf("due an hour later: %v %v, want %v", got, err, want)
		}
	})
}

// TestRemoteConsultationLease: a claim is a lease, not a check. A record
// claimed and not settled (its node stopped mid-round, or ran out of
// time) is due again for any node once the lease ends, its last check
// unchanged; one whose origin gave no answer waits 15 minutes, then
// twice as long after each further silence, at most a day, its last
// check unchanged; an answer, even a document not to be believed, has it
// due again in 50 minutes and the count of silences reset. Before, the
// claim marked it checked: unasked for an hour whatever became of it, and
// an origin down asked every hour forever.
func TestRemoteConsultationLease(t *testing.T) {
	const lease = 5 * time.Minute
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		const uri = "https://other.example/consultations/1"
		day := 24 * time.Hour
		cons := &models.RemoteConsultation{URI: uri, Title: "C", OpensAt: f.now.Add(-day), ContributionAt: f.now.Add(-day),
			SynthesisAt: f.now.Add(10 * day), ClosesAt: f.now.Add(11 * day), UpdatedAt: f.now}
		if _, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/1",
			Question: "Q?", Options: []string{"Yes", "No"}, Updated: f.now, Consultation: cons}); err != nil {
			t.Fatal(err)
		}
		claimed := func() bool {
			t.Helper()
			due, err := f.s.ClaimRemoteConsultations(ctx, 10, lease)
			if err != nil {
				t.Fatal(err)
			}
			return len(due) == 1 && due[0].URI == uri
		}
		record := func() models.RemoteConsultation {
			t.Helper()
			var r models.RemoteConsultation
			if err := f.s.DB.NewSelect().Model(&r).Where("uri = ?", uri).Scan(ctx); err != nil {
				t.Fatal(err)
			}
			return r
		}
		// dueAfter: not claimed a second before wait, claimed at wait.
		dueAfter := func(what string, wait time.Duration) {
			t.Helper()
			f.now = f.now.Add(wait - time.Second)
			if claimed() {
				t.Errorf("%s: claimed again before %v", what, wait)
			}
			f.now = f.now.Add(time.Second)
			if !claimed() {
				t.Errorf("%s: not claimed again after %v", what, wait)
			}
		}

		if !claimed() {
			t.Fatal("a record never fetched is not due")
		}
		if r := record(); r.CheckedAt != nil {
			t.Errorf("claimed: checked at %v, want never (not fetched yet)", r.CheckedAt)
		}
		dueAfter("claimed, not settled", lease)

		// No answer: 15 minutes, doubling, at most a day.
		for i, wait := range []time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 4 * time.Hour,
			8 * time.Hour, 16 * time.Hour, day, day} {
			if err := f.s.RemoteConsultationUnanswered(ctx, uri); err != nil {
				t.Fatal(err)
			}
			if r := record(); r.CheckFailures != i+1 || r.CheckedAt != nil {
				t.Errorf("no answer %d: %d failures, checked at %v; want %d, never", i+1, r.CheckFailures, r.CheckedAt, i+1)
			}
			dueAfter(fmt.Sprintf("no answer %d", i+1), wait)
		}

		// An answer, here a document not to be believed (phases out of
		// order): checked now, due again in 50 minutes.
		bad := *cons
		bad.ClosesAt = bad.OpensAt.Add(-time.Hour)
		if err := f.s.RefreshRemoteConsultation(ctx, "other.example", &bad); err != nil {
			t.Fatal(err)
		}
		if r := record(); r.CheckFailures != 0 || r.CheckedAt == nil || !r.CheckedAt.Equal(f.now) {
			t.Errorf("answered: %d failures, checked at %v; want 0, %v", r.CheckFailures, r.CheckedAt, f.now)
		}
		dueAfter("answered", 50*time.Minute)
		if err := f.s.RemoteConsultationUnanswered(ctx, uri); err != nil {
			t.Fatal(err)
		}
		dueAfter("no answer after an answer", 15*time.Minute)
	})
}

// TestClaimRemoteConsultationsIsExclusive: concurrent claims (the nodes
// of a deployment) never lease the same record twice, and take at most
// five of one origin each.
func TestClaimRemoteConsultationsIsExclusive(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		const perOrigin = 8
		for _, host := range []string{"a.example", "b.example", "c.example"} {
			origin := f.remote(t, "town", host)
			for n := range perOrigin {
				c := &models.RemoteConsultation{URI: fmt.Sprintf("https://%s/consultations/%d", host, n), Title: "C",
					OpensAt: f.now, ContributionAt: f.now, SynthesisAt: f.now.Add(time.Hour), ClosesAt: f.now.Add(2 * time.Hour)}
				if _, err := f.s.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: fmt.Sprintf("https://%s/d/%d", host, n),
					Question: "Q?", Options: []string{"Yes", "No"}, Updated: f.now, Consultation: c}); err != nil {
					t.Fatal(err)
				}
			}
		}
		var mu sync.Mutex
		seen := map[int64]int{}
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Go(func() {
				for {
					due, err := f.s.ClaimRemoteConsultations(ctx, 10, time.Minute)
					if err != nil {
						t.Error(err)
						return
					}
					if len(due) == 0 {
						return
					}
					per := map[string]int{}
					mu.Lock()
					for _, r := range due {
						if prev, dup := seen[r.ID]; dup {
							t.Errorf("%s claimed by %d and %d", r.URI, prev, w)
						}
						seen[r.ID] = w
						if per[r.Origin]++; per[r.Origin] > 5 {
							t.Errorf("claim of %d of %s", per[r.Origin], r.Origin)
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(seen) != 3*perOrigin {
			t.Errorf("claimed %d records, want %d", len(seen), 3*perOrigin)
		}
	})
}
