package web

import (
	"net/http"
	"net/netip"
	"os/exec"
	"strings"
	"testing"
)

// TestForwardedClient: the client a trusted proxy names is the rightmost
// X-Forwarded-For entry outside the trusted prefixes, across several
// header lines; an untrusted peer, an entry that is not an address and a
// chain of proxies only give no answer (the peer stays the client).
func TestForwardedClient(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}
	cases := []struct {
		name string
		peer string
		xff  []string
		want string // "" means none
	}{
		{"untrusted peer, header ignored", "198.51.100.1:4000", []string{"203.0.113.7"}, ""},
		{"trusted peer, one entry", "10.1.2.3:4000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"rightmost untrusted wins over forged left entries", "10.1.2.3:4000", []string{"192.0.2.9, 203.0.113.7"}, "203.0.113.7"},
		{"trusted hops skipped", "10.1.2.3:4000", []string{"203.0.113.7, 10.0.0.5 , 10.9.9.9"}, "203.0.113.7"},
		{"last header line first", "10.1.2.3:4000", []string{"192.0.2.9", "203.0.113.7,10.0.0.5"}, "203.0.113.7"},
		{"earlier line when the last is all proxies", "10.1.2.3:4000", []string{"203.0.113.7", "10.0.0.5"}, "203.0.113.7"},
		{"empty entries skipped", "10.1.2.3:4000", []string{"203.0.113.7,, "}, "203.0.113.7"},
		{"garbage fails closed", "10.1.2.3:4000", []string{"203.0.113.7, not-an-ip"}, ""},
		{"address with a port fails closed", "10.1.2.3:4000", []string{"203.0.113.7:55"}, ""},
		{"only proxies", "10.1.2.3:4000", []string{"10.0.0.5, 10.0.0.6"}, ""},
		{"no header", "10.1.2.3:4000", nil, ""},
		{"IPv4-mapped entry unmapped", "10.1.2.3:4000", []string{"::ffff:203.0.113.7"}, "203.0.113.7"},
		{"IPv4-mapped peer trusted", "[::ffff:10.1.2.3]:4000", []string{"203.0.113.7"}, "203.0.113.7"},
		{"IPv6 peer and client, zone dropped", "[fd00::1]:4000", []string{"2001:db8::7%eth0"}, "2001:db8::7"},
		{"bare peer address", "10.1.2.3", []string{"203.0.113.7"}, "203.0.113.7"},
		{"unparsable peer", "@", []string{"203.0.113.7"}, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = tc.peer
			for _, v := range tc.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			ip, ok := forwardedClient(r, trusted)
			got := ""
			if ok {
				got = ip.String()
			}
			if got != tc.want {
				t.Errorf("forwardedClient(%s, %q) = %q, want %q", tc.peer, tc.xff, got, tc.want)
			}
		})
	}
}

// TestNoProfilerLinked: nothing in odn links net/http/pprof or
// runtime/pprof. chi's middleware package did (its Profiler): the pprof
// handlers then sat on http.DefaultServeMux, and the linker, seeing
// runtime.MemProfile reachable, kept allocation sampling on in every
// process; without them idle_rss is 0.6–0.9 MB lower and the binary
// 450 KB smaller.
func TestNoProfilerLinked(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/opendemocracynow/odn/cmd/odn").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v: %s", err, out)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if pkg == "runtime/pprof" || pkg == "net/http/pprof" || pkg == "github.com/go-chi/chi/v5/middleware" {
			t.Errorf("cmd/odn links %s", pkg)
		}
	}
}

// TestMetricsNotPublic: /metrics answers a direct loopback peer (a
// Prometheus on the machine) and anyone with the configured bearer token;
// a request a proxy forwarded, or from another address, gets 404: the
// mail outbox's counters, read around a password reset request, would
// tell whether an account has an address.
func TestMetricsNotPublic(t *testing.T) {
	trusted := []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}
	for _, tc := range []struct {
		name   string
		peer   string
		header map[string]string
		token  string
		want   bool
	}{
		{"loopback", "127.0.0.1:5000", nil, "", true},
		{"IPv6 loopback", "[::1]:5000", nil, "", true},
		{"forwarded by a proxy on loopback", "127.0.0.1:5000", map[string]string{"X-Forwarded-For": "203.0.113.7"}, "", false},
		{"Forwarded header", "127.0.0.1:5000", map[string]string{"Forwarded": "for=203.0.113.7"}, "", false},
		{"another address", "203.0.113.7:5000", nil, "", false},
		{"another address with the token", "203.0.113.7:5000", map[string]string{"Authorization": "Bearer s3cret"}, "s3cret", true},
		{"through a proxy with the token", "127.0.0.1:5000", map[string]string{"Authorization": "Bearer s3cret", "X-Forwarded-For": "203.0.113.7"}, "s3cret", true},
		{"a wrong token", "203.0.113.7:5000", map[string]string{"Authorization": "Bearer nope"}, "s3cret", false},
		{"a token when none is set", "203.0.113.7:5000", map[string]string{"Authorization": "Bearer "}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{opts: Options{MetricsToken: tc.token, TrustedProxies: trusted}}
			r, _ := http.NewRequest(http.MethodGet, "/metrics", nil)
			r.RemoteAddr = tc.peer
			for k, v := range tc.header {
				r.Header.Set(k, v)
			}
			if got := s.mayReadMetrics(r); got != tc.want {
				t.Errorf("mayReadMetrics = %v, want %v", got, tc.want)
			}
		})
	}
}
