package migrations

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// The site-wide search (models.Search) finds words through a full-text
// index of each searched table's search column (the folded text,
// models/fold), no longer by reading whole tables with LIKE
// (docs/RANKING.md, "Search"). The column's first line is the title
// (a comment has none): the index keeps it apart so that it weighs more.
//
// SQLite: an FTS5 table <table>_fts (contentless: it stores the words'
// index, not the text) with the row's id as rowid, kept in step by
// triggers on the table's insert, change of search and delete, whatever
// code path writes them. Its fill reads a thousand rows at a time.
//
// PostgreSQL: a generated column search_tsv, the tsvector of the search
// column in the 'simple' configuration (no stemming, no stop words: the
// text is folded by our own fold, every language alike), the title with
// weight A and the rest D, under a GIN index. PostgreSQL computes it on
// every write of search, and for existing rows in the ALTER (one table
// rewrite, no row read into Go). Its word parser keeps "l’ete",
// "ab.cd" or "a@b.org" whole where FTS5 splits them at every character
// that is not a letter or a digit: searchSeparators are turned into
// spaces first so both split alike.
//
// The backfill of 20261209090000 joined a debate's, news' or
// consultation's title to its text with a space where the code writes a
// line break: those columns are folded again here, title on the first line.
var searchIndexed = []struct {
	table  string
	titled bool
}{
	{"proposals", true}, {"petitions", true}, {"debates", true},
	{"consultations", true}, {"news", true}, {"comments", false},
}

// searchSeparators are the characters PostgreSQL's parser would keep
// inside a word and FTS5 does not: ASCII punctuation, typographic quotes,
// dashes, ellipsis and the non-breaking spaces French puts around them.
const searchSeparators = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~’‘‚“”„«»‹›–—―…·•¡¿\u00a0\u202f\u2009\u2007"

// searchRefold re-folds the tables 20261209090000 backfilled, title first
// on its own line (models' searchText and news/consultation setters).
var searchRefold = []struct{ table, text, html string }{
	{"debates", "question || '\n' || description", "CASE WHEN description = '' THEN description_html ELSE '' END"},
	{"news", "title || '\n' || body", "''"},
	{"consultations", "title || '\n' || summary || '\n' || body", "''"},
}

func init() {
	Migrations.MustRegister(func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, r := range searchRefold {
				if err := backfillSearch(ctx, tx, r.table, r.text, r.html); err != nil {
					return err
				}
			}
			for _, si := range searchIndexed {
				var err error
				if isPG(tx) {
					err = execAll(ctx, tx,
						"ALTER TABLE "+si.table+" ADD COLUMN search_tsv tsvector GENERATED ALWAYS AS ("+pgSearchVector(si.titled)+") STORED",
						"CREATE INDEX "+si.table+"_search_tsv ON "+si.table+" USING GIN (search_tsv)")
				} else {
					err = sqliteSearchIndex(ctx, tx, si.table, si.titled)
				}
				if err != nil {
					return err
				}
			}
			return nil
		})
	}, func(ctx context.Context, db *bun.DB) error {
		return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			for _, si := range searchIndexed {
				qs := []string{"DROP INDEX " + si.table + "_search_tsv", "ALTER TABLE " + si.table + " DROP COLUMN search_tsv"}
				if !isPG(tx) {
					qs = []string{"DROP TRIGGER " + si.table + "_fts_insert", "DROP TRIGGER " + si.table + "_fts_update",
						"DROP TRIGGER " + si.table + "_fts_delete", "DROP TABLE " + si.table + "_fts"}
				}
				if err := execAll(ctx, tx, qs...); err != nil {
					return err
				}
			}
			return nil
		})
	})
}

// pgSearchVector is the tsvector of search: its first line weighted A
// when titled, the rest D.
func pgSearchVector(titled bool) string {
	from := strings.ReplaceAll(searchSeparators, "'", "''")
	to := strings.Repeat(" ", utf8.RuneCountInString(searchSeparators))
	vec := func(text string) string {
		return "to_tsvector('simple'::regconfig, translate(" + text + ", '" + from + "', '" + to + "'))"
	}
	if !titled {
		return "setweight(" + vec("search") + ", 'D')"
	}
	return "setweight(" + vec("split_part(search, E'\\n', 1)") + ", 'A') || setweight(" +
		vec("CASE WHEN strpos(search, E'\\n') > 0 THEN substr(search, strpos(search, E'\\n') + 1) ELSE '' END") + ", 'D')"
}

// sqliteSearchIndex creates table's FTS5 index (columns head, the title,
// and rest), its triggers, and fills it a thousand rows at a time.
func sqliteSearchIndex(ctx context.Context, tx bun.Tx, table string, titled bool) error {
	head, rest := func(string) string { return "''" }, func(row string) string { return row + ".search" }
	if titled {
		// The title is the first line; without a line break, all of it.
		head = func(row string) string {
			return "CASE WHEN instr(" + row + ".search, char(10)) > 0 THEN substr(" + row + ".search, 1, instr(" + row + ".search, char(10)) - 1) ELSE " + row + ".search END"
		}
		rest = func(row string) string {
			return "CASE WHEN instr(" + row + ".search, char(10)) > 0 THEN substr(" + row + ".search, instr(" + row + ".search, char(10)) + 1) ELSE '' END"
		}
	}
	fts := table + "_fts"
	ins := func(row string) string {
		return "INSERT INTO " + fts + " (rowid, head, rest) VALUES (" + row + ".id, " + head(row) + ", " + rest(row) + ");"
	}
	del := "DELETE FROM " + fts + " WHERE rowid = OLD.id;"
	if err := execAll(ctx, tx,
		"CREATE VIRTUAL TABLE "+fts+" USING fts5(head, rest, content='', contentless_delete=1)",
		"CREATE TRIGGER "+table+"_fts_insert AFTER INSERT ON "+table+" BEGIN "+ins("NEW")+" END",
		"CREATE TRIGGER "+table+"_fts_update AFTER UPDATE OF search ON "+table+" WHEN OLD.search IS NOT NEW.search BEGIN "+del+" "+ins("NEW")+" END",
		"CREATE TRIGGER "+table+"_fts_delete AFTER DELETE ON "+table+" BEGIN "+del+" END",
	); err != nil {
		return err
	}
	var last int64
	if err := tx.NewRaw("SELECT coalesce(max(id), 0) FROM "+table).Scan(ctx, &last); err != nil {
		return fmt.Errorf("fill %s: %w", fts, err)
	}
	for from := int64(0); from < last; from += 1000 {
		if _, err := tx.ExecContext(ctx, "INSERT INTO "+fts+" (rowid, head, rest) SELECT t.id, "+head("t")+", "+rest("t")+
			" FROM "+table+" AS t WHERE t.id > ? AND t.id <= ?", from, from+1000); err != nil {
			return fmt.Errorf("fill %s: %w", fts, err)
		}
	}
	return nil
}
