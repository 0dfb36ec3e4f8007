package models_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestClosePetition: who may close a petition before its deadline, and
// what a close records: the deadline moved to now and who closed it, no
// more signatures, the signatures kept, the audit entry, the signers'
// (and, for a moderator's close, the author's) notifications, and the
// event federation sends the final Update from.
func TestClosePetition(t *testing.T) {
	clk := newClock()
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		c := newCivic(t, s, models.PolicyOpen, 0)
		author, signer, other := c.members[0], c.members[1], c.members[2]
		deadline := clk.Now().Add(30 * 24 * time.Hour)
		p := c.petition(t, author, 100, &deadline)
		if _, _, err := s.Sign(ctx, signer.Actor, p.ID, true); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct {
			name string
			by   *models.Account
			want error
		}{
			{"anonymous", nil, models.ErrUnauthorized},
			{"member", other, models.ErrForbidden},
			{"signer", signer, models.ErrForbidden},
			{"addressee", c.mayor, models.ErrForbidden},
		} {
			_, err := s.ClosePetition(ctx, tc.by, p.ID)
			wantErr(t, err, tc.want)
		}
		if models.PetitionClosable(other, p, clk.Now()) || !models.PetitionClosable(author, p, clk.Now()) || !models.PetitionClosable(c.mod, p, clk.Now()) {
			t.Error("PetitionClosable: only the author and moderators may close an open petition")
		}
		clk.Add(time.Hour)
		closed, err := s.ClosePetition(ctx, author, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.PetitionByID(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		now := clk.Now()
		if got.State(now) != models.PetitionClosed || got.ClosedBy != models.ClosedByAuthor || got.ClosesAt == nil ||
			!got.ClosesAt.Equal(now) || got.SignaturesCount != 1 || closed.ClosedBy != models.ClosedByAuthor {
			t.Fatalf("closed petition: state %s, closed_by %q, closes_at %v (now %v), %d signatures",
				got.State(now), got.ClosedBy, got.ClosesAt, now, got.SignaturesCount)
		}
		if models.PetitionClosable(c.mod, got, now) {
			t.Error("a closed petition is still closable")
		}
		_, _, err = s.Sign(ctx, other.Actor, p.ID, true)
		wantErr(t, err, models.ErrClosed)
		_, err = s.ClosePetition(ctx, c.mod, p.ID)
		wantErr(t, err, models.ErrClosed)
		v, err := s.ViewPetition(ctx, p.ID, signer)
		if err != nil || v.State != models.PetitionClosed || !v.Signed || v.PublicCount != 1 {
			t.Fatalf("view of the closed petition: %+v %v", v, err)
		}
		list, err := s.ListPetitions(ctx, models.PetitionQuery{Space: "ville", State: models.PetitionClosed})
		if err != nil || len(list.Items) != 1 || list.Items[0].ID != p.ID {
			t.Fatalf("closed list: %+v %v", list, err)
		}
		log, err := s.AuditLog(ctx, 5)
		if err != nil || len(log) == 0 || log[0].Action != "petition_closed" || log[0].AccountID == nil || *log[0].AccountID != author.ID ||
			log[0].Detail != models.ClosedByAuthor {
			t.Fatalf("audit log = %+v %v", log, err)
		}
		for _, tc := range []struct {
			acc  *models.Account
			told bool
		}{{signer, true}, {author, false}, {other, false}, {c.mayor, false}} {
			list, err := s.Notifications(ctx, tc.acc, 0, 10)
			if err != nil {
				t.Fatal(err)
			}
			told := len(list) > 0 && list[0].Kind == models.NotifyPetitionClosed && list[0].ObjectID == p.ID && list[0].Data == models.ClosedByAuthor
			if told != tc.told {
				t.Errorf("%s told of the close: %t, want %t (%+v)", tc.acc.Username, told, tc.told, list)
			}
		}
		evs, err := s.PendingEvents(ctx, 100)
		if err != nil {
			t.Fatal(err)
		}
		emitted := 0
		for _, ev := range evs {
			if ev.Kind == models.EventPetitionClosed && ev.ObjectID == p.ID && strings.Contains(ev.Data, `"closed_by":"author"`) {
				emitted++
			}
		}
		if emitted != 1 {
			t.Errorf("%d %s events, want 1", emitted, models.EventPetitionClosed)
		}

		// A moderator closes another's petition without a deadline: its
		// author is told too.
		q := c.petition(t, other, 10, nil)
		if _, err := s.ClosePetition(ctx, c.mod, q.ID); err != nil {
			t.Fatal(err)
		}
		if got, err := s.PetitionByID(ctx, q.ID); err != nil || got.ClosedBy != models.ClosedByModerator || got.State(clk.Now()) != models.PetitionClosed {
			t.Fatalf("moderator's close: %+v %v", got, err)
		}
		if list, err := s.Notifications(ctx, other, 0, 10); err != nil || len(list) == 0 || list[0].Kind != models.NotifyPetitionClosed || list[0].Data != models.ClosedByModerator {
			t.Errorf("the author is not told of the moderator's close: %+v %v", list, err)
		}

		// An answered petition, a hidden one and a copy of another
		// server's are not closed here.
		answered := c.petition(t, author, 10, nil)
		if _, err := s.RespondPetition(ctx, c.mayor, answered.ID, "Oui."); err != nil {
			t.Fatal(err)
		}
		_, err = s.ClosePetition(ctx, author, answered.ID)
		wantErr(t, err, models.ErrClosed)
		hidden := c.petition(t, author, 10, nil)
		if _, err := s.DB.NewUpdate().Table("petitions").Set("hidden_at = ?", clk.Now()).Where("id = ?", hidden.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = s.ClosePetition(ctx, author, hidden.ID)
		wantErr(t, err, models.ErrNotFound)
		remote, err := s.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://far.example/pe/1", Title: "Ailleurs",
			ContentHTML: "<p>Loin.</p>", AuthorID: c.remote.ID, Goal: 10})
		if err != nil {
			t.Fatal(err)
		}
		_, err = s.ClosePetition(ctx, c.mod, remote.ID)
		wantErr(t, err, models.ErrForbidden)
	}, models.WithClock(clk.Now))
}
