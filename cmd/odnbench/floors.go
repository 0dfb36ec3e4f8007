package main

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"fmt"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/federation"
	"github.com/opendemocracynow/odn/models"
)

// floors are the bare costs the figures are compared with, measured in
// this run: what no implementation can avoid.
type floors struct {
	SQLiteInsert time.Duration // one autocommit single-row insert (2 KB)
	PGInsert     time.Duration // the same on PostgreSQL (0 without -pg)
	PKSelect     time.Duration // one primary-key select of a row (SQLite)
	RSAVerify    time.Duration
	RSASign      time.Duration
	Parse        time.Duration // go-fed ToType of a 2 KB Create{Note}
	Cores        int
}

func measureFloors(ctx context.Context, b *bench) (*floors, error) {
	f := &floors{Cores: runtime.GOMAXPROCS(0)}
	n := b.scale(3000, 1000)
	in, err := newInstance(ctx, b, "", nil)
	if err != nil {
		return nil, err
	}
	defer in.close()
	if f.SQLiteInsert, f.PKSelect, err = dbFloor(ctx, in.Store, n); err != nil {
		return nil, err
	}
	if b.pgDSN != "" {
		dsn, drop, err := pgDatabase(ctx, b.pgDSN, "odnbench_floor")
		if err != nil {
			return nil, err
		}
		defer drop()
		st, err := models.Open(ctx, dsn)
		if err != nil {
			return nil, err
		}
		defer st.Close()
		if f.PGInsert, _, err = dbFloor(ctx, st, n); err != nil {
			return nil, err
		}
	}
	key := keyPool()[0]
	digest := sha256.Sum256([]byte("odn"))
	sig, _ := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	f.RSASign = signFloor(b.scale(200, 60))
	f.RSAVerify = timeEach(b.scale(5000, 1000), func() { rsa.VerifyPKCS1v15(&key.PublicKey, crypto.SHA256, digest[:], sig) }) //nolint:errcheck // timing
	body := createNote("http://peer.example/users/u", "http://peer.example/acts/1")
	f.Parse = timeEach(b.scale(2000, 500), func() {
		if _, _, err := federation.ParseActivity(ctx, body); err != nil {
			panic(err)
		}
	})
	fmt.Printf("# floors: sqlite insert %.0f µs (%.0f/s), pg insert %.0f µs, pk select %.1f µs, rsa verify %.1f µs, rsa sign %.0f µs, go-fed parse %.0f µs, cores %d\n",
		us(f.SQLiteInsert), 1/f.SQLiteInsert.Seconds(), us(f.PGInsert), us(f.PKSelect), us(f.RSAVerify), us(f.RSASign), us(f.Parse), f.Cores)
	return f, nil
}

// dbFloor times autocommit single-row inserts of a 2 KB text, one after
// the other, and primary-key selects, through the same driver, pool and
// pragmas as odn (models.Open). It takes the median of three rounds.
func dbFloor(ctx context.Context, st *models.Store, n int) (insert, sel time.Duration, err error) {
	if _, err = st.DB.ExecContext(ctx, "CREATE TABLE IF NOT EXISTS bench_floor (id BIGINT PRIMARY KEY, body TEXT NOT NULL)"); err != nil {
		return 0, 0, err
	}
	body := strings.Repeat("x", 2048)
	id := int64(0)
	var ins, sels []time.Duration
	for range 3 {
		start := time.Now()
		for range n / 3 {
			id++
			if _, err = st.DB.ExecContext(ctx, "INSERT INTO bench_floor (id, body) VALUES (?, ?)", id, body); err != nil {
				return 0, 0, err
			}
		}
		ins = append(ins, time.Since(start)/time.Duration(n/3))
		start = time.Now()
		var got string
		for i := range n / 3 {
			if err = st.DB.QueryRowContext(ctx, "SELECT body FROM bench_floor WHERE id = ?", int64(i%int(id))+1).Scan(&got); err != nil {
				return 0, 0, err
			}
		}
		sels = append(sels, time.Since(start)/time.Duration(n/3))
	}
	return median(ins), median(sels), nil
}

// signFloor times one RSA-2048 PKCS#1 v1.5 signature, the mean of n.
// fanout_10k takes it again just before its own run ("the limit measured
// beside it"): the machine drifts within a run too, and a signature is
// cheap to time.
func signFloor(n int) time.Duration {
	key := keyPool()[0]
	digest := sha256.Sum256([]byte("odn"))
	return timeEach(n, func() { rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:]) }) //nolint:errcheck // timing
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

// timeEach returns the mean time of fn over n calls (after one warm-up).
func timeEach(n int, fn func()) time.Duration {
	fn()
	start := time.Now()
	for range n {
		fn()
	}
	return time.Since(start) / time.Duration(n)
}

// createNote is a Mastodon-like Create{Note} of about 2 KB.
func createNote(actor, id string) []byte {
	text := strings.Repeat("Nous proposons de piétonniser la rue du marché le samedi matin. ", 24)
	return []byte(fmt.Sprintf(`{"@context":["https://www.w3.org/ns/activitystreams",{"sensitive":"as:sensitive"}],`+
		`"id":%q,"type":"Create","actor":%q,"published":"2026-11-23T10:00:00Z",`+
		`"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":[%q],`+
		`"object":{"id":%q,"type":"Note","attributedTo":%q,"content":"<p>%s</p>","published":"2026-11-23T10:00:00Z",`+
		`"to":["https://www.w3.org/ns/activitystreams#Public"],"cc":[%q],"sensitive":false,"tag":[]}}`,
		id, actor, actor+"/followers", id+"/note", actor, text, actor+"/followers"))
}
