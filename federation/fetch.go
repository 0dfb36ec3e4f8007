package federation

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
)

// Errors of fetching.
var (
	// ErrIDMismatch means the document's id is not the URL it was served
	// from, so it cannot be trusted as that object (INTEROP.md, Fetching).
	ErrIDMismatch   = errors.New("federation: document id does not match its URL")
	ErrContentType  = errors.New("federation: response is not JSON")
	ErrInsecureURL  = errors.New("federation: only https URLs may be fetched")
	ErrNoHTTPClient = errors.New("federation: Fetcher has no HTTP client")
)

// StatusError is a non-2xx answer from a peer. Callers look at Code: 404
// and 410 mean the object is gone, 401/403 that a signature was wanted.
type StatusError struct {
	URL  string
	Code int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("federation: GET %s: status %d", e.URL, e.Code)
}

// Fetcher dereferences remote ActivityPub objects and WebFinger handles.
type Fetcher struct {
	// Client makes the requests; use NewHTTPClient (SSRF guard, timeouts).
	Client *http.Client
	// Signer, when set, signs every object fetch (the instance actor's key:
	// GoToSocial and "authorized fetch" Mastodon require signed GETs).
	Signer *Signer
	// AllowHTTP permits http URLs and https→http redirects: dev mode only.
	AllowHTTP bool
}

// Fetch GETs uri as ActivityStreams and returns the decoded document and
// its raw bytes. The body is capped at MaxBodyBytes and must be JSON; the
// document's id must equal the final URL after redirects, on the host
// first asked, else ErrIDMismatch. When a server answers a display URL
// (Mastodon's /@user/123) with a document whose id is another URL on the
// same host, that id is fetched once instead, as Mastodon does.
func (f *Fetcher) Fetch(ctx context.Context, uri string) (map[string]any, []byte, error) {
	u, err := f.checkURL(uri)
	if err != nil {
		return nil, nil, err
	}
	m, body, idURL, err := f.fetchDoc(ctx, u)
	if idURL == nil {
		return m, body, err
	}
	retry, cerr := f.checkURL(idURL.String())
	if cerr != nil || retry.String() == u.String() {
		return nil, nil, err
	}
	m, body, _, err = f.fetchDoc(ctx, retry)
	return m, body, err
}

// fetchDoc fetches u and checks the id. With ErrIDMismatch it may also
// return the document's id, when that is a same-host URL worth one try.
func (f *Fetcher) fetchDoc(ctx context.Context, u *url.URL) (map[string]any, []byte, *url.URL, error) {
	body, final, err := f.get(ctx, u, AcceptActivity, true)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := decodeObject(body)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	id, _ := m["id"].(string)
	idURL, perr := url.Parse(id)
	if perr != nil || id == "" || !sameHost(final, u) {
		return nil, nil, nil, fmt.Errorf("%w: %q from %s", ErrIDMismatch, id, final)
	}
	if !sameURL(idURL, final) {
		if sameHost(idURL, u) && f.schemeOK(idURL.Scheme) {
			return nil, nil, idURL, fmt.Errorf("%w: %q from %s", ErrIDMismatch, id, final)
		}
		return nil, nil, nil, fmt.Errorf("%w: %q from %s", ErrIDMismatch, id, final)
	}
	return m, body, nil, nil
}

// get performs a GET, following up to 5 redirects itself so that each hop
// is signed for its own URL and checked against the scheme policy. It
// returns the body (capped, JSON content type required) and the final URL.
func (f *Fetcher) get(ctx context.Context, u *url.URL, accept string, sign bool) ([]byte, *url.URL, error) {
	if f.Client == nil {
		return nil, nil, ErrNoHTTPClient
	}
	client := *f.Client
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	for hop := 0; ; hop++ {
		resp, err := f.do(ctx, &client, u, accept, sign)
		if err != nil {
			return nil, nil, err
		}
		next, err := f.redirectTarget(resp, u, hop)
		if err != nil || next != nil {
			drain(resp.Body)
			if err != nil {
				return nil, nil, err
			}
			u = next
			continue
		}
		body, err := readJSON(resp, u)
		return body, u, err
	}
}

func (f *Fetcher) do(ctx context.Context, c *http.Client, u *url.URL, accept string, sign bool) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	req.Header.Set("Accept", accept)
	if sign && f.Signer != nil {
		if err := f.Signer.SignRequest(req, nil); err != nil {
			return nil, err
		}
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	return resp, nil
}

// redirectTarget returns where a redirect response points, nil for any
// other response, or an error when the redirect must not be followed.
func (f *Fetcher) redirectTarget(resp *http.Response, from *url.URL, hop int) (*url.URL, error) {
	switch resp.StatusCode {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
	default:
		return nil, nil
	}
	if hop >= maxRedirects {
		return nil, ErrTooManyRedirects
	}
	loc, err := resp.Location()
	if err != nil {
		return nil, fmt.Errorf("fetch %s: redirect without Location", from)
	}
	if err := checkRedirect(from.Scheme, loc.Scheme, f.AllowHTTP); err != nil {
		return nil, err
	}
	if !f.schemeOK(loc.Scheme) {
		return nil, fmt.Errorf("%w: %s", ErrInsecureURL, loc)
	}
	loc.Fragment = ""
	return loc, nil
}

// readJSON checks status and content type and reads the capped body.
func readJSON(resp *http.Response, u *url.URL) ([]byte, error) {
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		drain(resp.Body)
		return nil, &StatusError{URL: u.String(), Code: resp.StatusCode}
	}
	if !isJSONType(resp.Header.Get("Content-Type")) {
		drain(resp.Body)
		return nil, fmt.Errorf("%w: %s answered %q", ErrContentType, u, resp.Header.Get("Content-Type"))
	}
	if resp.ContentLength > MaxBodyBytes {
		return nil, fmt.Errorf("fetch %s: %w", u, ErrTooLarge)
	}
	body, err := ReadLimited(resp.Body, MaxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("fetch %s: %w", u, err)
	}
	return body, nil
}

// isJSONType accepts application/json and any +json type (activity+json,
// ld+json, jrd+json).
func isJSONType(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mt == "application/json" || (strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json"))
}

// checkURL parses an absolute http(s) URL that Fetcher may request.
func (f *Fetcher) checkURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	if u.Host == "" || u.User != nil || u.Opaque != "" {
		return nil, fmt.Errorf("fetch: %q is not a usable absolute URL", raw)
	}
	if !f.schemeOK(u.Scheme) {
		return nil, fmt.Errorf("%w: %q", ErrInsecureURL, raw)
	}
	u.Fragment = ""
	return u, nil
}

func (f *Fetcher) schemeOK(scheme string) bool {
	return scheme == "https" || (f.AllowHTTP && scheme == "http")
}

// sameHost compares hosts (with ports) case-insensitively.
func sameHost(a, b *url.URL) bool { return strings.EqualFold(a.Host, b.Host) }

// sameURL compares two URLs ignoring the case of scheme and host and a
// fragment-free form; everything else must be identical.
func sameURL(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && sameHost(a, b) &&
		a.EscapedPath() == b.EscapedPath() && a.RawQuery == b.RawQuery && a.Fragment == b.Fragment
}

// drain discards a little of a body so the connection can be reused.
func drain(body io.ReadCloser) {
	_, _ = io.CopyN(io.Discard, body, 4<<10)
	_ = body.Close()
}
