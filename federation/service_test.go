package federation

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// node is one in-process Service on an httptest server, for tests of the
// federation door without the web door.
type node struct {
	s   *Service
	st  *models.Store
	srv *httptest.Server
}

func newNode(t testing.TB, tweak func(*Options)) *node {
	t.Helper()
	var mu sync.RWMutex
	var h http.Handler = http.NotFoundHandler()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.RLock()
		defer mu.RUnlock()
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	st := dbtest.SQLite(t, models.WithBaseURL(srv.URL))
	opts := Options{Store: st, DevInsecure: true, PollInterval: 20 * time.Millisecond, Lease: 3 * time.Second,
		Backoff: func(int) time.Duration { return 100 * time.Millisecond }}
	if tweak != nil {
		tweak(&opts)
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	st.SetEvents(s)
	st.SetResolver(s)
	r := chi.NewRouter()
	s.Mount(r)
	mu.Lock()
	h = r
	mu.Unlock()
	return &node{s: s, st: st, srv: srv}
}

// run starts the node's workers until the test ends.
func (n *node) run(t testing.TB) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, w := range n.s.Workers() {
		wg.Go(func() { w(ctx) })
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
}

func (n *node) user(t *testing.T, name string) *models.Account {
	t.Helper()
	acc, err := n.st.CreateAccount(context.Background(), models.NewAccount{Username: name, Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return acc
}

func (n *node) space(t *testing.T, name string) *models.Space {
	t.Helper()
	sp, err := n.st.CreateSpace(context.Background(), nil, models.SpaceInput{Name: name, Kind: models.KindCity})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func signerOf(t *testing.T, a *models.Actor) *Signer {
	t.Helper()
	key, err := ParsePrivateKeyPEM(a.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := NewSigner(a.PublicKeyID, key)
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

// post sends body to url signed by sg (unless nil); mutate may alter the
// request after signing.
func post(t *testing.T, url string, body []byte, sg *Signer, mutate func(*http.Request)) int {
	t.Helper()
	return postVia(t, http.DefaultClient, url, body, sg, mutate).StatusCode
}

// postVia is post through client; the answer's body is closed.
func postVia(t *testing.T, client *http.Client, url string, body []byte, sg *Signer, mutate func(*http.Request)) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
	req.Header.Set("Content-Type", ActivityJSONType)
	if sg != nil {
		if err := sg.SignRequest(req, body); err != nil {
			t.Fatal(err)
		}
	}
	if mutate != nil {
		mutate(req)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
