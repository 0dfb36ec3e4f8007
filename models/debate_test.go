package models_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// debate creates a debate in the fixture's space, opened unless draft.
func (f *civicFixture) debate(t *testing.T, in models.DebateInput, open bool) *models.Debate {
	t.Helper()
	ctx := context.Background()
	if in.Question == "" {
		in.Question = "Which colour for the bikes?"
	}
	if in.Options == nil {
		in.Options = []string{"Red", "Green", "Blue"}
	}
	d, err := f.s.CreateDebate(ctx, f.mod, f.space, in)
	if err != nil {
		t.Fatal(err)
	}
	if open {
		if d, err = f.s.OpenDebate(ctx, f.mod, d.ID); err != nil {
			t.Fatal(err)
		}
	}
	return d
}

func TestCreateDebateValidation(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		past, future := f.now.Add(-time.Hour), f.now.Add(time.Hour)
		long := strings.Repeat("x", 101)
		many := make([]string, 21)
		for i := range many {
			many[i] = fmt.Sprint("option ", i)
		}
		cases := []struct {
			name  string
			in    models.DebateInput
			field string
		}{
			{"short question", models.DebateInput{Question: "Why", Options: []string{"a", "b"}}, "question"},
			{"long question", models.DebateInput{Question: strings.Repeat("q", 201), Options: []string{"a", "b"}}, "question"},
			{"one option", models.DebateInput{Question: "Which one?", Options: []string{"a", "  "}}, "options"},
			{"too many options", models.DebateInput{Question: "Which one?", Options: many}, "options"},
			{"duplicate options", models.DebateInput{Question: "Which one?", Options: []string{"Yes", "yes "}}, "options"},
			{"long option", models.DebateInput{Question: "Which one?", Options: []string{"a", long}}, "options"},
			{"closes in the past", models.DebateInput{Question: "Which one?", Options: []string{"a", "b"}, ClosesAt: &past}, "closes_at"},
			{"closes before it opens", models.DebateInput{Question: "Which one?", Options: []string{"a", "b"}, OpensAt: &future, ClosesAt: &future}, "closes_at"},
			{"bad visibility", models.DebateInput{Question: "Which one?", Options: []string{"a", "b"}, ResultsVisibility: "never"}, "results_visibility"},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				_, err := f.s.CreateDebate(context.Background(), f.mod, f.space, tc.in)
				var ve *models.ValidationError
				if !errors.As(err, &ve) || ve.Fields[tc.field] == "" {
					t.Fatalf("want a validation error on %s, got %v", tc.field, err)
				}
			})
		}
		t.Run("member may not create", func(t *testing.T) {
			_, err := f.s.CreateDebate(context.Background(), f.users[0], f.space, models.DebateInput{Question: "Which one?", Options: []string{"a", "b"}})
			if !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("defaults", func(t *testing.T) {
			d := f.debate(t, models.DebateInput{Question: "  Which one?  ", Options: []string{" a  b ", "c"}}, false)
			if d.Current != models.DebateDraft || d.Question != "Which one?" || d.Options[0] != "a b" ||
				d.ResultsVisibility != models.ResultsLive || d.URI != "https://town.example/d/"+fmt.Sprint(d.ID) {
				t.Fatalf("%+v", d)
			}
		})
	})
}

func TestDebatePhases(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		voter := f.users[0].Actor
		draft := f.debate(t, models.DebateInput{}, false)
		closesSoon := f.now.Add(time.Hour)
		timed := f.debate(t, models.DebateInput{ClosesAt: &closesSoon}, true)
		opensSoon, closesLater := f.now.Add(time.Minute), f.now.Add(2*time.Hour)
		scheduled := f.debate(t, models.DebateInput{OpensAt: &opensSoon, ClosesAt: &closesLater}, false)

		cases := []struct {
			name  string
			setup func()
			d     *models.Debate
			want  error
		}{
			{"draft refuses", nil, draft, models.ErrClosed},
			{"scheduled refuses before opens_at", nil, scheduled, models.ErrClosed},
			{"open accepts", nil, timed, nil},
			{"scheduled opens by itself", func() { f.tick(2 * time.Minute) }, scheduled, nil},
			{"closes_at passed refuses", func() { f.tick(time.Hour) }, timed, models.ErrClosed},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				if tc.setup != nil {
					tc.setup()
				}
				_, err := f.s.CastVote(ctx, voter, tc.d.ID, []string{"Red"})
				if !errors.Is(err, tc.want) {
					t.Fatalf("got %v, want %v", err, tc.want)
				}
			})
		}
		t.Run("closed message is clear", func(t *testing.T) {
			_, err := f.s.CastVote(ctx, voter, timed.ID, []string{"Red"})
			if err == nil || !strings.Contains(err.Error(), "closed") {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("member may not open", func(t *testing.T) {
			if _, err := f.s.OpenDebate(ctx, f.users[1], draft.ID); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("moderator opens then closes", func(t *testing.T) {
			d, err := f.s.OpenDebate(ctx, f.mod, draft.ID)
			if err != nil || !d.IsOpen() {
				t.Fatal(d, err)
			}
			if _, err := f.s.CastVote(ctx, voter, draft.ID, []string{"Blue"}); err != nil {
				t.Fatal(err)
			}
			if d, err = f.s.CloseDebate(ctx, f.mod, draft.ID); err != nil || !d.IsClosed() || d.ClosedAt == nil {
				t.Fatal(d, err)
			}
			if _, err := f.s.CastVote(ctx, voter, draft.ID, []string{"Red"}); !errors.Is(err, models.ErrClosed) {
				t.Fatalf("vote after close: %v", err)
			}
			if _, err := f.s.OpenDebate(ctx, f.mod, draft.ID); !errors.Is(err, models.ErrClosed) {
				t.Fatalf("reopen: %v", err)
			}
		})
		t.Run("settle records time-made phases", func(t *testing.T) {
			n, err := f.s.SettleDebates(ctx)
			if err != nil || n != 2 { // timed closed, scheduled opened
				t.Fatalf("settled %d, %v", n, err)
			}
			if n, _ := f.s.SettleDebates(ctx); n != 0 {
				t.Fatalf("second settle changed %d", n)
			}
			kinds := eventKinds(t, f, timed.ID)
			if !slices.Contains(kinds, models.EventDebateClosed) {
				t.Fatalf("events %v", kinds)
			}
		})
	})
}

// eventKinds lists the kinds of the events about a debate, in order.
func eventKinds(t *testing.T, f *civicFixture, debateID int64) []string {
	t.Helper()
	var kinds []string
	err := f.s.DB.NewSelect().Model((*models.Event)(nil)).Column("kind").
		Where("object_type = 'debate' AND object_id = ?", debateID).Order("id").Scan(context.Background(), &kinds)
	if err != nil {
		t.Fatal(err)
	}
	return kinds
}

func TestCastVoteRules(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		single := f.debate(t, models.DebateInput{}, true)
		multi := f.debate(t, models.DebateInput{Multiple: true}, true)
		ann, bob := f.users[0].Actor, f.users[1].Actor
		masto := f.remote(t, "zoe", "mastodon.example")

		steps := []struct {
			name   string
			vote   func() (*models.Ballot, error)
			err    error // nil: success
			field  string
			d      *models.Debate
			counts []int
			voters int
		}{
			{"single first vote", func() (*models.Ballot, error) { return f.s.CastVote(ctx, ann, single.ID, []string{"Red"}) }, nil, "", single, []int{1, 0, 0}, 1},
			{"single vote replaced", func() (*models.Ballot, error) { return f.s.CastVote(ctx, ann, single.ID, []string{"Green"}) }, nil, "", single, []int{0, 1, 0}, 1},
			{"single two options refused", func() (*models.Ballot, error) { return f.s.CastVote(ctx, bob, single.ID, []string{"Red", "Blue"}) }, nil, "options", single, []int{0, 1, 0}, 1},
			{"unknown option refused", func() (*models.Ballot, error) { return f.s.CastVote(ctx, bob, single.ID, []string{"Purple"}) }, nil, "options", single, []int{0, 1, 0}, 1},
			{"empty ballot refused", func() (*models.Ballot, error) { return f.s.CastVote(ctx, bob, single.ID, nil) }, nil, "options", single, []int{0, 1, 0}, 1},
			{"mastodon first option", func() (*models.Ballot, error) { return f.s.AddVoteOption(ctx, masto, single.ID, "Blue") }, nil, "", single, []int{0, 1, 1}, 2},
			{"mastodon second option refused", func() (*models.Ballot, error) { return f.s.AddVoteOption(ctx, masto, single.ID, "Red") }, models.ErrDuplicate, "", single, []int{0, 1, 1}, 2},
			{"multiple ballot", func() (*models.Ballot, error) {
				return f.s.CastVote(ctx, ann, multi.ID, []string{"Red", "Blue", "Red"})
			}, nil, "", multi, []int{1, 0, 1}, 1},
			{"multiple ballot replaced", func() (*models.Ballot, error) { return f.s.CastVote(ctx, ann, multi.ID, []string{"Green", "Blue"}) }, nil, "", multi, []int{0, 1, 1}, 1},
			{"mastodon multiple, one note per option", func() (*models.Ballot, error) { return f.s.AddVoteOption(ctx, masto, multi.ID, "Red") }, nil, "", multi, []int{1, 1, 1}, 2},
			{"mastodon multiple, second note", func() (*models.Ballot, error) { return f.s.AddVoteOption(ctx, masto, multi.ID, "Green") }, nil, "", multi, []int{1, 2, 1}, 2},
			{"mastodon same option twice", func() (*models.Ballot, error) { return f.s.AddVoteOption(ctx, masto, multi.ID, "Green") }, models.ErrDuplicate, "", multi, []int{1, 2, 1}, 2},
			{"no actor", func() (*models.Ballot, error) { return f.s.CastVote(ctx, nil, multi.ID, []string{"Red"}) }, models.ErrUnauthorized, "", multi, []int{1, 2, 1}, 2},
			{"unknown debate", func() (*models.Ballot, error) { return f.s.CastVote(ctx, ann, 999, []string{"Red"}) }, models.ErrNotFound, "", multi, []int{1, 2, 1}, 2},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				b, err := st.vote()
				var ve *models.ValidationError
				switch {
				case st.field != "":
					if !errors.As(err, &ve) || ve.Fields[st.field] == "" {
						t.Fatalf("want validation error on %s, got %v", st.field, err)
					}
				case st.err != nil:
					if !errors.Is(err, st.err) {
						t.Fatalf("got %v, want %v", err, st.err)
					}
				case err != nil:
					t.Fatal(err)
				case b == nil || len(b.Receipt) != 16:
					t.Fatalf("ballot %+v", b)
				}
				r, err := f.s.Results(ctx, st.d.ID)
				if err != nil {
					t.Fatal(err)
				}
				var counts []int
				for _, o := range r.Options {
					counts = append(counts, o.Count)
				}
				if !slices.Equal(counts, st.counts) || r.Voters != st.voters {
					t.Fatalf("counts %v voters %d, want %v %d", counts, r.Voters, st.counts, st.voters)
				}
			})
		}
		t.Run("my ballot", func(t *testing.T) {
			b, err := f.s.MyBallot(ctx, ann, multi)
			if err != nil || !slices.Equal(b.Options, []string{"Green", "Blue"}) {
				t.Fatal(b, err)
			}
		})
		t.Run("withdraw", func(t *testing.T) {
			if err := f.s.WithdrawVote(ctx, ann, single.ID); err != nil {
				t.Fatal(err)
			}
			if err := f.s.WithdrawVote(ctx, ann, single.ID); !errors.Is(err, models.ErrNotFound) {
				t.Fatalf("second withdraw: %v", err)
			}
			r, _ := f.s.Results(ctx, single.ID)
			if r.Voters != 1 || r.Options[1].Count != 0 {
				t.Fatalf("%+v", r)
			}
			kinds := eventKinds(t, f, single.ID)
			for _, k := range []string{models.EventDebateCreated, models.EventDebateOpened, models.EventVoteCast, models.EventVoteWithdrawn, models.EventDebateResults} {
				if !slices.Contains(kinds, k) {
					t.Errorf("no %s event in %v", k, kinds)
				}
			}
		})
	})
}

func TestVotePolicy(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		partner, stranger := f.remote(t, "pat", "partner.example"), f.remote(t, "sam", "elsewhere.example")
		cases := []struct {
			policy string
			hosts  []string
			actor  *models.Actor
			ok     bool
		}{
			{models.PolicyOpen, nil, stranger, true},
			{models.PolicyLocal, nil, f.users[0].Actor, true},
			{models.PolicyLocal, nil, partner, false},
			{models.PolicyNetwork, []string{"partner.example"}, partner, true},
			{models.PolicyNetwork, []string{"partner.example"}, stranger, false},
			{models.PolicyNetwork, []string{"partner.example"}, f.users[1].Actor, true},
		}
		for _, tc := range cases {
			t.Run(tc.policy+"/"+tc.actor.Host, func(t *testing.T) {
				_, err := f.s.UpdateSpace(ctx, f.admin, "town", models.SpaceInput{Kind: models.KindCity, Title: "Town", Policy: tc.policy, AllowedHosts: tc.hosts})
				if err != nil {
					t.Fatal(err)
				}
				_, err = f.s.CastVote(ctx, tc.actor, d.ID, []string{"Red"})
				if tc.ok != (err == nil) || (!tc.ok && !errors.Is(err, models.ErrForbidden)) {
					t.Fatalf("got %v, want ok=%v", err, tc.ok)
				}
			})
		}
	})
}

func TestReceiptsAndRecount(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{Multiple: true}, true)
		other := f.debate(t, models.DebateInput{}, true)
		remote1, remote2 := f.remote(t, "x", "a.example"), f.remote(t, "y", "b.example")
		voters := []*models.Actor{f.users[0].Actor, f.users[1].Actor, f.users[2].Actor, remote1, remote2}
		choices := [][]string{{"Red"}, {"Red", "Green"}, {"Blue"}, {"Green"}, {"Red", "Blue"}}
		receipts := map[string][]string{}
		for i, a := range voters {
			b, err := f.s.CastVote(ctx, a, d.ID, []string{"Blue"})
			if err != nil {
				t.Fatal(err)
			}
			b2, err := f.s.CastVote(ctx, a, d.ID, choices[i])
			if err != nil {
				t.Fatal(err)
			}
			if b.Receipt != b2.Receipt || b.Receipt != models.Receipt(d.BallotSecret, a.URI) {
				t.Fatalf("receipt not stable: %s %s", b.Receipt, b2.Receipt)
			}
			b3, err := f.s.CastVote(ctx, a, other.ID, []string{"Red"})
			if err != nil {
				t.Fatal(err)
			}
			if b3.Receipt == b.Receipt {
				t.Fatal("same receipt in two debates")
			}
			receipts[b.Receipt] = choices[i]
		}
		t.Run("ballot list hidden while open", func(t *testing.T) {
			if _, err := f.s.Ballots(ctx, d); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("got %v", err)
			}
		})
		t.Run("per instance", func(t *testing.T) {
			r, err := f.s.Results(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			want := map[string]int{"town.example": 3, "a.example": 1, "b.example": 1}
			if fmt.Sprint(r.ByInstance) != fmt.Sprint(want) || r.Voters != 5 {
				t.Fatalf("%v", r.ByInstance)
			}
			if r.Options[0].Count != 3 || r.Options[0].Percent != 60 {
				t.Fatalf("%+v", r.Options)
			}
		})
		if _, err := f.s.CloseDebate(ctx, f.mod, d.ID); err != nil {
			t.Fatal(err)
		}
		d, _ = f.s.DebateByID(ctx, d.ID)
		t.Run("verifiable list and independent recount", func(t *testing.T) {
			list, err := f.s.Ballots(ctx, d)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != len(voters) {
				t.Fatalf("%d entries", len(list))
			}
			tally := map[string]int{}
			for _, e := range list {
				if e.Voter != "" {
					t.Fatal("secret ballot shows a voter")
				}
				if !slices.Equal(e.Options, receipts[e.Receipt]) {
					t.Fatalf("receipt %s lists %v, want %v", e.Receipt, e.Options, receipts[e.Receipt])
				}
				for _, o := range e.Options {
					tally[o]++
				}
			}
			r, _, err := f.s.PublicResults(ctx, nil, d)
			if err != nil {
				t.Fatal(err)
			}
			for _, o := range r.Options {
				if tally[o.Name] != o.Count {
					t.Fatalf("recount from the list: %s %d vs %d", o.Name, tally[o.Name], o.Count)
				}
			}
		})
		t.Run("recount detects a tampered cache", func(t *testing.T) {
			rep, err := f.s.Recount(ctx, nil, d.ID)
			if err != nil || len(rep.Differences) != 0 || rep.Corrected {
				t.Fatalf("clean recount: %+v %v", rep, err)
			}
			if _, err := f.s.DB.NewRaw("UPDATE debates SET counts = '[30,2,2]', voters = 7 WHERE id = ?", d.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			if _, err := f.s.Recount(ctx, f.users[0], d.ID); !errors.Is(err, models.ErrForbidden) {
				t.Fatalf("member recount: %v", err)
			}
			rep, err = f.s.Recount(ctx, f.mod, d.ID)
			if err != nil || !rep.Corrected || len(rep.Differences) != 2 || !slices.Equal(rep.Counted, []int{3, 2, 2}) || rep.CountedVoters != 5 {
				t.Fatalf("%+v %v", rep, err)
			}
			r, _ := f.s.Results(ctx, d.ID)
			if r.Options[0].Count != 3 || r.Voters != 5 {
				t.Fatalf("cache not corrected: %+v", r)
			}
		})
		t.Run("public ballot names voters", func(t *testing.T) {
			pb := f.debate(t, models.DebateInput{PublicBallot: true}, true)
			if _, err := f.s.CastVote(ctx, remote1, pb.ID, []string{"Green"}); err != nil {
				t.Fatal(err)
			}
			pb, _ = f.s.CloseDebate(ctx, f.mod, pb.ID)
			list, err := f.s.Ballots(ctx, pb)
			if err != nil || len(list) != 1 || list[0].Voter != "x@a.example" {
				t.Fatalf("%+v %v", list, err)
			}
		})
		t.Run("public ballot forgets erased voters", func(t *testing.T) {
			pb := f.debate(t, models.DebateInput{PublicBallot: true}, true)
			ann := f.users[0]
			if _, err := f.s.CastVote(ctx, ann.Actor, pb.ID, []string{"Red"}); err != nil {
				t.Fatal(err)
			}
			pb, _ = f.s.CloseDebate(ctx, f.mod, pb.ID)
			if err := f.s.DeleteAccount(ctx, ann); err != nil {
				t.Fatal(err)
			}
			list, err := f.s.Ballots(ctx, pb)
			if err != nil || len(list) != 1 || list[0].Voter != "" || !slices.Equal(list[0].Options, []string{"Red"}) {
				t.Fatalf("erased voter on the ballot list: %+v %v", list, err)
			}
			e, err := f.s.Export(ctx, models.ExportQuery{Space: "town"})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range e.Debates {
				for _, r := range d.Receipts {
					if r.Voter != "" && !strings.Contains(r.Voter, "@a.example") {
						t.Errorf("export names %q on a public ballot after erasure", r.Voter)
					}
				}
			}
		})
	})
}

func TestResultsVisibility(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{ResultsVisibility: models.ResultsAfterClose}, true)
		for _, tc := range []struct {
			name   string
			viewer *models.Account
			ok     bool
		}{{"anonymous", nil, false}, {"member", f.users[0], false}, {"moderator", f.mod, true}} {
			t.Run(tc.name, func(t *testing.T) {
				_, _, err := f.s.PublicResults(ctx, tc.viewer, d)
				if tc.ok != (err == nil) {
					t.Fatalf("got %v", err)
				}
			})
		}
		d, _ = f.s.CloseDebate(ctx, f.mod, d.ID)
		if _, _, err := f.s.PublicResults(ctx, nil, d); err != nil {
			t.Fatalf("after close: %v", err)
		}
	})
}

// TestVotesRaceClose: votes racing the close of their debate are either
// counted before it closed or refused with ErrClosed, never counted
// after; the tally matches a recount. On PostgreSQL a vote reads its
// debate without locking it and checks the phase again when it locks the
// row for the tally.
func TestVotesRaceClose(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		const n = 40
		actors := f.remotes(t, "c", n, 4)
		var counted atomic.Int64
		atClose := -1 // voters right after the close committed
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, a := range actors {
			wg.Go(func() {
				_, errs[i] = f.s.CastVote(ctx, a, d.ID, []string{d.Options[i%3]})
				if errs[i] == nil {
					counted.Add(1)
				}
			})
			if i == n/2 {
				wg.Go(func() {
					if _, err := f.s.CloseDebate(ctx, f.mod, d.ID); err != nil {
						t.Error(err)
					}
					if r, err := f.s.Results(ctx, d.ID); err == nil {
						atClose = r.Voters
					}
				})
			}
		}
		wg.Wait()
		for i, err := range errs {
			if err != nil && !errors.Is(err, models.ErrClosed) {
				t.Fatalf("vote %d: %v", i, err)
			}
		}
		r, err := f.s.Results(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Closed || r.Voters != int(counted.Load()) || r.Voters != atClose {
			t.Fatalf("results %+v, want closed with the %d votes answered as counted, all before the close (%d)", r, counted.Load(), atClose)
		}
		rep, err := f.s.Recount(ctx, nil, d.ID)
		if err != nil || len(rep.Differences) != 0 {
			t.Fatalf("recount %+v %v", rep, err)
		}
		if _, err := f.s.CastVote(ctx, actors[0], d.ID, []string{"Red"}); !errors.Is(err, models.ErrClosed) {
			t.Fatalf("a vote after the close: %v", err)
		}
	})
}

// TestVotesRaceErase: ballot changes of actors in three debates while
// the same actors are erased (EraseRemoteActor withdraws their ballots in
// every open debate) end without a deadlock or any other error, and each
// tally matches a recount. On PostgreSQL both paths take the voter's
// ballot lock before the debate's row.
func TestVotesRaceErase(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		debates := []*models.Debate{f.debate(t, models.DebateInput{}, true),
			f.debate(t, models.DebateInput{Question: "Which day for the market?"}, true),
			f.debate(t, models.DebateInput{Question: "Which name for the square?"}, true)}
		actors := f.remotes(t, "e", 6, 2)
		errs := make(chan error, 200)
		var wg sync.WaitGroup
		for i, a := range actors {
			for round := range 4 {
				for j, d := range debates {
					wg.Go(func() {
						_, err := f.s.CastVote(ctx, a, d.ID, []string{d.Options[(i+j+round)%3]})
						errs <- err
					})
				}
			}
			wg.Go(func() { errs <- f.s.EraseRemoteActor(ctx, a) })
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range debates {
			rep, err := f.s.Recount(ctx, nil, d.ID)
			if err != nil || len(rep.Differences) != 0 {
				t.Fatalf("debate %d: recount %+v %v", d.ID, rep, err)
			}
		}
	})
}

func TestConcurrentVotes(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{}, true)
		const n = 50
		actors := f.remotes(t, "v", n, 5)
		var wg sync.WaitGroup
		errs := make(chan error, 3*n) // room for every goroutine's error
		for i, a := range actors {
			wg.Add(2)
			go func() { // each voter votes, and a twin request races it
				defer wg.Done()
				_, err := f.s.CastVote(ctx, a, d.ID, []string{d.Options[i%3]})
				errs <- err
			}()
			go func() {
				defer wg.Done()
				_, err := f.s.CastVote(ctx, a, d.ID, []string{d.Options[i%3]})
				errs <- err
			}()
		}
		same := f.users[0].Actor
		for range n { // one voter clicking 50 times at once
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, err := f.s.AddVoteOption(ctx, same, d.ID, "Red")
				if err != nil && !errors.Is(err, models.ErrDuplicate) {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatal(err)
			}
		}
		r, err := f.s.Results(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if r.Voters != n+1 || r.Options[0].Count != 17+1 || r.Options[1].Count != 17 || r.Options[2].Count != 16 {
			t.Fatalf("%+v", r)
		}
		rep, err := f.s.Recount(ctx, nil, d.ID)
		if err != nil || len(rep.Differences) != 0 {
			t.Fatalf("%+v %v", rep, err)
		}
		rows, err := f.s.DB.NewSelect().TableExpr("debate_votes").Where("debate_id = ?", d.ID).Count(ctx)
		if err != nil || rows != n+1 {
			t.Fatalf("%d vote rows, %v", rows, err)
		}
	})
}

func TestDeletedAccountVotes(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		open := f.debate(t, models.DebateInput{}, true)
		closed := f.debate(t, models.DebateInput{}, true)
		ann := f.users[0]
		for _, d := range []*models.Debate{open, closed} {
			if _, err := f.s.CastVote(ctx, ann.Actor, d.ID, []string{"Green"}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.s.CloseDebate(ctx, f.mod, closed.ID); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DeleteAccount(ctx, ann); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			d      *models.Debate
			voters int
		}{{open, 0}, {closed, 1}} {
			r, err := f.s.Results(ctx, tc.d.ID)
			if err != nil || r.Voters != tc.voters || r.Options[1].Count != tc.voters {
				t.Fatalf("debate %d: %+v %v", tc.d.ID, r, err)
			}
			if rep, _ := f.s.Recount(ctx, nil, tc.d.ID); len(rep.Differences) != 0 {
				t.Fatalf("%+v", rep)
			}
		}
	})
}

func TestDemoDebates(t *testing.T) {
	s := dbtest.SQLite(t)
	ctx := context.Background()
	if err := s.SeedDemo(ctx); err != nil {
		t.Fatal(err)
	}
	sp, err := s.SpaceByName(ctx, "ville")
	if err != nil {
		t.Fatal(err)
	}
	list, err := s.ListDebates(ctx, models.DebateFilter{SpaceID: sp.ID})
	if err != nil || len(list) != 2 {
		t.Fatalf("%v %v", list, err)
	}
	closed, open := list[0], list[1]
	if !closed.IsClosed() || !open.IsOpen() || open.Voters != 8 || closed.Voters != 6 {
		t.Fatalf("open %+v closed %+v", open, closed)
	}
	ballots, err := s.Ballots(ctx, closed)
	if err != nil || len(ballots) != 6 {
		t.Fatalf("%v %v", ballots, err)
	}
	args, err := s.CommentThreads(ctx, models.CommentQuery{ObjectType: models.ObjectTypeDebate, ObjectID: open.ID, Stances: []string{models.StanceFor}})
	if err != nil || len(args.Threads) != 2 || len(args.Threads[0].Replies) != 1 {
		t.Fatalf("%+v %v", args, err)
	}
}

// TestAddRemoteVoteOption: a vote from another server and the record of
// its Note commit together: counted with its record, or refused with none.
func TestAddRemoteVoteOption(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		single := f.debate(t, models.DebateInput{}, true)
		masto := f.remote(t, "zoe", "mastodon.example")
		rec := func(n string) *models.Participation {
			return &models.Participation{URI: masto.URI + "#votes/" + n, ActorID: masto.ID, Kind: models.ParticipationVote,
				ObjectType: models.ObjectTypeDebate, ObjectID: single.ID, Option: "Red"}
		}
		if _, err := f.s.AddRemoteVoteOption(ctx, masto, single.ID, "Red", rec("1")); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.ParticipationByURI(ctx, masto.URI+"#votes/1"); err != nil {
			t.Errorf("record of the counted vote: %v", err)
		}
		if _, err := f.s.AddRemoteVoteOption(ctx, masto, single.ID, "Blue", rec("2")); !errors.Is(err, models.ErrDuplicate) {
			t.Fatalf("second vote on a single-choice debate: %v, want ErrDuplicate", err)
		}
		if _, err := f.s.ParticipationByURI(ctx, masto.URI+"#votes/2"); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("record of the refused vote: %v, want ErrNotFound", err)
		}
		if r, err := f.s.Results(ctx, single.ID); err != nil || r.Voters != 1 {
			t.Errorf("voters %v %v, want 1", r, err)
		}
	})
}

// TestTallyText: the cached tally is the same JSON text whichever path
// wrote it (a new ballot on PostgreSQL in one statement, other changes
// and SQLite statement by statement), one entry per option, and the
// debate.results snapshot carries it.
func TestTallyText(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		d := f.debate(t, models.DebateInput{Multiple: true}, true)
		counts := func() string {
			var s string
			if err := f.s.DB.NewSelect().TableExpr("debates").Column("counts").Where("id = ?", d.ID).Scan(ctx, &s); err != nil {
				t.Fatal(err)
			}
			return s
		}
		if got := counts(); got != "[0,0,0]" {
			t.Fatalf("a new debate's tally %q", got)
		}
		steps := []struct {
			who     int
			options []string
			want    string
		}{
			{0, []string{"Red", "Blue"}, "[1,0,1]"}, // new ballots
			{1, []string{"Blue"}, "[1,0,2]"},
			{0, []string{"Green"}, "[0,1,1]"}, // a changed ballot
		}
		for _, st := range steps {
			if _, err := f.s.CastVote(ctx, f.users[st.who].Actor, d.ID, st.options); err != nil {
				t.Fatal(err)
			}
			if got := counts(); got != st.want {
				t.Errorf("after %s votes %v: tally %q, want %q", f.users[st.who].Username, st.options, got, st.want)
			}
		}
		if err := f.s.WithdrawVote(ctx, f.users[1].Actor, d.ID); err != nil {
			t.Fatal(err)
		}
		r, err := f.s.Results(ctx, d.ID)
		if err != nil || r.Voters != 1 || counts() != "[0,1,0]" {
			t.Fatalf("after a withdrawal: %d voters, tally %q (%v)", r.Voters, counts(), err)
		}
		var data string
		err = f.s.DB.NewSelect().TableExpr("events").Column("data").
			Where("kind = ? AND object_id = ?", models.EventDebateResults, d.ID).OrderExpr("id").Limit(1).Scan(ctx, &data)
		if err != nil || data != `{"counts":[1,0,1],"voters":1}` {
			t.Errorf("first debate.results %q (%v)", data, err)
		}
	})
}
