package models_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestRemoteCopyUpdates: a copy of a remote proposal or petition takes
// its author's newer updates only: an older one (a retry, a batch
// overtaken) changes nothing, and another account of the same host cannot
// overwrite it.
func TestRemoteCopyUpdates(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		alice, mallory := f.remote(t, "alice", "far.example"), f.remote(t, "mallory", "far.example")
		t0 := f.now.Add(-time.Hour)
		type copyState struct {
			title string
			count int
		}
		kinds := []struct {
			name   string
			upsert func(by *models.Actor, title string, count int, updated time.Time) error
			read   func() copyState
		}{
			{"proposal", func(by *models.Actor, title string, count int, updated time.Time) error {
				_, err := f.s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://far.example/p/1", AuthorID: by.ID,
					Title: title, ContentHTML: "<p>x</p>", Supports: count, Updated: updated})
				return err
			}, func() copyState {
				p, err := f.s.ProposalByURI(ctx, "https://far.example/p/1")
				if err != nil {
					t.Fatal(err)
				}
				return copyState{p.Title, p.SupportsCount}
			}},
			{"petition", func(by *models.Actor, title string, count int, updated time.Time) error {
				_, err := f.s.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://far.example/pe/1", AuthorID: by.ID,
					Title: title, ContentHTML: "<p>x</p>", Goal: 100, Signatures: count, Updated: updated})
				return err
			}, func() copyState {
				p, err := f.s.PetitionByURI(ctx, "https://far.example/pe/1")
				if err != nil {
					t.Fatal(err)
				}
				return copyState{p.Title, p.SignaturesCount}
			}},
		}
		for _, k := range kinds {
			t.Run(k.name, func(t *testing.T) {
				steps := []struct {
					name    string
					by      *models.Actor
					title   string
					count   int
					updated time.Time
					err     error
					want    copyState
				}{
					{"first copy", alice, "First", 5, t0, nil, copyState{"First", 5}},
					{"newer update", alice, "Second", 9, t0.Add(time.Minute), nil, copyState{"Second", 9}},
					{"older update ignored", alice, "First", 5, t0, nil, copyState{"Second", 9}},
					{"same instant again", alice, "Second", 9, t0.Add(time.Minute), nil, copyState{"Second", 9}},
					{"another account of the host", mallory, "Mallory's", 9999, t0.Add(time.Hour), models.ErrForbidden, copyState{"Second", 9}},
				}
				for _, st := range steps {
					if err := k.upsert(st.by, st.title, st.count, st.updated); !errors.Is(err, st.err) {
						t.Fatalf("%s: error %v, want %v", st.name, err, st.err)
					}
					if got := k.read(); got != st.want {
						t.Fatalf("%s: copy %+v, want %+v", st.name, got, st.want)
					}
				}
			})
		}
	})
}
