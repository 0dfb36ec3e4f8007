package web_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
	"github.com/opendemocracynow/odn/web"
)

// testEnv is one odn web door over a fresh SQLite store, served by
// httptest. Feature tests share it: newEnv, then users, clients, tokens.
type testEnv struct {
	t     *testing.T
	Store *models.Store
	URL   string
	Now   time.Time
	// Server is the web door, whose Wait waits for the e-mails it sends
	// in the background.
	Server *web.Server
}

// newEnv starts a web server on a fresh SQLite store with a controllable
// clock (env.Now).
func newEnv(t *testing.T) *testEnv {
	t.Helper()
	return newEnvOn(t, "sqlite")
}

// newEnvOn is newEnv on a chosen dialect ("sqlite" or "postgres"); each
// configure function may change the server's options.
func newEnvOn(t *testing.T, dialect string, configure ...func(*web.Options)) *testEnv {
	t.Helper()
	e := &testEnv{t: t, Now: time.Now().UTC()}
	clock := func() time.Time { return e.Now }
	ts := httptest.NewUnstartedServer(nil)
	base := "http://" + ts.Listener.Addr().String()
	e.Store = dbtest.Open(t, dialect, models.WithClock(clock), models.WithBaseURL(base))
	opts := web.Options{Store: e.Store, BaseURL: base, Version: "test", Now: clock}
	for _, c := range configure {
		c(&opts)
	}
	srv, err := web.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.Server = srv
	ts.Config.Handler = srv.Handler()
	ts.Start()
	t.Cleanup(ts.Close)
	e.URL = ts.URL
	return e
}

// user creates an account with password "correct horse battery".
func (e *testEnv) user(name, role string) *models.Account {
	e.t.Helper()
	acc, err := e.Store.CreateAccount(context.Background(), models.NewAccount{Username: name, Password: testPassword, Role: role})
	if err != nil {
		e.t.Fatal(err)
	}
	return acc
}

const testPassword = "correct horse battery"

// client is a browser-like client with a cookie jar that does not follow
// redirects, so tests see each 303.
func (e *testEnv) client() *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// loggedIn returns a client with a session for an existing account.
func (e *testEnv) loggedIn(name string) *http.Client {
	e.t.Helper()
	c := e.client()
	res := e.postForm(c, "/login", url.Values{"username": {name}, "password": {testPassword}})
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("log-in as %s: status %d", name, res.StatusCode)
	}
	return c
}

// token returns an API bearer token for an existing account.
func (e *testEnv) token(name string) string {
	e.t.Helper()
	acc, err := e.Store.AccountByUsername(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.Store.CreateToken(context.Background(), acc, "test")
	if err != nil {
		e.t.Fatal(err)
	}
	return tok
}

// postForm sends a same-origin form POST, as a browser would.
func (e *testEnv) postForm(c *http.Client, path string, form url.Values) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.URL)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return e.do(c, req)
}

// get fetches a page.
func (e *testEnv) get(c *http.Client, path string) *http.Response {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.URL+path, nil)
	return e.do(c, req)
}

// api calls the JSON API with an optional bearer token and body, and
// decodes the JSON answer into out when out is not nil.
func (e *testEnv) api(method, path, token string, body any, out any) *http.Response {
	e.t.Helper()
	return e.apiWith(method, path, token, nil, body, out)
}

// apiWith is api with the request headers header (If-Match…).
func (e *testEnv) apiWith(method, path, token string, header http.Header, body any, out any) *http.Response {
	e.t.Helper()
	var r io.Reader
	ct := "application/json"
	if mf, ok := body.(interface{ encode() (io.Reader, string) }); ok {
		r, ct = mf.encode()
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			e.t.Fatal(err)
		}
		r = strings.NewReader(string(b))
	}
	req, _ := http.NewRequest(method, e.URL+path, r)
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	res := e.do(http.DefaultClient, req)
	if out != nil {
		if err := json.Unmarshal([]byte(readBody(res)), out); err != nil {
			e.t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return res
}

func (e *testEnv) do(c *http.Client, req *http.Request) *http.Response {
	e.t.Helper()
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = replay{strings.NewReader(string(body)), string(body)}
	return res
}

// replay is a response body that tests can read more than once.
type replay struct {
	*strings.Reader
	s string
}

func (replay) Close() error { return nil }

// readBody returns the whole body of a response from do.
func readBody(res *http.Response) string {
	if r, ok := res.Body.(replay); ok {
		return r.s
	}
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// multipartFile is a body api sends as multipart/form-data: one file part
// named field, with the file name name.
type multipartFile struct {
	field, name string
	data        []byte
}

// encode is the multipart body and its Content-Type.
func (mf multipartFile) encode() (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, _ := mw.CreateFormFile(mf.field, mf.name)
	fw.Write(mf.data)
	mw.Close()
	return &buf, mw.FormDataContentType()
}

// multipartBody is a body api sends as multipart/form-data: text fields
// and, when file.field is set, one file part.
type multipartBody struct {
	fields map[string]string
	file   multipartFile
}

// encode is the multipart body and its Content-Type.
func (mf multipartBody) encode() (io.Reader, string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range mf.fields {
		mw.WriteField(k, v)
	}
	if mf.file.field != "" {
		fw, _ := mw.CreateFormFile(mf.file.field, mf.file.name)
		fw.Write(mf.file.data)
	}
	mw.Close()
	return &buf, mw.FormDataContentType()
}
