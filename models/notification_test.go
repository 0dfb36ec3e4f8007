package models_test

import (
	"context"
	"testing"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

func TestNotify(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		a := mustAccount(t, s, "ana", models.RoleMember)
		b := mustAccount(t, s, "ben", models.RoleMember)
		err := s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
			return s.Notify(ctx, tx, []int64{a.ID, b.ID, a.ID, 0}, models.Notification{
				Kind: "test.kind", ObjectType: "nothing", ObjectID: 7, ActorID: b.Actor.ID, Data: "x"})
		})
		if err != nil {
			t.Fatal(err)
		}
		// Outside a transaction too, and with nobody to tell.
		if err := s.Notify(ctx, s.DB, nil, models.Notification{Kind: "test.kind"}); err != nil {
			t.Fatal(err)
		}
		list, err := s.Notifications(ctx, a, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 1 || list[0].Kind != "test.kind" || list[0].ObjectID != 7 || list[0].ActorName != "ben" || list[0].Object != nil {
			t.Fatalf("notifications of ana = %+v", list)
		}
		if n, _ := s.UnreadNotifications(ctx, a); n != 1 {
			t.Fatalf("unread = %d, want 1", n)
		}
		if err := s.MarkNotificationsRead(ctx, a); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.UnreadNotifications(ctx, a); n != 0 {
			t.Fatalf("unread after mark = %d", n)
		}
		if n, _ := s.UnreadNotifications(ctx, b); n != 1 {
			t.Fatalf("unread of ben = %d, want 1", n)
		}
		if err := s.DeleteAccount(ctx, b); err != nil {
			t.Fatal(err)
		}
		if list, _ := s.Notifications(ctx, b, 0, 10); len(list) != 0 {
			t.Fatalf("notifications survive erasure: %+v", list)
		}
	})
}

// mustAccount creates a local account with the given role.
func mustAccount(t *testing.T, s *models.Store, name, role string) *models.Account {
	t.Helper()
	acc, err := s.CreateAccount(context.Background(), models.NewAccount{Username: name, Password: "correct horse battery", Role: role})
	if err != nil {
		t.Fatalf("create account %s: %v", name, err)
	}
	return acc
}
