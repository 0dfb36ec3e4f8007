package models

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// Orders of the site-wide search (SearchQuery.Sort).
const (
	// SearchByRelevance is the default: best match first (docs/RANKING.md,
	// "Search"), ties newest first.
	SearchByRelevance = "relevance"
	// SearchByNew is newest first (by id).
	SearchByNew = "new"
)

// MaxSearchOffset bounds how deep the pages of a search by relevance go
// (each page ranks every match again); newest first has no bound.
const MaxSearchOffset = 1000

// Weights of the search's ranking: a word in the title counts this many
// times a word in the text (FTS5's bm25 column weights; on PostgreSQL
// ts_rank's weights of A, the title, and D, the text, are 1.0 and 0.1).
const searchTitleWeight = 10.0

// isWordRune reports whether r is part of a word for the search: a
// letter or a digit, as FTS5's unicode61 tokenizer counts them.
func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// searchTokens are the words a search looks for: the folded text cut at
// every character that is not a letter or a digit ("l’eau" is "l" and
// "eau"), at most maxSearchWords, one-character ones dropped when longer
// ones remain (the l of l’eau would match nearly every French text). Each
// must begin a word of a hit's title or text.
func searchTokens(text string) []string {
	all := strings.FieldsFunc(foldText(text), func(r rune) bool { return !isWordRune(r) })
	long := make([]string, 0, len(all))
	for _, w := range all {
		if utf8.RuneCountInString(w) > 1 {
			long = append(long, w)
		}
	}
	if len(long) == 0 {
		long = all
	}
	return long[:min(len(long), maxSearchWords)]
}

// searchMatch is the subquery of the rows of table whose index holds
// every token as a word's start: columns hit_id and hit_rank (higher is
// better), with its arguments.
func searchMatch(db bun.IDB, table string, tokens []string) (string, []any) {
	if db.Dialect().Name() == dialect.PG {
		query := make([]string, len(tokens))
		for i, t := range tokens {
			query[i] = t + ":*"
		}
		// ts_rank's default weights {D, C, B, A} = {0.1, 0.2, 0.4, 1.0};
		// normalization 1 divides by 1 + log of the text's length in words.
		return "SELECT id AS hit_id, ts_rank(search_tsv, q, 1) AS hit_rank FROM " + table +
			", to_tsquery('simple', ?) AS q WHERE search_tsv @@ q", []any{strings.Join(query, " & ")}
	}
	query := make([]string, len(tokens))
	for i, t := range tokens {
		query[i] = `"` + t + `"*` // letters and digits only: nothing to escape
	}
	fts := table + "_fts"
	// bm25 is lower for a better match: negated, as ts_rank.
	return "SELECT rowid AS hit_id, -bm25(" + fts + ", ?, 1.0) AS hit_rank FROM " + fts + " WHERE " + fts + " MATCH ?",
		[]any{searchTitleWeight, strings.Join(query, " ")}
}
