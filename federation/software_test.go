package federation

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAnnounceForms(t *testing.T) {
	for _, tc := range []struct {
		software         string
		activity, object bool
	}{
		{"", true, true},            // unknown: both, as before
		{"odn", true, false},        // FEP-1b12: the activity carries everything
		{"lemmy", true, false},      // idem
		{"mastodon", false, true},   // shows Announce{Note}, ignores Announce{Create}
		{"gotosocial", false, true}, // idem
		{"misskey", false, true},    // any other known software: the boost form
	} {
		a, o := announceForms(tc.software)
		if a != tc.activity || o != tc.object {
			t.Errorf("%q: activity %v object %v, want %v %v", tc.software, a, o, tc.activity, tc.object)
		}
	}
}

// TestFetcherSoftware asks real (loopback) servers answering NodeInfo in
// the forms seen in the wild, and refuses what does not fit.
func TestFetcherSoftware(t *testing.T) {
	var links, doc string
	var status = http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Signature") != "" {
			t.Error("NodeInfo requests must not be signed")
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case NodeInfoWellKnownPath:
			w.WriteHeader(status)
			w.Write([]byte(links)) //nolint:errcheck // test server
		case "/nodeinfo/2.0", "/nodeinfo/2.1":
			w.Write([]byte(doc)) //nolint:errcheck // test server
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	f := &Fetcher{Client: NewHTTPClient(ClientOptions{AllowPrivate: true}), AllowHTTP: true}
	link := func(v string) string {
		return `{"rel":"http://nodeinfo.diaspora.software/ns/schema/` + v + `","href":"` + srv.URL + `/nodeinfo/` + v + `"}`
	}
	for _, tc := range []struct {
		name, links, doc string
		status           int
		want             string // "" means an error
	}{
		{"odn", `{"links":[` + link("2.1") + `,` + link("2.0") + `]}`, `{"version":"2.1","software":{"name":"odn","version":"1"}}`, 200, "odn"},
		{"2.0 only", `{"links":[` + link("2.0") + `]}`, `{"software":{"name":"mastodon","version":"4.3.0"}}`, 200, "mastodon"},
		{"capitalised", `{"links":[` + link("2.0") + `]}`, `{"software":{"name":"Pleroma"}}`, 200, "pleroma"},
		{"bad name", `{"links":[` + link("2.0") + `]}`, `{"software":{"name":"<script>"}}`, 200, ""},
		{"no name", `{"links":[` + link("2.0") + `]}`, `{"version":"2.0"}`, 200, ""},
		{"other host", `{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.0","href":"http://127.0.0.2:1/nodeinfo/2.0"}]}`, ``, 200, ""},
		{"only 1.0", `{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/1.0","href":"` + srv.URL + `/nodeinfo/2.0"}]}`, `{"software":{"name":"x"}}`, 200, ""},
		{"not found", ``, ``, 404, ""},
		{"not JSON", `<html>`, ``, 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			links, doc, status = tc.links, tc.doc, tc.status
			got, err := f.Software(context.Background(), srv.URL)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("got %q, want an error", got)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("got %q %v, want %q", got, err, tc.want)
			}
		})
	}
}

// FuzzParseNodeInfo feeds peers' NodeInfo answers to both parsers: no
// panic, and whatever name comes out fits the schema.
func FuzzParseNodeInfo(f *testing.F) {
	f.Add([]byte(`{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.1","href":"https://a.example/nodeinfo/2.1"}]}`))
	f.Add([]byte(`{"software":{"name":"Mastodon","version":"4.3.0"}}`))
	f.Add([]byte(`{"links":[{"rel":"http://nodeinfo.diaspora.software/ns/schema/2.-1","href":"x"}],"software":{"name":"a-b"}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		if href, err := ParseNodeInfoLinks(body); err == nil && href == "" {
			t.Fatal("empty href without error")
		}
		if name, err := ParseNodeInfoSoftware(body); err == nil && (!softwareName.MatchString(name) || strings.ToLower(name) != name) {
			t.Fatalf("name %q does not fit the schema", name)
		}
	})
}
