package main

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opendemocracynow/odn/cmd/odn/cli"
	"github.com/opendemocracynow/odn/models"
)

// keyPool hands out a few pre-made RSA keys round-robin, so that creating
// thousands of accounts does not cost 100 ms of key generation each.
var keyPool = sync.OnceValue(func() []*rsa.PrivateKey {
	keys := make([]*rsa.PrivateKey, 4)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				panic(err)
			}
			keys[i] = k
		})
	}
	wg.Wait()
	return keys
})

var keyNext atomic.Uint64

func keyGen() (*rsa.PrivateKey, error) {
	k := keyPool()
	return k[(keyNext.Add(1)-1)%uint64(len(k))], nil
}

// storeOptions are those of every store the bench opens.
func storeOptions(base string) []models.Option {
	return []models.Option{models.WithBaseURL(base), models.WithKeyGenerator(keyGen), models.WithFastPasswordHashing()}
}

// instance is one odn server running in this process through cli.Run,
// with a second store handle (Store) for seeding and asserting.
type instance struct {
	Base  string
	DSN   string
	Store *models.Store
	env   map[string]string
	ln    net.Listener
	stop  context.CancelFunc
	done  chan int
	log   *tail
}

// newInstance listens on a free loopback port, opens and migrates the
// database dsn (fresh SQLite in tmp when empty) and returns the instance,
// not started yet: seed it through Store first, then call start.
func newInstance(ctx context.Context, b *bench, dsn string, env map[string]string) (*instance, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	in := &instance{Base: "http://" + ln.Addr().String(), ln: ln, log: &tail{}, env: map[string]string{
		"ODN_FEDERATION_POLL":       "20ms",
		"ODN_FEDERATION_INBOX_RATE": "100000",
		"ODN_LOG_LEVEL":             "warn",
		"ODN_LOG_FORMAT":            "json",
	}}
	for k, v := range env {
		in.env[k] = v
	}
	if dsn == "" {
		dir, err := osMkdirTemp(b.tmp)
		if err != nil {
			return nil, err
		}
		dsn = "sqlite://" + filepath.Join(dir, "odn.db")
	}
	in.DSN = dsn
	in.Store, err = models.Open(ctx, dsn, storeOptions(in.Base)...)
	if err != nil {
		ln.Close()
		return nil, err
	}
	if err := in.Store.Migrate(ctx); err != nil {
		in.Store.Close()
		ln.Close()
		return nil, err
	}
	return in, nil
}

// start runs the server until close; it returns once /readyz answers.
func (in *instance) start(ctx context.Context) error {
	sctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	in.stop, in.done = cancel, make(chan int, 1)
	ready := make(chan struct{})
	args := []string{"serve", "--db", in.DSN, "--base-url", in.Base, "--dev-insecure"}
	env := cli.Env{Stdout: io.Discard, Stderr: in.log, Listener: in.ln, Version: "bench",
		Getenv: func(k string) string { return in.env[k] }, Ready: func(string) { close(ready) },
		StoreOptions: []models.Option{models.WithKeyGenerator(keyGen)}}
	go func() { in.done <- cli.Run(sctx, args, env) }()
	select {
	case <-ready:
		return nil
	case code := <-in.done:
		in.stop = nil
		return fmt.Errorf("serve exited %d: %s", code, in.log)
	case <-time.After(30 * time.Second):
		return errors.New("serve did not start")
	}
}

// close stops the server and closes the second store handle.
func (in *instance) close() {
	if in.stop != nil {
		in.stop()
		select {
		case <-in.done:
		case <-time.After(20 * time.Second):
		}
	}
	in.ln.Close()
	in.Store.Close()
}

// tail keeps the last few KB of a log.
type tail struct {
	mu sync.Mutex
	b  []byte
}

func (t *tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.b = append(t.b, p...)
	if len(t.b) > 16<<10 {
		t.b = t.b[len(t.b)-8<<10:]
	}
	return len(p), nil
}

func (t *tail) String() string { t.mu.Lock(); defer t.mu.Unlock(); return string(t.b) }

// pgDatabase creates a fresh database on the -pg server and returns its
// DSN and a function dropping it.
func pgDatabase(ctx context.Context, admin, name string) (string, func(), error) {
	u, err := url.Parse(admin)
	if err != nil {
		return "", nil, err
	}
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(ctx)
	id := pgx.Identifier{name}.Sanitize()
	conn.Exec(ctx, "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)") //nolint:errcheck // may not exist
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+id); err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	drop := func() {
		c, err := pgx.Connect(context.Background(), admin)
		if err == nil {
			c.Exec(context.Background(), "DROP DATABASE IF EXISTS "+id+" WITH (FORCE)") //nolint:errcheck // best effort
			c.Close(context.Background())
		}
	}
	return u.String(), drop, nil
}

// httpClient is a client for many concurrent loopback requests that does
// not follow redirects.
func httpClient(conns int) *http.Client {
	return &http.Client{Timeout: 60 * time.Second,
		Transport:     &http.Transport{MaxIdleConns: conns, MaxIdleConnsPerHost: conns, IdleConnTimeout: time.Minute},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// sourceClient is httpClient whose connections come from the loopback
// address ip (127.x.y.z): per-address rate limits then see many clients.
func sourceClient(conns int, ip string) *http.Client {
	c := httpClient(conns)
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}, Timeout: 5 * time.Second}
	c.Transport.(*http.Transport).DialContext = d.DialContext
	return c
}

func drainClose(res *http.Response) {
	io.Copy(io.Discard, res.Body) //nolint:errcheck // draining
	res.Body.Close()
}

var tmpSeq atomic.Int64

func osMkdirTemp(parent string) (string, error) {
	dir := filepath.Join(parent, fmt.Sprintf("db%d", tmpSeq.Add(1)))
	return dir, mkdirAll(dir)
}

// percentile returns the p-th percentile (0–100) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return sorted[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
