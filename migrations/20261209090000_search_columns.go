package migrations

import (
	"context"
	"database/sql"
	"fmt"
	stdhtml "html"
	"regexp"

	"github.com/opendemocracynow/odn/models/fold"
	"github.com/uptrace/bun"
)

// searchColumns are the tables the site-wide search (models.Search) reads
// besides proposals and petitions, which have had their search column
// from the start, with the columns folded into it: the folded text
// (lower-case, no accents, models/fold) of what people read, so "ecole"
// finds "École" on SQLite and PostgreSQL alike. Existing rows are
// backfilled here from the same fold as new ones.
// A remote debate has only its description's HTML: its tags are dropped
// and its entities decoded before folding (html).
var searchColumns = []struct{ table, text, html string }{
	{"debates", "question || ' ' || description", "CASE WHEN description = '' THEN description_html ELSE '' END"},
	{"news", "title || ' ' || body", "''"},
	{"consultations", "title || ' ' || summary || ' ' || body", "''"},
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, sc := range searchColumns {
				if err := execAll(ctx, tx, "ALTER TABLE "+sc.table+" ADD COLUMN search VARCHAR NOT NULL DEFAULT ''"); err != nil {
					return err
				}
				if err := backfillSearch(ctx, tx, sc.table, sc.text, sc.html); err != nil {
					return err
				}
			}
			return nil
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, sc := range searchColumns {
				if err := execAll(ctx, tx, "ALTER TABLE "+sc.table+" DROP COLUMN search"); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// backfillSearch sets table's search column of every row to the fold of
// text and of the words of html (SQL expressions of its columns), a
// thousand rows at a time in id order, so that a large table (comments)
// is never held whole in memory.
func backfillSearch(ctx context.Context, tx bun.Tx, table, text, html string) error {
	type row struct {
		id   int64
		text string
	}
	batch := make([]row, 0, 1000)
	for after := int64(0); ; after = batch[len(batch)-1].id {
		batch = batch[:0]
		rows, err := tx.QueryContext(ctx, "SELECT id, "+text+", "+html+" FROM "+table+" WHERE id > ? ORDER BY id LIMIT ?", after, cap(batch))
		if err != nil {
			return fmt.Errorf("read %s: %w", table, err)
		}
		for rows.Next() {
			var r row
			var t, h sql.NullString
			if err := rows.Scan(&r.id, &t, &h); err != nil {
				rows.Close()
				return fmt.Errorf("read %s: %w", table, err)
			}
			r.text = t.String + " " + htmlWords(h.String)
			batch = append(batch, r)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range batch {
			if _, err := tx.ExecContext(ctx, "UPDATE "+table+" SET search = ? WHERE id = ?", fold.Text(r.text), r.id); err != nil {
				return fmt.Errorf("fold %s %d: %w", table, r.id, err)
			}
		}
		if len(batch) < cap(batch) {
			return nil
		}
	}
}

// htmlTag matches a tag of the sanitised HTML odn stores.
var htmlTag = regexp.MustCompile(`<[^>]*>`)

// htmlWords is the text of sanitised HTML: tags dropped, entities
// characters, as models.PlainText does. Good enough for search words, not for display.
func htmlWords(h string) string {
	return stdhtml.UnescapeString(htmlTag.ReplaceAllString(h, ""))
}
