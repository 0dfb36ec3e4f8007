package models_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// BenchmarkCastVote times models.CastVote alone (one new voter per vote,
// one at a time) on SQLite, or PostgreSQL with ODN_TEST_PG: the micro
// harness of the vote_api figure (docs/BENCHMARKS.md).
func BenchmarkCastVote(b *testing.B) { benchCastVote(b, 1) }

// BenchmarkCastVote32 is the same with 32 concurrent voters.
func BenchmarkCastVote32(b *testing.B) { benchCastVote(b, 32) }

func benchCastVote(b *testing.B, workers int) {
	dialect := "sqlite"
	if os.Getenv("ODN_TEST_PG") != "" && os.Getenv("ODN_BENCH_DIALECT") == "postgres" {
		dialect = "postgres"
	}
	s := dbtest.Open(b, dialect, models.WithFastPasswordHashing())
	ctx := context.Background()
	admin, err := s.CreateAccount(ctx, models.NewAccount{Username: "boss", Password: "correct horse battery", Role: models.RoleAdmin})
	if err != nil {
		b.Fatal(err)
	}
	sp, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity, Title: "Town"})
	if err != nil {
		b.Fatal(err)
	}
	d, err := s.CreateDebate(ctx, admin, sp, models.DebateInput{Question: "Faut-il ?", Options: []string{"Oui", "Non"}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.OpenDebate(ctx, admin, d.ID); err != nil {
		b.Fatal(err)
	}
	voters := make([]*models.Actor, b.N)
	for i := range voters {
		acc, err := s.CreateAccount(ctx, models.NewAccount{Username: fmt.Sprintf("v%d", i), Password: "correct horse battery"})
		if err != nil {
			b.Fatal(err)
		}
		voters[i] = acc.Actor
	}
	b.ResetTimer()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= b.N {
					return
				}
				if _, err := s.CastVote(ctx, voters[i], d.ID, []string{[]string{"Oui", "Non"}[i%2]}); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	if got, err := s.DebateByID(ctx, d.ID); err != nil || got.Voters != b.N {
		b.Fatalf("%d voters, want %d (%v)", got.Voters, b.N, err)
	}
}
