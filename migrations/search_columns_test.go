package migrations_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestSearchColumnsBackfill: debates written before 20261209090000 are
// found by search after the upgrade, by the folded words of their
// question and description, or of a remote copy's description HTML.
func TestSearchColumnsBackfill(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "20261209090000")
		at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		actor := rawLocalActor(t, s, at)
		insert := func(uri, question, description, html string) int64 {
			t.Helper()
			var id int64
			if err := s.DB.NewRaw(`INSERT INTO debates (uri, url, author_id, question, description, description_html, options, multiple,
				phase, results_visibility, public_ballot, ballot_secret, counts, voters, results_updated_at, local, origin, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, '["a","b"]', ?, 'open', 'live', ?, 's', '[0,0]', 0, ?, ?, '', ?, ?) RETURNING id`,
				uri, uri, actor, question, description, html, false, false, at, true, at, at).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		local := insert("https://odn.example/d/1", "Quelle ÉCOLE ?", "Près du marché", "<p>Près du marché</p>")
		remote := insert("https://other.example/d/9", "Horaires", "", "<p>Sortie de l&#39;<b>école</b>&nbsp;publique</p>")
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[int64]string{local: "quelle ecole ? pres du marche", remote: "horaires sortie de l'ecole publique"} {
			var got string
			if err := s.DB.NewRaw("SELECT search FROM debates WHERE id = ?", id).Scan(ctx, &got); err != nil {
				t.Fatal(err)
			}
			if norm := strings.Join(strings.Fields(got), " "); norm != want {
				t.Errorf("debate %d: search %q, want %q", id, norm, want)
			}
		}
	})
}
