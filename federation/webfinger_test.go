package federation

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestParseResource(t *testing.T) {
	const local = "odn.example"
	tests := []struct {
		in      string
		user    string
		isURL   bool
		wantErr error
	}{
		{in: "acct:alice@odn.example", user: "alice"},
		{in: "ACCT:alice@ODN.example", user: "alice"},
		{in: "alice@odn.example", user: "alice"},
		{in: "@alice@odn.example", user: "alice"},
		{in: " acct:lyon@odn.example ", user: "lyon"},
		{in: "acct:Ünïcode_name@odn.example", user: "Ünïcode_name"},
		{in: "https://odn.example/users/alice", user: "https://odn.example/users/alice", isURL: true},
		{in: "HTTPS://ODN.example/users/alice", user: "HTTPS://ODN.example/users/alice", isURL: true},
		{in: "acct:alice@other.example", wantErr: ErrNotLocal},
		{in: "https://other.example/users/alice", wantErr: ErrNotLocal},
		{in: "acct:alice@odn.example:8080", wantErr: ErrNotLocal},
		{in: "", wantErr: ErrMalformedResource},
		{in: "acct:", wantErr: ErrMalformedResource},
		{in: "acct:alice", wantErr: ErrMalformedResource},
		{in: "acct:@odn.example", wantErr: ErrMalformedResource},
		{in: "acct:a@b@odn.example", wantErr: ErrMalformedResource},
		{in: "acct:a/b@odn.example", wantErr: ErrMalformedResource},
		{in: "acct:a b@odn.example", wantErr: ErrMalformedResource},
		{in: "acct:alice@odn.example/path", wantErr: ErrMalformedResource},
		{in: "acct:alice@odn.example?x", wantErr: ErrMalformedResource},
		{in: "https://", wantErr: ErrMalformedResource},
		{in: "https://user@odn.example/x", wantErr: ErrMalformedResource},
		{in: "mailto:alice@odn.example", wantErr: ErrMalformedResource},
	}
	for _, tt := range tests {
		user, isURL, err := ParseResource(tt.in, local)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("ParseResource(%q) err = %v, want %v", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || user != tt.user || isURL != tt.isURL {
			t.Errorf("ParseResource(%q) = %q, %v, %v", tt.in, user, isURL, err)
		}
	}
	if user, _, err := ParseResource("acct:bob@127.0.0.1:8080", "127.0.0.1:8080"); err != nil || user != "bob" {
		t.Errorf("dev host with port: %q, %v", user, err)
	}
}

func TestParseHandle(t *testing.T) {
	tests := []struct {
		in, user, host string
		ok             bool
	}{
		{"alice@Mastodon.Example", "alice", "mastodon.example", true},
		{"@alice@mastodon.example", "alice", "mastodon.example", true},
		{"acct:alice@mastodon.example", "alice", "mastodon.example", true},
		{"bob@127.0.0.1:8081", "bob", "127.0.0.1:8081", true},
		{"bob@[::1]:8081", "bob", "[::1]:8081", true},
		{"bob@xn--bcher-kva.example", "bob", "xn--bcher-kva.example", true},
		{"bob@bücher.example", "", "", false},
		{"bob@host:", "", "", false},
		{"bob@:80", "", "", false},
		{"bob", "", "", false},
		{"@bob", "", "", false},
		{"bob@", "", "", false},
		{"bo\x00b@h.example", "", "", false},
		{"bob@h.example#frag", "", "", false},
	}
	for _, tt := range tests {
		user, host, err := ParseHandle(tt.in)
		if (err == nil) != tt.ok || user != tt.user || host != tt.host {
			t.Errorf("ParseHandle(%q) = %q, %q, %v", tt.in, user, host, err)
		}
	}
}

func TestNewJRD(t *testing.T) {
	j := NewJRD("lyon", "odn.example", "https://odn.example/spaces/lyon", "https://odn.example/s/lyon")
	raw, err := json.Marshal(j)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"subject":"acct:lyon@odn.example","aliases":["https://odn.example/spaces/lyon","https://odn.example/s/lyon"],` +
		`"links":[{"rel":"self","type":"application/activity+json","href":"https://odn.example/spaces/lyon"},` +
		`{"rel":"http://webfinger.net/rel/profile-page","type":"text/html","href":"https://odn.example/s/lyon"}]}`
	if string(raw) != want {
		t.Errorf("JRD =\n%s\nwant\n%s", raw, want)
	}
	back, err := decodeJRD(raw)
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := back.ActorID(); !ok || id != "https://odn.example/spaces/lyon" {
		t.Errorf("ActorID = %q, %v", id, ok)
	}
}

func TestJRDActorID(t *testing.T) {
	tests := []struct {
		name  string
		links []Link
		want  string
	}{
		{"activity+json", []Link{{Rel: "self", Type: "application/activity+json", Href: "a"}}, "a"},
		{"with charset", []Link{{Rel: "self", Type: "application/activity+json; charset=utf-8", Href: "a"}}, "a"},
		{"ld+json profile", []Link{{Rel: "self", Type: LDJSONType, Href: "b"}}, "b"},
		{"prefers activity+json", []Link{{Rel: "self", Type: LDJSONType, Href: "b"}, {Rel: "self", Type: ActivityJSONType, Href: "a"}}, "a"},
		{"ld+json without profile", []Link{{Rel: "self", Type: "application/ld+json", Href: "b"}}, ""},
		{"html self", []Link{{Rel: "self", Type: "text/html", Href: "c"}}, ""},
		{"profile page only", []Link{{Rel: RelProfilePage, Type: ActivityJSONType, Href: "d"}}, ""},
		{"empty href", []Link{{Rel: "self", Type: ActivityJSONType}}, ""},
		{"none", nil, ""},
	}
	for _, tt := range tests {
		j := JRD{Links: tt.links}
		if got, ok := j.ActorID(); got != tt.want || ok != (tt.want != "") {
			t.Errorf("%s: ActorID = %q, %v", tt.name, got, ok)
		}
	}
}

func TestDecodeJRDLenient(t *testing.T) {
	raw := `{"subject":"acct:a@h","aliases":["x",5],"properties":{"p":null},` +
		`"links":[{"rel":"self","href":5},{"rel":"self","type":"application/activity+json","href":"https://h/a","titles":{"en":"A"}}]}`
	j, err := decodeJRD([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := j.ActorID(); id != "https://h/a" || len(j.Aliases) != 1 || j.Subject != "acct:a@h" {
		t.Errorf("decoded %+v", j)
	}
	for _, bad := range []string{`[]`, `{"links":{}}`, `nope`} {
		if _, err := decodeJRD([]byte(bad)); err == nil {
			t.Errorf("decodeJRD(%s) accepted", bad)
		}
	}
}

func TestWebFinger(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != WebFingerPath {
			http.NotFound(w, r)
			return
		}
		user, _, err := ParseResource(r.URL.Query().Get("resource"), r.Host)
		var j JRD
		switch {
		case err != nil:
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		case user == "alice":
			j = NewJRD(user, r.Host, srv.URL+"/users/alice", srv.URL+"/@alice")
		case user == "noself":
			j = JRD{Subject: "acct:noself@" + r.Host, Links: []Link{{Rel: RelProfilePage, Type: "text/html", Href: srv.URL}}}
		case user == "evil":
			j = NewJRD(user, r.Host, "javascript:alert(1)", "")
		case user == "html":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<p>"))
			return
		default:
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", JRDType)
		json.NewEncoder(w).Encode(j)
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	f := devFetcher(t)

	got, err := f.WebFinger(context.Background(), "alice", host)
	if err != nil || got != srv.URL+"/users/alice" {
		t.Fatalf("WebFinger = %q, %v", got, err)
	}
	var se *StatusError
	for user, check := range map[string]func(error) bool{
		"nobody": func(err error) bool { return errors.As(err, &se) && se.Code == http.StatusNotFound },
		"noself": func(err error) bool { return errors.Is(err, ErrNoSelfLink) },
		"evil":   func(err error) bool { return err != nil },
		"html":   func(err error) bool { return errors.Is(err, ErrContentType) },
		"a/b":    func(err error) bool { return errors.Is(err, ErrMalformedResource) },
	} {
		if _, err := f.WebFinger(context.Background(), user, host); !check(err) {
			t.Errorf("WebFinger(%s): unexpected err %v", user, err)
		}
	}
	strict := &Fetcher{Client: NewHTTPClient(ClientOptions{})}
	if _, err := strict.WebFinger(context.Background(), "alice", host); !errors.Is(err, ErrForbiddenAddress) {
		t.Errorf("strict WebFinger: err = %v, want ErrForbiddenAddress", err)
	}
}

func FuzzParseResource(f *testing.F) {
	for _, s := range []string{"acct:alice@odn.example", "@a@odn.example", "https://odn.example/u/a",
		"acct:a@b@c", "http://[::1", "acct:\x00@odn.example", "a@[::1]:80", "https://odn.example:99999/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		user, isURL, err := ParseResource(s, "odn.example")
		if err == nil && !isURL && !validUser(user) {
			t.Fatalf("ParseResource(%q) returned invalid user %q", s, user)
		}
		u, h, err := ParseHandle(s)
		if err != nil {
			return
		}
		u2, h2, err := ParseHandle(u + "@" + h)
		if err != nil || u2 != u || h2 != h {
			t.Fatalf("ParseHandle(%q) = %q %q does not round-trip: %q %q %v", s, u, h, u2, h2, err)
		}
	})
}

func FuzzDecodeJRD(f *testing.F) {
	j, _ := json.Marshal(NewJRD("a", "h.example", "https://h.example/a", "https://h.example/@a"))
	f.Add(j)
	f.Add([]byte(`{"links":[{"rel":"self","type":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"","href":"x"}]}`))
	f.Add([]byte(`{"subject":5,"aliases":null,"links":[null,1,"x",{"type":";;;"}]}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		jrd, err := decodeJRD(raw)
		if err != nil {
			return
		}
		if href, ok := jrd.ActorID(); ok && href == "" {
			t.Fatal("ok with empty href")
		}
	})
}
