package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestLegacyForwardedReports: a member's report of another server's
// content filed before 20261207130000 was forwarded when filed, and shows
// so after the upgrade; a report of local content, or filed since, is not
// marked. The reports are written by today's code on today's schema, then
// put back as they stood before 20261207180000 (not forwarded, that
// migration not applied): written on the older schema, they broke with
// the next column models added to a table they touch.
func TestLegacyForwardedReports(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "99999999999999", models.WithBaseURL("https://town.example"))
		ann, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Password: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		zoe, err := s.UpsertRemoteActor(ctx, &models.Actor{URI: "https://far.example/users/zoe", Type: models.ActorPerson,
			Username: "zoe", Host: "far.example", Inbox: "https://far.example/users/zoe/inbox"})
		if err != nil {
			t.Fatal(err)
		}
		remote, err := s.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://far.example/p/1", AuthorID: zoe.ID, Title: "Bikes", ContentHTML: "<p>x</p>"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity, Title: "Town"}); err != nil {
			t.Fatal(err)
		}
		local, err := s.CreateProposal(ctx, ann.Actor, "town", models.ProposalInput{Title: "Trees", Body: "Shade."})
		if err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, id := range []int64{remote.ID, local.ID, remote.ID} {
			by := ann.Actor
			if len(ids) == 2 { // the third: the same report, filed since 130000
				b, err := s.CreateAccount(ctx, models.NewAccount{Username: "bob", Password: "correct horse battery"})
				if err != nil {
					t.Fatal(err)
				}
				by = b.Actor
			}
			r, err := s.CreateReport(ctx, by, models.ReportInput{ObjectType: models.ObjectTypeProposal, ObjectID: id, Reason: "Spam."})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.ID)
		}
		// The first two were filed before 130000 was applied.
		filed := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
		if _, err := s.DB.NewRaw("UPDATE reports SET created_at = ? WHERE id IN (?, ?)", filed, ids[0], ids[1]).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewRaw("UPDATE bun_migrations SET migrated_at = ? WHERE name = '20261207130000'", filed.Add(time.Hour)).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewRaw("UPDATE reports SET forwarded_at = NULL").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewRaw("DELETE FROM bun_migrations WHERE name = '20261207180000'").Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			ID          int64
			ForwardedAt *time.Time
		}
		if err := s.DB.NewRaw("SELECT id, forwarded_at FROM reports ORDER BY id").Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		if len(rows) != 3 || rows[0].ForwardedAt == nil || !rows[0].ForwardedAt.Equal(filed) || rows[1].ForwardedAt != nil || rows[2].ForwardedAt != nil {
			t.Errorf("reports %+v: want only the first (remote content, filed before 130000) forwarded at %v", rows, filed)
		}
	})
}
