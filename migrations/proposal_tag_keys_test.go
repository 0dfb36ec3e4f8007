package migrations_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestProposalTagKeysBackfill: tags stored before 20261208130000 were
// folded slugs already ("velo"); after the upgrade their key is the tag,
// so the tag filter (by key) still finds them.
func TestProposalTagKeysBackfill(t *testing.T) {
	dbtest.EachDSN(t, func(t *testing.T, dialect, dsn string) {
		ctx := context.Background()
		s := openBefore(t, dsn, "20261208130000")
		at := time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)
		actor := rawLocalActor(t, s, at)
		var id int64
		if err := s.DB.NewRaw(`INSERT INTO proposals (uri, url, local, origin, author_id, title, body, body_html, search, status,
			supports_count, answer, answer_html, created_at, updated_at)
			VALUES ('https://odn.example/p/1', 'https://odn.example/p/1', ?, '', ?, 'Vélos', 'x', '<p>x</p>', 'velos x', 'open', 0, '', '', ?, ?) RETURNING id`,
			true, actor, at, at).Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		for _, tag := range []string{"velo", "centre-ville"} {
			if _, err := s.DB.NewRaw("INSERT INTO proposal_tags (proposal_id, tag) VALUES (?, ?)", id, tag).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var keys []string
		if err := s.DB.NewRaw("SELECT tag_key FROM proposal_tags WHERE tag_key = tag ORDER BY tag_key").Scan(ctx, &keys); err != nil {
			t.Fatal(err)
		}
		if len(keys) != 2 || keys[0] != "centre-ville" || keys[1] != "velo" {
			t.Fatalf("keys after the upgrade = %q, want each tag's own", keys)
		}
		// One key per proposal: "Vélo" may not come back next to "velo".
		if _, err := s.DB.NewRaw("INSERT INTO proposal_tags (proposal_id, tag, tag_key) VALUES (?, 'vélo', 'velo')", id).Exec(ctx); err == nil {
			t.Fatal("a second tag with the same key was accepted")
		}
	})
}
