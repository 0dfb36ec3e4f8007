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
// one row per limiter, key and window, incremented in place. The web door
// reads and adds to them through httprate's LimitCounter interface
// (web/ratelimit_shared.go); on SQLite, one process, it keeps its counts
// in memory instead.
//
// Keys are client addresses and the like: only a hash of the limiter's
// name and the key is stored. A hash of an IPv4 address can be reversed
// by trying all 2³² of them, so what protects the addresses is that a row
// lives two windows (its window, then as the previous one) and is then
// deleted (PurgeRateCounts): minutes for the log-in limit.

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

// AddRateCount adds n to limiter's count for key in the window starting
// at window, of the given length.
func (s *Store) AddRateCount(ctx context.Context, limiter, key string, window time.Time, length time.Duration, n int) error {
	start := window.Unix()
	row := &rateCount{Limiter: limiter, KeyHash: rateKeyHash(limiter, key), WindowStart: start, Hits: n,
		Expires: window.Add(2 * length).Unix()}
	_, err := s.DB.NewInsert().Model(row).
		On("CONFLICT (limiter, key_hash, window_start) DO UPDATE").
		Set("hits = rate_count.hits + EXCLUDED.hits").
		Exec(ctx)
	return dbErr("add rate count", err)
}

// RateCounts returns limiter's counts for key in the windows starting at
// cur and prev (0 for a window without a row).
func (s *Store) RateCounts(ctx context.Context, limiter, key string, cur, prev time.Time) (curCount, prevCount int, err error) {
	var rows []rateCount
	err = s.DB.NewSelect().Model(&rows).Column("window_start", "hits").
		Where("limiter = ? AND key_hash = ? AND window_start IN (?, ?)", limiter, rateKeyHash(limiter, key), cur.Unix(), prev.Unix()).
		Scan(ctx)
	if err != nil {
		return 0, 0, dbErr("rate counts", err)
	}
	for _, r := range rows {
		switch r.WindowStart {
		case cur.Unix():
			curCount = r.Hits
		case prev.Unix():
			prevCount = r.Hits
		}
	}
	return curCount, prevCount, nil
}

// PurgeRateCounts removes the counts of windows that no limit reads any
// more; the server calls it periodically, and the web door on its way
// once a window.
func (s *Store) PurgeRateCounts(ctx context.Context) (int64, error) {
	res, err := s.DB.NewDelete().Model((*rateCount)(nil)).Where("expires <= ?", s.Now().Unix()).Exec(ctx)
	if err != nil {
		return 0, dbErr("purge rate counts", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
