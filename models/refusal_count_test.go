package models_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestRefusalCountsOnce: a copy's count is the origin's as last received
// plus what was given here since. When the origin refuses a member's
// support, vote or signature, the copy takes it off — unless a newer
// version of the origin's count arrived first: that count never held it,
// and taking it off again left the copy one short of the origin.
func TestRefusalCountsOnce(t *testing.T) {
	kinds := []struct {
		kind string
		// make creates the copy counting 10 at updated; give makes ann
		// take part; update sends the origin's version of count at
		// updated; count reads the copy's count.
		make   func(context.Context, *testing.T, *civicFixture, *models.Actor, string, time.Time) (string, int64)
		give   func(context.Context, *civicFixture, int64) error
		update func(context.Context, *civicFixture, *models.Actor, string, int, time.Time) error
		count  func(context.Context, *civicFixture, int64) (int, error)
	}{
		{
			kind: models.ParticipationSupport,
			make: func(ctx context.Context, t *testing.T, f *civicFixture, origin *models.Actor, uri string, at time.Time) (string, int64) {
				p, err := f.s.UpsertRemoteProposal(ctx, remoteProposal(origin, uri, 10, at))
				if err != nil {
					t.Fatal(err)
				}
				return models.ObjectTypeProposal, p.ID
			},
			give: func(ctx context.Context, f *civicFixture, id int64) error {
				_, err := f.s.Support(ctx, f.users[0].Actor, id)
				return err
			},
			update: func(ctx context.Context, f *civicFixture, origin *models.Actor, uri string, n int, at time.Time) error {
				_, err := f.s.UpsertRemoteProposal(ctx, remoteProposal(origin, uri, n, at))
				return err
			},
			count: func(ctx context.Context, f *civicFixture, id int64) (int, error) {
				p, err := f.s.ProposalByID(ctx, id)
				if err != nil {
					return 0, err
				}
				return p.SupportsCount, nil
			},
		},
		{
			kind: models.ParticipationVote,
			make: func(ctx context.Context, t *testing.T, f *civicFixture, origin *models.Actor, uri string, at time.Time) (string, int64) {
				d, err := f.s.UpsertRemoteDebate(ctx, origin, remoteDebate(uri, 10, at))
				if err != nil {
					t.Fatal(err)
				}
				return models.ObjectTypeDebate, d.ID
			},
			give: func(ctx context.Context, f *civicFixture, id int64) error {
				_, err := f.s.CastVote(ctx, f.users[0].Actor, id, []string{"Yes"})
				return err
			},
			update: func(ctx context.Context, f *civicFixture, origin *models.Actor, uri string, n int, at time.Time) error {
				_, err := f.s.UpsertRemoteDebate(ctx, origin, remoteDebate(uri, n, at))
				return err
			},
			count: func(ctx context.Context, f *civicFixture, id int64) (int, error) {
				r, err := f.s.Results(ctx, id)
				if err != nil {
					return 0, err
				}
				if r.Options[0].Count != r.Voters-4 {
					return 0, fmt.Errorf("Yes = %d with %d voters, 4 of them No", r.Options[0].Count, r.Voters)
				}
				return r.Voters, nil
			},
		},
		{
			kind: models.ParticipationSignature,
			make: func(ctx context.Context, t *testing.T, f *civicFixture, origin *models.Actor, uri string, at time.Time) (string, int64) {
				p, err := f.s.UpsertRemotePetition(ctx, remotePetition(origin, uri, 10, at))
				if err != nil {
					t.Fatal(err)
				}
				return models.ObjectTypePetition, p.ID
			},
			give: func(ctx context.Context, f *civicFixture, id int64) error {
				_, _, err := f.s.Sign(ctx, f.users[0].Actor, id, false)
				return err
			},
			update: func(ctx context.Context, f *civicFixture, origin *models.Actor, uri string, n int, at time.Time) error {
				_, err := f.s.UpsertRemotePetition(ctx, remotePetition(origin, uri, n, at))
				return err
			},
			count: func(ctx context.Context, f *civicFixture, id int64) (int, error) {
				p, err := f.s.PetitionByID(ctx, id)
				if err != nil {
					return 0, err
				}
				return p.SignaturesCount, nil
			},
		},
	}
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		origin := f.remote(t, "town", "other.example")
		for i, k := range kinds {
			for _, updateFirst := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s/update first %t", k.kind, updateFirst), func(t *testing.T) {
					uri := fmt.Sprintf("https://other.example/%s/%d-%t", k.kind, i, updateFirst)
					typ, id := k.make(ctx, t, f, origin, uri, f.now.Add(-time.Hour))
					if err := k.give(ctx, f, id); err != nil {
						t.Fatal(err)
					}
					ann := f.users[0].Actor
					rec := models.Participation{URI: uri + "#ann", ActivityURI: uri + "#ann/activity", Kind: k.kind,
						ObjectType: typ, ObjectID: id, ActorID: ann.ID, Option: "Yes", Outgoing: true}
					if err := f.s.RecordParticipation(ctx, &rec); err != nil {
						t.Fatal(err)
					}
					f.tick(time.Minute)
					want := 10 // the origin's count; ann's participation is refused
					if updateFirst {
						// The origin counted one more of its own, never ann.
						want = 11
						if err := k.update(ctx, f, origin, uri, want, f.now); err != nil {
							t.Fatal(err)
						}
					}
					if err := f.s.RefuseSentParticipation(ctx, origin, rec.ActivityURI); err != nil {
						t.Fatal(err)
					}
					if n, err := k.count(ctx, f, id); err != nil || n != want {
						t.Errorf("after the refusal the copy counts %d (%v); the origin counts %d", n, err, want)
					}
				})
			}
		}
	})
}

func remoteProposal(origin *models.Actor, uri string, supports int, at time.Time) models.RemoteProposal {
	return models.RemoteProposal{URI: uri, AuthorID: origin.ID, Title: "Trees", ContentHTML: "<p>On the square.</p>",
		Supports: supports, Published: at.Add(-time.Hour), Updated: at}
}

func remotePetition(origin *models.Actor, uri string, signatures int, at time.Time) models.RemotePetition {
	return models.RemotePetition{URI: uri, AuthorID: origin.ID, Title: "Save the kiosk", ContentHTML: "<p>Please.</p>",
		Goal: 100, Signatures: signatures, Published: at.Add(-time.Hour), Updated: at}
}

// remoteDebate is a copy's version of voters ballots: 4 No, the rest Yes.
func remoteDebate(uri string, voters int, at time.Time) models.RemoteDebate {
	return models.RemoteDebate{URI: uri, Question: "Shared?", Options: []string{"Yes", "No"},
		Counts: []int{voters - 4, 4}, Voters: voters, Updated: at}
}
