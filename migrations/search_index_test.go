package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestSearchIndexBackfill: rows written before 20261213120000 are in the
// full-text index after the upgrade, past a batch of the fill (a thousand
// rows), and a debate backfilled by 20261209090000 (question and
// description joined by a space) has its question as its title again.
func TestSearchIndexBackfill(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "20261213120000")
		at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		actor := rawLocalActor(t, s, at)
		if _, err := s.DB.NewRaw(`INSERT INTO comments (uri, url, object_type, object_id, author_id, body, body_html, local, origin, search, created_at, updated_at)
			SELECT 'https://odn.example/c/bulk' || n, '', 'proposal', 1, ?, 'Vélo ' || n, '', ?, '', 'velo ' || n, ?, ?
			FROM (WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 2100) SELECT n FROM seq) AS seq`,
			actor, true, at, at).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.DB.NewRaw(`INSERT INTO debates (uri, url, author_id, question, description, description_html, options, multiple,
			phase, results_visibility, public_ballot, ballot_secret, counts, voters, results_updated_at, local, origin, search, created_at, updated_at)
			VALUES ('https://odn.example/d/1', '', ?, ?, 'Près du marché', '', '["a","b"]', ?, 'open', 'live', ?, 's', '[0,0]', 0, ?, ?, '',
			?, ?, ?)`, actor, "Quelle ÉCOLE ?", false, false, at, true, "quelle ecole ? pres du marche", at, at).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		count := func(table, sqlite, pg string) int {
			t.Helper()
			q := "SELECT count(*) FROM " + table + "_fts WHERE " + table + "_fts MATCH ?"
			arg := sqlite
			if dialect != "sqlite" {
				q, arg = "SELECT count(*) FROM "+table+" WHERE search_tsv @@ to_tsquery('simple', ?)", pg
			}
			var n int
			if err := s.DB.NewRaw(q, arg).Scan(ctx, &n); err != nil {
				t.Fatal(err)
			}
			return n
		}
		for _, tc := range []struct {
			name, table, sqlite, pg string
			want                    int
		}{
			{"every comment", "comments", `"vel"*`, "vel:*", 2100},
			{"the last batch", "comments", `"2100"`, "2100", 1},
			{"the question is the title", "debates", `head : "ecol"*`, "ecol:*A", 1},
			{"the description is not", "debates", `head : "marche"*`, "marche:*A", 0},
			{"the description is the text", "debates", `rest : "marche"*`, "marche:*D", 1},
		} {
			if got := count(tc.table, tc.sqlite, tc.pg); got != tc.want {
				t.Errorf("%s: %d rows, want %d", tc.name, got, tc.want)
			}
		}
	})
}
