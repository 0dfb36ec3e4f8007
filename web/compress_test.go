package web_test

import (
	"compress/gzip"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestResponsesAreCompressed: a client that accepts gzip gets pages,
// stylesheets and JSON gzipped, with Vary: Accept-Encoding; one that does
// not, or a small answer, gets them as they are; a widget keeps answering
// 304 to the ETag of its gzipped copy.
func TestResponsesAreCompressed(t *testing.T) {
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "A fountain on the square?", "options": []string{"Yes", "No"}})
	for range 3 { // a list over the 1 KB below which nothing is compressed
		e.openDebate(t, map[string]any{"question": "Benches along the river?", "options": []string{"Yes", "No"}})
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}} // headers and bodies as sent
	get := func(path, acceptEncoding, ifNoneMatch string) (*http.Response, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.URL+path, nil)
		if acceptEncoding != "" {
			req.Header.Set("Accept-Encoding", acceptEncoding)
		}
		if ifNoneMatch != "" {
			req.Header.Set("If-None-Match", ifNoneMatch)
		}
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var r io.Reader = res.Body
		if res.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(res.Body)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			r = zr
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return res, string(b)
	}
	for _, c := range []struct{ path, contains string }{
		{"/d/" + id, "A fountain on the square?"},
		{"/static/style.css", "{"},
		{"/api/v1/spaces/town/debates", "A fountain on the square?"},
		{"/embed/debates/" + id, "A fountain on the square?"},
	} {
		res, body := get(c.path, "gzip, deflate, br", "")
		if res.StatusCode != 200 || res.Header.Get("Content-Encoding") != "gzip" || !strings.Contains(body, c.contains) {
			t.Errorf("%s with gzip: %d, Content-Encoding %q, %.80q", c.path, res.StatusCode, res.Header.Get("Content-Encoding"), body)
		}
		if vary := strings.Join(res.Header.Values("Vary"), ", "); !strings.Contains(vary, "Accept-Encoding") {
			t.Errorf("%s: Vary %q lacks Accept-Encoding", c.path, vary)
		}
		res, plain := get(c.path, "", "")
		if res.Header.Get("Content-Encoding") != "" || plain != body {
			t.Errorf("%s without Accept-Encoding: Content-Encoding %q, same body %v", c.path, res.Header.Get("Content-Encoding"), plain == body)
		}
	}
	if res, _ := get("/healthz", "gzip", ""); res.Header.Get("Content-Encoding") != "" {
		t.Errorf("a small answer was gzipped")
	}
	res, _ := get("/embed/debates/"+id, "gzip", "")
	etag := res.Header.Get("ETag")
	if !strings.HasPrefix(etag, `W/"`) {
		t.Fatalf("widget ETag %q, want a weak one (the same page in either coding)", etag)
	}
	for _, enc := range []string{"gzip", ""} {
		if res, _ := get("/embed/debates/"+id, enc, etag); res.StatusCode != http.StatusNotModified {
			t.Errorf("revalidation (Accept-Encoding %q): %d, want 304", enc, res.StatusCode)
		}
	}
}

// TestCompressedAnswersAreSmaller: answers written in several pieces
// (Prometheus metrics, a feed, CSV and JSON exports) come out gzipped at
// under half their size. Stateless compression compresses each write on
// its own, so a handler writing line by line would send more bytes
// gzipped than plain (/metrics did).
func TestCompressedAnswersAreSmaller(t *testing.T) {
	e := newDebateEnv(t)
	for range 5 {
		e.openDebate(t, map[string]any{"question": "Benches along the river?", "options": []string{"Yes", "No"}})
	}
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}}
	size := func(path, acceptEncoding string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest("GET", e.URL+path, nil)
		req.Header.Set("Accept-Encoding", acceptEncoding)
		res, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, err := io.ReadAll(res.Body)
		if err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d, %v", path, res.StatusCode, err)
		}
		return len(b), res.Header.Get("Content-Encoding")
	}
	for _, path := range []string{"/metrics", "/s/town/feed.atom", "/s/town/export.json", "/s/town/export/debates.csv"} {
		plain, _ := size(path, "")
		gz, enc := size(path, "gzip")
		if enc != "gzip" || gz > plain/2 {
			t.Errorf("%s: %d bytes plain, %d gzipped (Content-Encoding %q), want under half", path, plain, gz, enc)
		}
	}
}

// TestHeadIsAnswered: HEAD, which link checkers and monitors send, gets
// the GET's status and headers without a body (chi answered 405).
func TestHeadIsAnswered(t *testing.T) {
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "A fountain on the square?", "options": []string{"Yes", "No"}})
	for _, c := range []struct {
		path   string
		status int
	}{{"/d/" + id, 200}, {"/api/v1/debates/" + id, 200}, {"/static/style.css", 200}, {"/d/999999", 404}} {
		req, _ := http.NewRequest(http.MethodHead, e.URL+c.path, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != c.status || len(body) != 0 || res.Header.Get("Content-Type") == "" {
			t.Errorf("HEAD %s: %d, %d bytes, Content-Type %q; want %d, no body", c.path, res.StatusCode, len(body), res.Header.Get("Content-Type"), c.status)
		}
	}
}
