package federation

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// peer is a fake ActivityPub server on loopback that requires signed GETs
// when keys is set.
func peer(t *testing.T, keys KeyFetcher) *httptest.Server {
	t.Helper()
	var srv *httptest.Server
	doc := func(w http.ResponseWriter, id string) {
		w.Header().Set("Content-Type", ActivityJSONType+"; charset=utf-8")
		fmt.Fprintf(w, `{"@context":%q,"id":%q,"type":"Person"}`, ActivityStreamsContext, id)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/users/alice", func(w http.ResponseWriter, r *http.Request) { doc(w, srv.URL+"/users/alice") })
	mux.HandleFunc("/@alice", func(w http.ResponseWriter, r *http.Request) { doc(w, srv.URL+"/users/alice") })
	mux.HandleFunc("/wrongid", func(w http.ResponseWriter, r *http.Request) { doc(w, "https://evil.example/users/alice") })
	mux.HandleFunc("/noid", func(w http.ResponseWriter, r *http.Request) { doc(w, "") })
	mux.HandleFunc("/redirect", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/users/alice", http.StatusMovedPermanently)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/ftp", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "ftp://example.com/x", http.StatusFound)
	})
	mux.HandleFunc("/html", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<p>hi</p>")
	})
	mux.HandleFunc("/gone", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "gone", http.StatusGone) })
	mux.HandleFunc("/array", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `[1,2]`)
	})
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ActivityJSONType)
		fmt.Fprintf(w, `{"id":%q,"pad":"%s"}`, srv.URL+"/big", strings.Repeat("x", MaxBodyBytes))
	})
	mux.HandleFunc("/deep", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", ActivityJSONType)
		fmt.Fprintf(w, `{"id":%q,"a":%s%s}`, srv.URL+"/deep", strings.Repeat("[", 100), strings.Repeat("]", 100))
	})
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept"), ActivityJSONType) {
			http.Error(w, "accept", http.StatusNotAcceptable)
			return
		}
		if keys != nil {
			if _, err := VerifyRequest(r, nil, time.Now(), keys); err != nil {
				http.Error(w, err.Error(), http.StatusUnauthorized)
				return
			}
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func devFetcher(t *testing.T) *Fetcher {
	s, err := NewSigner(testKeyID, testKey(t, 0))
	if err != nil {
		t.Fatal(err)
	}
	return &Fetcher{Client: NewHTTPClient(ClientOptions{AllowPrivate: true}), Signer: s, AllowHTTP: true}
}

func TestFetch(t *testing.T) {
	srv := peer(t, keysFor(testKeyID, testKey(t, 0)))
	other := peer(t, nil)
	f := devFetcher(t)
	tests := []struct {
		path    string
		wantID  string
		wantErr error
	}{
		{path: "/users/alice", wantID: srv.URL + "/users/alice"},
		{path: "/users/alice#main-key", wantID: srv.URL + "/users/alice"},
		{path: "/redirect", wantID: srv.URL + "/users/alice"},
		{path: "/@alice", wantID: srv.URL + "/users/alice"}, // refetched from its id
		{path: "/wrongid", wantErr: ErrIDMismatch},
		{path: "/noid", wantErr: ErrIDMismatch},
		{path: "/html", wantErr: ErrContentType},
		{path: "/array", wantErr: ErrMalformedActivity},
		{path: "/big", wantErr: ErrTooLarge},
		{path: "/deep", wantErr: ErrTooDeep},
		{path: "/loop", wantErr: ErrTooManyRedirects},
		{path: "/ftp", wantErr: ErrForbiddenScheme},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m, raw, err := f.Fetch(context.Background(), srv.URL+tt.path)
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m["id"] != tt.wantID || !json.Valid(raw) {
				t.Errorf("id = %v, raw = %s", m["id"], raw)
			}
		})
	}

	var se *StatusError
	if _, _, err := f.Fetch(context.Background(), srv.URL+"/gone"); !errors.As(err, &se) || se.Code != http.StatusGone {
		t.Errorf("gone: err = %v", err)
	}
	unsigned := &Fetcher{Client: f.Client, AllowHTTP: true}
	if _, _, err := unsigned.Fetch(context.Background(), srv.URL+"/users/alice"); !errors.As(err, &se) || se.Code != http.StatusUnauthorized {
		t.Errorf("unsigned: err = %v, want 401", err)
	}
	// A redirect to another host serving a self-consistent document is
	// still refused: the id must be on the host first asked.
	cross := httptest.NewServer(http.RedirectHandler(other.URL+"/users/alice", http.StatusFound))
	defer cross.Close()
	if _, _, err := f.Fetch(context.Background(), cross.URL+"/users/alice"); !errors.Is(err, ErrIDMismatch) {
		t.Errorf("cross-host redirect: err = %v, want ErrIDMismatch", err)
	}
}

func TestFetchRefuses(t *testing.T) {
	srv := peer(t, nil)
	ctx := context.Background()
	strict := &Fetcher{Client: NewHTTPClient(ClientOptions{}), AllowHTTP: true}
	if _, _, err := strict.Fetch(ctx, srv.URL+"/users/alice"); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("loopback without AllowPrivate: err = %v, want ErrForbiddenAddress", err)
	}
	tlsSrv := httptest.NewTLSServer(http.NotFoundHandler())
	defer tlsSrv.Close()
	strict.AllowHTTP = false
	if _, _, err := strict.Fetch(ctx, tlsSrv.URL+"/users/alice"); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("https loopback without AllowPrivate: err = %v, want ErrForbiddenAddress", err)
	}
	for _, u := range []string{srv.URL + "/users/alice", "ftp://a.example/x", "/relative", "https://user:pw@a.example/x", "mailto:a@b"} {
		if _, _, err := strict.Fetch(ctx, u); err == nil || errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("Fetch(%q) = %v, want a URL error", u, err)
		}
	}
	if _, _, err := (&Fetcher{}).Fetch(ctx, "https://a.example/x"); !errors.Is(err, ErrNoHTTPClient) {
		t.Errorf("no client: err = %v", err)
	}
}

func TestIsJSONType(t *testing.T) {
	for ct, want := range map[string]bool{
		"application/activity+json":       true,
		LDJSONType:                        true,
		"application/json; charset=utf-8": true,
		"application/jrd+json":            true,
		"text/html":                       false,
		"":                                false,
		"application/jsonx":               false,
		"text/plain+json":                 false,
		"application/activity+json; charset=\"utf-8": false,
	} {
		if got := isJSONType(ct); got != want {
			t.Errorf("isJSONType(%q) = %v, want %v", ct, got, want)
		}
	}
}
