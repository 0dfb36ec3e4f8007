package models

import "testing"

func TestPlainText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"l'école", "l'école"},
		{"<p>Tom &amp; Jerry <b>&lt;3</b></p>", "Tom & Jerry <3"},
		{`<script>alert(1)</script>ok`, "ok"},
		{"  <em>a</em> \"b\"  ", `a "b"`},
	} {
		if got := PlainText(tc.in); got != tc.want {
			t.Errorf("PlainText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
