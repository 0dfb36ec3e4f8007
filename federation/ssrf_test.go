package federation

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

func TestIsForbiddenIP(t *testing.T) {
	tests := []struct {
		ip        string
		forbidden bool
	}{
		{"127.0.0.1", true},
		{"127.8.9.10", true},
		{"::1", true},
		{"10.1.2.3", true},
		{"172.16.0.1", true},
		{"172.31.255.255", true},
		{"192.168.1.1", true},
		{"169.254.169.254", true}, // cloud metadata
		{"fe80::1", true},
		{"fe80::1%eth0", true},
		{"fc00::1", true},
		{"fd12:3456:789a::1", true},
		{"0.0.0.0", true},
		{"::", true},
		{"224.0.0.1", true},
		{"239.255.255.250", true},
		{"ff02::1", true},
		{"100.64.0.1", true},
		{"100.127.255.254", true},
		{"255.255.255.255", true},
		{"192.0.2.10", true},
		{"198.18.0.1", true},
		{"::ffff:127.0.0.1", true},
		{"::ffff:10.0.0.1", true},
		{"::ffff:169.254.169.254", true},
		{"::127.0.0.1", true},    // IPv4-compatible
		{"64:ff9b::a00:1", true}, // NAT64 of 10.0.0.1
		{"2002:7f00:1::1", true}, // 6to4 of 127.0.0.1
		{"2001:db8::1", true},
		{"2001:0:4136:e378::1", true}, // Teredo
		{"fec0::1", true},
		{"8.8.8.8", false},
		{"93.184.216.34", false},
		{"100.128.0.1", false}, // just past CGNAT
		{"172.32.0.1", false},  // just past 172.16/12
		{"2606:4700:4700::1111", false},
		{"::ffff:8.8.8.8", false},
		{"64:ff9b::808:808", false}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", false},  // 6to4 of 8.8.8.8
	}
	for _, tt := range tests {
		if got := IsForbiddenIP(netip.MustParseAddr(tt.ip)); got != tt.forbidden {
			t.Errorf("IsForbiddenIP(%s) = %v, want %v", tt.ip, got, tt.forbidden)
		}
	}
	if !IsForbiddenIP(netip.Addr{}) {
		t.Error("zero Addr allowed")
	}
}

func TestClientRefusesPrivate(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, r.Header.Get("User-Agent"))
	}))
	defer srv.Close()
	port := srv.URL[strings.LastIndexByte(srv.URL, ':'):]

	strict := NewHTTPClient(ClientOptions{})
	for _, u := range []string{srv.URL, "http://localhost" + port, "http://[::ffff:127.0.0.1]" + port} {
		resp, err := strict.Get(u)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, ErrForbiddenAddress) {
			t.Errorf("GET %s: err = %v, want ErrForbiddenAddress", u, err)
		}
	}

	dev := NewHTTPClient(ClientOptions{AllowPrivate: true, UserAgent: "odn-test"})
	resp, err := dev.Get(srv.URL)
	if err != nil {
		t.Fatalf("dev client: %v", err)
	}
	defer resp.Body.Close()
	ua, _ := ReadLimited(resp.Body, 0)
	if string(ua) != "odn-test" {
		t.Errorf("User-Agent = %q", ua)
	}
	dev.CloseIdleConnections()
}

func TestClientRedirects(t *testing.T) {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/ftp":
			http.Redirect(w, r, "ftp://example.com/x", http.StatusFound)
		default:
			fmt.Fprint(w, "ok")
		}
	}))
	defer srv.Close()
	c := NewHTTPClient(ClientOptions{AllowPrivate: true})
	for path, want := range map[string]error{"/loop": ErrTooManyRedirects, "/ftp": ErrForbiddenScheme} {
		resp, err := c.Get(srv.URL + path)
		if err == nil {
			resp.Body.Close()
		}
		if !errors.Is(err, want) {
			t.Errorf("GET %s: err = %v, want %v", path, err, want)
		}
	}
}

func TestCheckRedirect(t *testing.T) {
	tests := []struct {
		from, to string
		insecure bool
		want     error
	}{
		{"https", "https", false, nil},
		{"http", "https", false, nil},
		{"http", "http", false, nil},
		{"https", "http", false, ErrInsecureRedirect},
		{"https", "http", true, nil},
		{"https", "file", true, ErrForbiddenScheme},
		{"https", "", false, ErrForbiddenScheme},
	}
	for _, tt := range tests {
		if err := checkRedirect(tt.from, tt.to, tt.insecure); !errors.Is(err, tt.want) {
			t.Errorf("checkRedirect(%s→%s, %v) = %v, want %v", tt.from, tt.to, tt.insecure, err, tt.want)
		}
	}
}

func TestReadLimited(t *testing.T) {
	tests := []struct {
		n, max int64
		want   error
	}{
		{0, 10, nil},
		{10, 10, nil},
		{11, 10, ErrTooLarge},
		{MaxBodyBytes, 0, nil},
		{MaxBodyBytes + 1, 0, ErrTooLarge},
	}
	for _, tt := range tests {
		b, err := ReadLimited(strings.NewReader(strings.Repeat("x", int(tt.n))), tt.max)
		if !errors.Is(err, tt.want) || (err == nil && int64(len(b)) != tt.n) {
			t.Errorf("ReadLimited(%d bytes, %d) = %d, %v; want %v", tt.n, tt.max, len(b), err, tt.want)
		}
	}
}
