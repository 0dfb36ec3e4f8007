package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func followBody(id, actor, object string) []byte {
	b, _ := json.Marshal(map[string]any{"@context": ActivityStreamsContext, "id": id, "type": "Follow", "actor": actor, "object": object})
	return b
}

// TestInboxRefusesBadRequests: each bad request is refused with the right
// status before anything is stored.
func TestInboxRefusesBadRequests(t *testing.T) {
	a, p := newNode(t, nil), newNode(t, nil)
	ville := a.space(t, "ville")
	mallory, eve := p.user(t, "mallory"), p.user(t, "eve")
	sg := signerOf(t, mallory.Actor)
	inbox := a.srv.URL + "/inbox"
	otherKey := testKey(t, 1)
	forged, _ := NewSigner(mallory.Actor.PublicKeyID, otherKey)
	stale := signerOf(t, mallory.Actor)
	stale.now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	n := 0
	newID := func() string { n++; return fmt.Sprintf("%s/acts/%d", p.srv.URL, n) }
	huge := bytes.Repeat([]byte(" "), 2<<20)

	cases := []struct {
		name   string
		body   func(id string) []byte
		signer *Signer
		mutate func(*http.Request)
		status int
	}{
		{"valid", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, sg, nil, 202},
		{"unsigned", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, nil, nil, 401},
		{"forged signature", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, forged, nil, 401},
		{"wrong key owner", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, signerOf(t, eve.Actor), nil, 401},
		{"stale date", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, stale, nil, 401},
		{"wrong digest", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, sg, func(r *http.Request) {
			b := followBody(r.Header.Get("X-Id")+"x", mallory.Actor.URI, ville.Actor.URI)
			r.Body, r.ContentLength = nopCloser(b), int64(len(b))
		}, 401},
		{"rfc9421 input beside a draft-cavage signature", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, sg, func(r *http.Request) {
			r.Header.Set("Signature-Input", `sig1=("@method");keyid="x"`)
		}, 401},
		{"rfc9421", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, nil, rfc9421(t, sg, ""), 202},
		{"rfc9421 after a malformed label", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, nil, func(r *http.Request) {
			rfc9421(t, sg, "")(r)
			r.Header.Set("Signature-Input", `sig0=?1, `+r.Header.Get("Signature-Input"))
		}, 202},
		{"rfc9421 wrong key owner", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, nil, rfc9421(t, signerOf(t, eve.Actor), ""), 401},
		{"rfc9421 signed for another server", func(id string) []byte { return followBody(id, mallory.Actor.URI, ville.Actor.URI) }, nil,
			rfc9421(t, sg, "https://other.example/inbox"), 401},
		{"2 MB body", func(id string) []byte { return append(followBody(id, mallory.Actor.URI, ville.Actor.URI), huge...) }, sg, nil, 413},
		{"malformed JSON", func(id string) []byte { return []byte(`{"id":"` + id + `","type":`) }, sg, nil, 400},
		{"id on another host", func(string) []byte {
			return followBody(a.srv.URL+"/acts/1", mallory.Actor.URI, ville.Actor.URI)
		}, sg, nil, 400},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := newID()
			body := c.body(id)
			got := post(t, inbox, body, c.signer, func(r *http.Request) {
				r.Header.Set("X-Id", id)
				if c.mutate != nil {
					c.mutate(r)
				}
			})
			if got != c.status {
				t.Fatalf("status %d, want %d", got, c.status)
			}
			stored, _ := a.st.HasInboxActivity(context.Background(), id)
			if stored != (c.status == 202) {
				t.Errorf("stored = %v with status %d", stored, got)
			}
		})
	}
	backlog, _ := a.st.InboxBacklog(context.Background())
	if backlog != 3 {
		t.Errorf("inbox holds %d items, want only the three valid ones", backlog)
	}

	// Duplicate delivery of the valid activity: 202, stored once.
	if got := post(t, inbox, followBody(fmt.Sprintf("%s/acts/1", p.srv.URL), mallory.Actor.URI, ville.Actor.URI), sg, nil); got != 202 {
		t.Errorf("duplicate: status %d", got)
	}
	if backlog, _ := a.st.InboxBacklog(context.Background()); backlog != 3 {
		t.Errorf("duplicate stored again: backlog %d", backlog)
	}

	// A blocked domain is refused before anything else.
	if _, err := a.st.BlockDomain(context.Background(), nil, hostOf(p.srv.URL), "spam"); err != nil {
		t.Fatal(err)
	}
	a.s.blocks.invalidate()
	if got := post(t, inbox, followBody(newID(), mallory.Actor.URI, ville.Actor.URI), sg, nil); got != 403 {
		t.Errorf("blocked domain: status %d, want 403", got)
	}
	if got := post(t, inbox, followBody(newID(), mallory.Actor.URI, ville.Actor.URI), nil, rfc9421(t, sg, "")); got != 403 {
		t.Errorf("blocked domain, RFC 9421 signature: status %d, want 403", got)
	}
	// Its signature second, after one naming a key elsewhere (which does
	// not verify): the blocked domain's signature verifies, and the block
	// applies to it, not to the host the first one claimed.
	behind := func(r *http.Request) {
		rfc9421(t, sg, "")(r)
		b, _ := io.ReadAll(must(r.GetBody()))
		first := r.Clone(r.Context())
		add9421(t, first, b, "sig0", "http://127.0.0.1:1/users/x#main-key", otherKey, time.Now(), "")
		r.Header["Signature-Input"] = append(first.Header.Values("Signature-Input")[1:], r.Header.Values("Signature-Input")...)
		r.Header["Signature"] = append(first.Header.Values("Signature")[1:], r.Header.Values("Signature")...)
	}
	if got := post(t, inbox, followBody(newID(), mallory.Actor.URI, ville.Actor.URI), nil, behind); got != 403 {
		t.Errorf("blocked domain, its RFC 9421 signature after another host's: status %d, want 403", got)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// rfc9421 signs a client request with sg's key in RFC 9421 (sign9421),
// for the URL signedFor when not empty (a signature made for another
// server), the request's own otherwise.
func rfc9421(t *testing.T, sg *Signer, signedFor string) func(*http.Request) {
	return func(r *http.Request) {
		body, err := r.GetBody()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(body)
		signed := r
		if signedFor != "" {
			signed = r.Clone(r.Context())
			signed.URL, _ = url.Parse(signedFor)
		}
		sign9421(t, signed, b, sg.keyID, sg.key, time.Now(), "")
		for _, h := range []string{"Content-Digest", "Signature-Input", "Signature"} {
			r.Header.Set(h, signed.Header.Get(h))
		}
	}
}

func nopCloser(b []byte) *readCloser { return &readCloser{bytes.NewReader(b)} }

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

// TestInboxRateLimit answers 429 with Retry-After past the burst.
func TestInboxRateLimit(t *testing.T) {
	a := newNode(t, func(o *Options) { o.InboxRate, o.InboxBurst = 0.001, 2 })
	p := newNode(t, nil)
	ville := a.space(t, "ville")
	mallory := p.user(t, "mallory")
	sg := signerOf(t, mallory.Actor)
	var last int
	for i := range 3 {
		last = post(t, a.srv.URL+"/inbox", followBody(fmt.Sprintf("%s/r/%d", p.srv.URL, i), mallory.Actor.URI, ville.Actor.URI), sg, nil)
	}
	if last != http.StatusTooManyRequests {
		t.Fatalf("third request: status %d, want 429", last)
	}
}

// clientFrom is an HTTP client whose connections leave from source, a
// loopback address (all of 127/8 is loopback on Linux): the inbox keys
// its early rate limit by the client's address.
func clientFrom(source string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(source)}}
	return &http.Client{Transport: &http.Transport{DialContext: d.DialContext}}
}

// TestInboxForgerSpendsOnlyOwnBudget: signatures that name a real peer's
// key but do not verify, sent from another address, use up that
// address's budget, not the peer's: the peer's own deliveries still get
// 202 until its verified budget is spent.
func TestInboxForgerSpendsOnlyOwnBudget(t *testing.T) {
	a := newNode(t, func(o *Options) { o.InboxRate, o.InboxBurst = 0.001, 2 })
	p := newNode(t, nil)
	ville := a.space(t, "ville")
	mallory, eve := p.user(t, "mallory"), p.user(t, "eve")
	sg := signerOf(t, mallory.Actor)
	eveKey, err := ParsePrivateKeyPEM(eve.Actor.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	forged, err := NewSigner(mallory.Actor.PublicKeyID, eveKey) // mallory's key id, eve's key
	if err != nil {
		t.Fatal(err)
	}
	inbox := a.srv.URL + "/inbox"
	forger := clientFrom("127.0.0.2")
	// The forger's address may send claimFactor × burst before its
	// signatures are checked; they are refused (401), then limited (429).
	for i := range claimFactor*2 + 1 {
		want := 401
		if i == claimFactor*2 {
			want = 429
		}
		body := followBody(fmt.Sprintf("%s/forged/%d", p.srv.URL, i), mallory.Actor.URI, ville.Actor.URI)
		if got := postVia(t, forger, inbox, body, forged, nil).StatusCode; got != want {
			t.Errorf("forged POST %d: status %d, want %d", i, got, want)
		}
	}
	for i, want := range []int{202, 202, 429} {
		body := followBody(fmt.Sprintf("%s/r/%d", p.srv.URL, i), mallory.Actor.URI, ville.Actor.URI)
		resp := postVia(t, clientFrom("127.0.0.1"), inbox, body, sg, nil)
		if resp.StatusCode != want {
			t.Errorf("mallory's POST %d: status %d, want %d", i, resp.StatusCode, want)
		}
		if want == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	// The verified budget is the host's, whatever address it comes from.
	body := followBody(p.srv.URL+"/r/other-address", mallory.Actor.URI, ville.Actor.URI)
	if got := postVia(t, clientFrom("127.0.0.3"), inbox, body, sg, nil).StatusCode; got != 429 {
		t.Errorf("mallory from another address past the host's budget: status %d, want 429", got)
	}
}

// TestInboxForgerCannotSpendPeersFetches: forged signatures naming key
// ids of a real peer's actor (its key id with other fragments) make odn
// fetch that actor once, not once per key id, so the peer's key-fetch
// budget is left for its honest new actors.
func TestInboxForgerCannotSpendPeersFetches(t *testing.T) {
	a := newNode(t, func(o *Options) { o.InboxRate, o.InboxBurst = 0.001, 8 })
	p := newNode(t, nil)
	ville := a.space(t, "ville")
	mallory, eve := p.user(t, "mallory"), p.user(t, "eve")
	eveKey, err := ParsePrivateKeyPEM(eve.Actor.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		forged, err := NewSigner(fmt.Sprintf("%s#k%d", mallory.Actor.URI, i), eveKey)
		if err != nil {
			t.Fatal(err)
		}
		body := followBody(fmt.Sprintf("%s/forged/%d", p.srv.URL, i), mallory.Actor.URI, ville.Actor.URI)
		if got := postVia(t, clientFrom("127.0.0.2"), a.srv.URL+"/inbox", body, forged, nil).StatusCode; got != 401 {
			t.Errorf("forged POST %d: status %d, want 401", i, got)
		}
	}
	body := followBody(p.srv.URL+"/eve/1", eve.Actor.URI, ville.Actor.URI)
	if got := postVia(t, clientFrom("127.0.0.1"), a.srv.URL+"/inbox", body, signerOf(t, eve.Actor), nil).StatusCode; got != 202 {
		t.Errorf("eve's first, honest POST after the forger: status %d, want 202", got)
	}
}

// TestInboxFetchBudgetPerServer: a host respelled (leading zeros in its
// port) is the same server, with one key-fetch budget.
func TestInboxFetchBudgetPerServer(t *testing.T) {
	var gets atomic.Int64
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		http.NotFound(w, r)
	}))
	defer victim.Close()
	host, port, _ := net.SplitHostPort(strings.TrimPrefix(victim.URL, "http://"))
	a := newNode(t, func(o *Options) { o.InboxRate, o.InboxBurst = 0.001, 8 })
	ville := a.space(t, "ville")
	key, err := ParsePrivateKeyPEM(a.user(t, "anyone").Actor.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 6 {
		actor := fmt.Sprintf("http://%s:%s%s/users/u", host, strings.Repeat("0", i), port)
		sg, err := NewSigner(actor+"#main-key", key)
		if err != nil {
			t.Fatal(err)
		}
		from := fmt.Sprintf("127.0.0.%d", 2+i) // not one address's part
		postVia(t, clientFrom(from), a.srv.URL+"/inbox", followBody(fmt.Sprintf("%s/f/%d", victim.URL, i), actor, ville.Actor.URI), sg, nil)
	}
	if n := gets.Load(); n != 2 {
		t.Errorf("the victim was fetched %d times, want 2 (its unknown addresses' share of its fetch budget)", n)
	}
}

// TestInboxKeyFetchesBoundedPerHost: unknown key ids on one host, sent
// from many addresses that never delivered a verified activity of it,
// make odn fetch that host at most the unknown addresses' share of its
// budget (a quarter: here two fetches), and one address at most its part
// of that (here one); past either the inbox answers 429 with Retry-After
// (the sender may be honest) and fetches nothing.
func TestInboxKeyFetchesBoundedPerHost(t *testing.T) {
	var gets atomic.Int64
	victim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gets.Add(1)
		http.NotFound(w, r)
	}))
	defer victim.Close()
	a := newNode(t, func(o *Options) { o.InboxRate, o.InboxBurst = 0.001, 8 })
	ville := a.space(t, "ville")
	key, err := ParsePrivateKeyPEM(a.user(t, "anyone").Actor.PrivateKeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	var statuses []int
	for i := range 6 {
		actor := fmt.Sprintf("%s/users/u%d", victim.URL, i)
		sg, err := NewSigner(actor+"#main-key", key)
		if err != nil {
			t.Fatal(err)
		}
		from := fmt.Sprintf("127.0.0.%d", 2+i/2) // two from each of three addresses
		resp := postVia(t, clientFrom(from), a.srv.URL+"/inbox", followBody(fmt.Sprintf("%s/f/%d", victim.URL, i), actor, ville.Actor.URI), sg, nil)
		statuses = append(statuses, resp.StatusCode)
		if resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
	if n := gets.Load(); n != 2 {
		t.Errorf("the victim was fetched %d times, want 2 (the unknown addresses' share of the host's fetch budget)", n)
	}
	// Each address's second is past its part; the third address's first
	// is past the unknown addresses' share.
	if want := []int{401, 429, 401, 429, 429, 429}; !slices.Equal(statuses, want) {
		t.Errorf("statuses %v, want %v", statuses, want)
	}
}

// TestCreateOfForeignObjectIsFetchedFromOrigin: an embedded object from
// another host is not trusted; its origin's version is applied, and
// nothing is applied when the origin does not have it.
func TestCreateOfForeignObjectIsFetchedFromOrigin(t *testing.T) {
	var mu sync.Mutex
	var got []string
	old := createHandlers["Note"]
	t.Cleanup(func() { createHandlers["Note"] = old })
	createHandlers["Note"] = func(_ context.Context, _ *Service, _ *incoming, obj map[string]any) error {
		mu.Lock()
		got = append(got, str(obj, "content"))
		mu.Unlock()
		return nil
	}
	origin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/notes/1" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", ActivityJSONType)
		fmt.Fprintf(w, `{"id":"http://%s/notes/1","type":"Note","content":"from origin","attributedTo":"http://%s/u/x"}`, r.Host, r.Host)
	}))
	defer origin.Close()
	a, p := newNode(t, nil), newNode(t, nil)
	a.run(t)
	mallory := p.user(t, "mallory")
	sg := signerOf(t, mallory.Actor)
	for i, path := range []string{"/notes/1", "/notes/404"} {
		body, _ := json.Marshal(map[string]any{
			"id": fmt.Sprintf("%s/acts/c%d", p.srv.URL, i), "type": "Create", "actor": mallory.Actor.URI,
			"object": map[string]any{"id": origin.URL + path, "type": "Note", "content": "forged", "attributedTo": mallory.Actor.URI},
		})
		if st := post(t, a.srv.URL+"/inbox", body, sg, nil); st != 202 {
			t.Fatalf("status %d", st)
		}
	}
	waitFor(t, "both items processed", func() bool { n, _ := a.st.InboxBacklog(context.Background()); return n == 0 })
	mu.Lock()
	defer mu.Unlock()
	if strings.Join(got, ",") != "from origin" {
		t.Fatalf("applied %q, want only the origin's version", got)
	}
}

// TestResolveRefusesMismatchAndPrivate: a document whose id is not its
// URL, and loopback outside dev mode, store nothing.
func TestResolveRefusesMismatchAndPrivate(t *testing.T) {
	liar := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ActivityJSONType)
		fmt.Fprint(w, `{"id":"https://victim.example/users/a","type":"Person","inbox":"https://victim.example/inbox","preferredUsername":"a","publicKey":{"id":"https://victim.example/users/a#main-key","owner":"https://victim.example/users/a","publicKeyPem":"x"}}`)
	}))
	defer liar.Close()
	a := newNode(t, nil)
	ctx := context.Background()
	if _, err := a.s.Resolve(ctx, liar.URL+"/users/a"); err == nil {
		t.Fatal("resolved a document whose id is another host's")
	}
	if _, err := a.st.ActorByURI(ctx, "https://victim.example/users/a"); err == nil {
		t.Fatal("stored the lying actor")
	}
	prod := newNode(t, func(o *Options) { o.DevInsecure = false; o.Client = nil })
	for _, u := range []string{liar.URL + "/users/a", strings.Replace(liar.URL, "http://", "https://", 1) + "/users/a"} {
		if _, err := prod.s.Resolve(ctx, u); err == nil {
			t.Errorf("production mode fetched %s", u)
		}
	}
	redirect := httptest.NewServer(http.RedirectHandler(liar.URL+"/users/a", http.StatusFound))
	defer redirect.Close()
	if _, err := prod.s.Resolve(ctx, strings.Replace(redirect.URL, "http://", "https://", 1)); err == nil {
		t.Error("production mode followed a redirect to loopback")
	}
}
