package models

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/uptrace/bun"
)

// Request counts of the rate limits that must hold across every node of a
// PostgreSQL deployment (the web door's log-in limit per client address):
// one row per limiter, key and window, incremented in place, one statement
// per attempt (AddRateCount, web/ratelimit_shared.go); on SQLite, one
// process, the web door keeps its counts in memory instead.
//
// Keys are client addresses and the like: only a hash of the limiter's
// name and the key is stored. A hash of an IPv4 address can be reversed
// by trying all 2³² of them, so what protects the addresses is that a row
// lives two windows (its window, then as the previous one) and is then
// deleted by the hourly PurgeRateCounts: about two minutes, at most an
// hour more, for the log-in limit.

// rateCount is one limiter's count for one key in one window.
type rateCount struct {
	bun.BaseModel `bun:"table:rate_counts"`
	Limiter       string `bun:",pk"`
	KeyHash       string `bun:",pk"` // rateKeyHash
	WindowStart   int64  `bun:",pk"` // Unix seconds
	Hits          int    `bun:",notnull"`
	Expires       int64  `bun:",notnull"` // Unix seconds: the row is useless from then on
}

// rateKeyHash is the stored form of a limiter's key: the first 16 bytes
// of SHA-256 of the limiter's name and the key, in hex.
func rateKeyHash(limiter, key string) string {
	sum := sha256.Sum256([]byte(limiter + "\x00" + key))
	return hex.EncodeToString(sum[:16])
}

// AddRateCount adds one to limiter's count for key in the window starting
// at window, of the given length, and returns that count (this attempt
// included) and the count of the window before. One statement: the
// increment is atomic across nodes, and only the row of this key and
// window is locked, for the time of the statement, so attempts under
// other keys never wait for it.
func (s *Store) AddRateCount(ctx context.Context, limiter, key string, window time.Time, length time.Duration) (cur, prev int, err error) {
	hash := rateKeyHash(limiter, key)
	start := window.Unix()
	err = s.DB.NewRaw(`WITH prev AS (
	SELECT hits FROM rate_counts WHERE limiter = ? AND key_hash = ? AND window_start = ?)
INSERT INTO rate_counts AS rate_count (limiter, key_hash, window_start, hits, expires) VALUES (?, ?, ?, 1, ?)
ON CONFLICT (limiter, key_hash, window_start) DO UPDATE SET hits = rate_count.hits + 1
RETURNING hits, COALESCE((SELECT hits FROM prev), 0)`,
		limiter, hash, window.Add(-length).Unix(),
		limiter, hash, start, window.Add(2*length).Unix()).
		Scan(ctx, &cur, &prev)
	return cur, prev, dbErr("add rate count", err)
}

// PurgeRateCounts removes the counts of windows that no limit reads any
// more; the server's hourly sweeper calls it, never a request: it deletes
// across every key, and could wait on any of their rows.
func (s *Store) PurgeRateCounts(ctx context.Context) (int64, error) {
	res, err := s.DB.NewDelete().Model((*rateCount)(nil)).Where("expires <= ?", s.Now().Unix()).Exec(ctx)
	if err != nil {
		return 0, dbErr("purge rate counts", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
