package web

import "testing"

func TestAcceptsGzip(t *testing.T) {
	for _, c := range []struct {
		header string
		want   bool
	}{
		{"", false},
		{"gzip", true},
		{"gzip, deflate, br, zstd", true},
		{"deflate, br", false},
		{"GZIP;q=0.5", true},
		{"x-gzip", true},
		{"gzip;q=0", false},
		{"gzip; q=0.000", false},
		{"*", false}, // as gzhttp: a lone * is no request for gzip
		{"*;q=0", false},
		{"gzip;q=0, *", false},
		{"br, *;q=0.1", false},
		{"identity", false},
	} {
		if got := acceptsGzip([]string{c.header}); got != c.want {
			t.Errorf("%q: %v, want %v", c.header, got, c.want)
		}
	}
	if !acceptsGzip([]string{"br", "gzip"}) {
		t.Error("gzip in a second Accept-Encoding line not seen")
	}
}
