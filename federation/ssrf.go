package federation

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"syscall"
	"time"
)

const (
	// MaxBodyBytes caps every body odn reads from or accepts from a peer.
	MaxBodyBytes = 1 << 20
	// DefaultTimeout bounds a whole outgoing request, body included.
	DefaultTimeout = 10 * time.Second
	// DefaultUserAgent is sent when ClientOptions.UserAgent is empty.
	DefaultUserAgent = "odn (+https://opendemocracynow.org)"
	// maxRedirects is how many redirects an outgoing request may follow.
	maxRedirects = 5
)

// Errors of the outgoing HTTP client.
var (
	ErrForbiddenAddress = errors.New("federation: forbidden (private or reserved) address")
	ErrForbiddenScheme  = errors.New("federation: forbidden URL scheme")
	ErrTooManyRedirects = errors.New("federation: too many redirects")
	ErrInsecureRedirect = errors.New("federation: redirect from https to http")
	ErrTooLarge         = errors.New("federation: body too large")
)

// ClientOptions configures NewHTTPClient.
type ClientOptions struct {
	// AllowPrivate permits loopback, private and other reserved addresses
	// and https→http redirects. Only for --dev-insecure and tests.
	AllowPrivate bool
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// UserAgent is set on requests that have none; empty means
	// DefaultUserAgent.
	UserAgent string
}

// NewHTTPClient returns the client for every request odn makes to peers.
// Unless AllowPrivate, it refuses to connect to forbidden addresses (see
// IsForbiddenIP). The check runs in the dialer on the address actually
// dialled, after DNS resolution, so it holds for redirects and DNS
// rebinding too. It ignores proxy environment variables, for the same
// reason. At most 5 redirects are followed, never from https to http.
func NewHTTPClient(opts ClientOptions) *http.Client {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ua := opts.UserAgent
	if ua == "" {
		ua = DefaultUserAgent
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !opts.AllowPrivate {
		dialer.Control = refuseForbidden
	}
	tr := &http.Transport{
		Proxy:             nil, // a proxy would be the address checked, not the peer
		DialContext:       dialer.DialContext,
		ForceAttemptHTTP2: true,
		// A space's followers are on hundreds of servers: with 100 idle
		// connections in all, every fan-out dialled (and on https
		// handshook, ~1–2 ms of CPU each, more than the signature) most
		// of them again. An idle connection costs ~40 KB.
		MaxIdleConns:           1024,
		MaxIdleConnsPerHost:    8,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		MaxResponseHeaderBytes: 64 << 10,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
	}
	return &http.Client{
		Transport:     &userAgentTransport{base: tr, ua: ua},
		Timeout:       timeout,
		CheckRedirect: redirectPolicy(opts.AllowPrivate),
	}
}

// refuseForbidden is a net.Dialer Control func: address is the resolved
// "ip:port" about to be connected to.
func refuseForbidden(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s %q", ErrForbiddenAddress, network, address)
	}
	if IsForbiddenIP(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrForbiddenAddress, ap.Addr())
	}
	return nil
}

// redirectPolicy is the client's CheckRedirect: bounded, http(s) only, no
// downgrade unless insecure. Addresses are checked again when dialling.
func redirectPolicy(insecure bool) func(*http.Request, []*http.Request) error {
	return func(req *http.Request, via []*http.Request) error {
		if len(via) >= maxRedirects {
			return ErrTooManyRedirects
		}
		return checkRedirect(via[len(via)-1].URL.Scheme, req.URL.Scheme, insecure)
	}
}

func checkRedirect(fromScheme, toScheme string, insecure bool) error {
	switch {
	case toScheme != "https" && toScheme != "http":
		return fmt.Errorf("%w: %q", ErrForbiddenScheme, toScheme)
	case fromScheme == "https" && toScheme == "http" && !insecure:
		return ErrInsecureRedirect
	}
	return nil
}

// userAgentTransport sets a User-Agent on requests that lack one.
type userAgentTransport struct {
	base *http.Transport
	ua   string
}

func (t *userAgentTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Header.Get("User-Agent") == "" {
		req = req.Clone(req.Context()) // a RoundTripper must not modify its request
		req.Header.Set("User-Agent", t.ua)
	}
	return t.base.RoundTrip(req)
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// underlying transport.
func (t *userAgentTransport) CloseIdleConnections() { t.base.CloseIdleConnections() }

// forbiddenPrefixes are reserved ranges that netip's predicates do not
// cover. Read-only after initialisation.
var forbiddenPrefixes = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // CGNAT shared space
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // TEST-NET-1
	netip.MustParsePrefix("192.88.99.0/24"),  // 6to4 relay anycast
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // TEST-NET-2
	netip.MustParsePrefix("203.0.113.0/24"),  // TEST-NET-3
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, broadcast
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated)
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001::/32"),       // Teredo
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated)
}

// Prefixes whose addresses embed an IPv4 address that decides.
var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

// IsForbiddenIP reports whether odn must not connect to addr in production:
// loopback, RFC 1918 and unique-local (fc00::/7) private ranges, link-local
// (including the 169.254.169.254 metadata service), unspecified, multicast,
// CGNAT, documentation and other reserved ranges, and IPv6 forms embedding
// one of those (IPv4-mapped, NAT64, 6to4). Invalid addresses are forbidden.
func IsForbiddenIP(addr netip.Addr) bool {
	if !addr.IsValid() {
		return true
	}
	a := addr.WithZone("").Unmap()
	if a.IsLoopback() || a.IsPrivate() || a.IsUnspecified() ||
		a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() {
		return true
	}
	for _, p := range forbiddenPrefixes {
		if p.Contains(a) {
			return true
		}
	}
	if v4, ok := embeddedIPv4(a); ok {
		return IsForbiddenIP(v4)
	}
	return false
}

// embeddedIPv4 extracts the IPv4 address carried by a NAT64 or 6to4 address.
func embeddedIPv4(a netip.Addr) (netip.Addr, bool) {
	b := a.As16()
	switch {
	case nat64Prefix.Contains(a):
		return netip.AddrFrom4([4]byte(b[12:16])), true
	case sixToFour.Contains(a):
		return netip.AddrFrom4([4]byte(b[2:6])), true
	}
	return netip.Addr{}, false
}

// ReadLimited reads r to the end but fails with ErrTooLarge once more than
// max bytes arrive; max <= 0 means MaxBodyBytes.
func ReadLimited(r io.Reader, max int64) ([]byte, error) {
	if max <= 0 {
		max = MaxBodyBytes
	}
	b, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > max {
		return nil, ErrTooLarge
	}
	return b, nil
}
