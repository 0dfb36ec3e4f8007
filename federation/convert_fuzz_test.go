package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// FuzzActorFromDoc: any JSON object converts or fails cleanly; a
// converted actor has an inbox on its own host and valid UTF-8 text.
func FuzzActorFromDoc(f *testing.F) {
	f.Add([]byte(`{"id":"https://m.example/users/a","type":"Person","preferredUsername":"a","inbox":"https://m.example/users/a/inbox","publicKey":{"id":"https://m.example/users/a#main-key","owner":"https://m.example/users/a","publicKeyPem":"k"}}`))
	f.Add([]byte(`{"id":"https://m.example/g","type":["Group"],"name":"<b>x</b>","summary":"<script>x</script>","inbox":"https://evil.example/i","publicKey":[{"id":"https://m.example/g#k","publicKeyPem":"k"}],"icon":[{"url":"javascript:x"}],"url":[{"href":"https://m.example/@g","mediaType":"text/html"}]}`))
	seedDir(f, "testdata")
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m map[string]any
		if json.Unmarshal(raw, &m) != nil || m == nil {
			return
		}
		a, err := actorFromDoc(m)
		if err != nil {
			return
		}
		if hostOf(a.Inbox) != a.Host || (a.SharedInbox != "" && hostOf(a.SharedInbox) != a.Host) {
			t.Fatalf("inbox %q / %q off host %q", a.Inbox, a.SharedInbox, a.Host)
		}
		if !utf8.ValidString(a.Name) || !utf8.ValidString(a.Username) || bytes.Contains([]byte(a.Summary), []byte("<script")) {
			t.Fatalf("unsafe text: %+v", a)
		}
	})
}

// FuzzInbox: whatever body arrives, the inbox answers a 4xx without a
// valid signature and never panics.
func FuzzInbox(f *testing.F) {
	f.Add([]byte(`{"id":"x","type":"Follow","actor":"y"}`), `keyId="https://a.example/u#k",headers="(request-target) host date digest",signature="AAAA"`)
	f.Add([]byte(`[]`), ``)
	n := newNode(f, nil)
	f.Fuzz(func(t *testing.T, body []byte, sig string) {
		req := httptest.NewRequest("POST", "/inbox", bytes.NewReader(body)).WithContext(context.Background())
		req.Header.Set("Signature", sig)
		rec := httptest.NewRecorder()
		n.s.inbox(rec, req)
		if rec.Code == http.StatusAccepted || rec.Code >= 500 {
			t.Fatalf("status %d for an unverifiable request", rec.Code)
		}
	})
}

// seedDir adds every JSON file under dir (recursively) to the corpus.
func seedDir(f *testing.F, dir string) {
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error { //nolint:errcheck // best effort
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".json" {
			if b, err := os.ReadFile(p); err == nil {
				f.Add(b)
			}
		}
		return nil
	})
}
