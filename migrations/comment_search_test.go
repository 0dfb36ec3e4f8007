package migrations_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestCommentSearchBackfill: comments written before 20261211090000
// (local Markdown, a remote one's text, a deleted one's empty body) are
// found by the folded words of their body after the upgrade.
func TestCommentSearchBackfill(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "20261211090000")
		at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		actor := rawLocalActor(t, s, at)
		insert := func(uri, body string, local bool) int64 {
			t.Helper()
			var id int64
			if err := s.DB.NewRaw(`INSERT INTO comments (uri, url, object_type, object_id, author_id, body, body_html, local, origin, created_at, updated_at)
				VALUES (?, ?, 'proposal', 1, ?, ?, '', ?, '', ?, ?) RETURNING id`, uri, uri, actor, body, local, at, at).Scan(ctx, &id); err != nil {
				t.Fatal(err)
			}
			return id
		}
		local := insert("https://odn.example/c/1", "Une **ÉCOLE** près du marché", true)
		remote := insert("https://other.example/notes/9", "Sortie de l'école publique", false)
		deleted := insert("https://odn.example/c/2", "", true)
		// Past a batch of the backfill (a thousand rows): every row done.
		if _, err := s.DB.NewRaw(`INSERT INTO comments (uri, url, object_type, object_id, author_id, body, body_html, local, origin, created_at, updated_at)
			SELECT 'https://odn.example/c/bulk' || n, '', 'proposal', 1, ?, 'Vélo ' || n, '', ?, '', ?, ?
			FROM (WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 2100) SELECT n FROM seq) AS seq`,
			actor, true, at, at).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var missed int
		if err := s.DB.NewRaw("SELECT count(*) FROM comments WHERE body LIKE 'Vélo %' AND search NOT LIKE 'velo %'").Scan(ctx, &missed); err != nil || missed != 0 {
			t.Errorf("%d bulk comments not backfilled (%v)", missed, err)
		}
		for id, want := range map[int64]string{local: "une **ecole** pres du marche", remote: "sortie de l'ecole publique", deleted: ""} {
			var got string
			if err := s.DB.NewRaw("SELECT search FROM comments WHERE id = ?", id).Scan(ctx, &got); err != nil {
				t.Fatal(err)
			}
			if norm := strings.Join(strings.Fields(got), " "); norm != want {
				t.Errorf("comment %d: search %q, want %q", id, norm, want)
			}
		}
	})
}
