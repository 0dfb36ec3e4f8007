package models

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// List orders of proposals and petitions, documented in docs/RANKING.md
// so that anyone can check how a list was ranked.
const (
	SortNewest     = "newest"     // newest first (by id, descending)
	SortSupports   = "supports"   // proposals: most supported first, ties by id ascending
	SortSignatures = "signatures" // petitions: most signed first, ties by id ascending
	SortRandom     = "random"     // RandomOrder with a published seed
)

// MaxRandomPool bounds how many items (the newest matching ones) a random
// order shuffles; past it the oldest items are left out of random lists.
const MaxRandomPool = 10_000

// maxSearchWords bounds the words of a text search.
const maxSearchWords = 8

// Bounds of a search's text: each word is a %…% LIKE pattern, scanned
// over every row, and SQLite refuses patterns past 50,000 bytes (a 500
// for a long enough URL before these bounds).
const (
	maxSearchChars    = 200
	maxSearchWordRune = 64
)

// errSearchTooLong is a search's text past its bounds.
const errSearchTooLong = "A search has at most 200 characters, and each word at most 64."

// searchTooLong reports whether text is past a search's bounds.
func searchTooLong(text string) bool {
	if utf8.RuneCountInString(text) > maxSearchChars {
		return true
	}
	for _, w := range strings.Fields(text) {
		if utf8.RuneCountInString(w) > maxSearchWordRune {
			return true
		}
	}
	return false
}

// RandomOrder returns ids in the random order published for seed: each id
// gets the key SHA-256(seed as 8 bytes big-endian ‖ id as 8 bytes
// big-endian), of which the first 8 bytes are read as a big-endian
// unsigned integer; ids are sorted by key ascending, then by id. The order
// of two ids never depends on the other ids, so anyone can recompute it.
func RandomOrder(seed uint64, ids []int64) []int64 {
	type keyed struct {
		key uint64
		id  int64
	}
	ks := make([]keyed, len(ids))
	var buf [16]byte
	binary.BigEndian.PutUint64(buf[:8], seed)
	for i, id := range ids {
		binary.BigEndian.PutUint64(buf[8:], uint64(id))
		sum := sha256.Sum256(buf[:])
		ks[i] = keyed{binary.BigEndian.Uint64(sum[:8]), id}
	}
	slices.SortFunc(ks, func(a, b keyed) int {
		return cmp.Or(cmp.Compare(a.key, b.key), cmp.Compare(a.id, b.id))
	})
	out := make([]int64, len(ks))
	for i, k := range ks {
		out[i] = k.id
	}
	return out
}

// listSpec says which page of a civic list to read.
type listSpec struct {
	filter    func(*bun.SelectQuery) *bun.SelectQuery // visibility, space and user filters
	sort      string                                  // "" means SortNewest
	countCol  string                                  // column of the popularity order
	countSort string                                  // name of the popularity order
	seed      uint64
	cursor    string
	limit     int
}

// rankRow is the light first pass of a list: ids in order, and the count
// the popularity cursor needs.
type rankRow struct {
	ID int64 `bun:"id"`
	N  int   `bun:"n"`
}

// listPage reads one page of T in two passes: the ordered ids of the page
// (cheap, with the cursor condition), then the rows themselves. Cursors
// are opaque to clients; inside they are "ID" (newest), "COUNT.ID"
// (popularity) and an offset into the permutation (random).
func listPage[T any](ctx context.Context, db bun.IDB, spec listSpec, idOf func(*T) int64) ([]*T, string, error) {
	limit := clampLimit(spec.limit)
	base := spec.filter(db.NewSelect().Model((*T)(nil)))
	var ids []int64
	next := ""
	badCursor := Invalid("cursor", "This page link is not valid.")
	switch spec.sort {
	case SortRandom:
		offset, err := strconv.Atoi(spec.cursor)
		if spec.cursor == "" {
			offset, err = 0, nil
		}
		if err != nil || offset < 0 || offset > MaxRandomPool {
			return nil, "", badCursor
		}
		var pool []int64
		if err := base.Column("id").Order("id DESC").Limit(MaxRandomPool).Scan(ctx, &pool); err != nil {
			return nil, "", dbErr("random pool", err)
		}
		order := RandomOrder(spec.seed, pool)
		end := min(offset+limit, len(order))
		if offset < end {
			ids = order[offset:end]
		}
		if end < len(order) {
			next = strconv.Itoa(end)
		}
	case spec.countSort:
		q := base.ColumnExpr("id, ? AS n", bun.Ident(spec.countCol)).
			OrderExpr("? DESC, id ASC", bun.Ident(spec.countCol)).Limit(int64(limit + 1))
		if spec.cursor != "" {
			ns, is, ok := strings.Cut(spec.cursor, ".")
			n, err1 := strconv.Atoi(ns)
			id, err2 := strconv.ParseInt(is, 10, 64)
			if !ok || err1 != nil || err2 != nil {
				return nil, "", badCursor
			}
			q = q.Where("? < ? OR (? = ? AND id > ?)", bun.Ident(spec.countCol), n, bun.Ident(spec.countCol), n, id)
		}
		var rows []rankRow
		if err := q.Scan(ctx, &rows); err != nil {
			return nil, "", dbErr("rank", err)
		}
		if len(rows) > limit {
			rows = rows[:limit]
			last := rows[limit-1]
			next = fmt.Sprintf("%d.%d", last.N, last.ID)
		}
		for _, r := range rows {
			ids = append(ids, r.ID)
		}
	case "", SortNewest:
		q := base.Column("id").Order("id DESC").Limit(int64(limit + 1))
		if spec.cursor != "" {
			id, err := strconv.ParseInt(spec.cursor, 10, 64)
			if err != nil {
				return nil, "", badCursor
			}
			q = q.Where("id < ?", id)
		}
		if err := q.Scan(ctx, &ids); err != nil {
			return nil, "", dbErr("newest", err)
		}
		if len(ids) > limit {
			ids = ids[:limit]
			next = strconv.FormatInt(ids[limit-1], 10)
		}
	default:
		return nil, "", Invalid("sort", fmt.Sprintf("The order must be %s, %s or %s.", SortNewest, spec.countSort, SortRandom))
	}
	if len(ids) == 0 {
		return []*T{}, next, nil
	}
	var rows []*T
	if err := db.NewSelect().Model(&rows).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return nil, "", dbErr("list", err)
	}
	pos := make(map[int64]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	slices.SortFunc(rows, func(a, b *T) int { return cmp.Compare(pos[idOf(a)], pos[idOf(b)]) })
	return rows, next, nil
}

// whereSearch requires every word of text (folded like the search
// column) to appear in it; LIKE wildcards in the words are escaped.
func whereSearch(q *bun.SelectQuery, text string) *bun.SelectQuery {
	words := strings.Fields(foldText(text))
	for i, w := range words {
		if i == maxSearchWords {
			break
		}
		w = likeEscaper.Replace(w)
		q = q.Where(`search LIKE ? ESCAPE '\'`, "%"+w+"%")
	}
	return q
}
