package web

import "testing"

func TestLocaleNumbers(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	const nnbsp, nbsp = "\u202f", "\u00a0"
	cases := []struct {
		lang          string
		n             int
		x             float64
		digits        int
		int, dec, pct string
	}{
		{"fr", 0, 0, 1, "0", "0,0", "0,0" + nbsp + "%"},
		{"fr", 1, 1, 0, "1", "1", "1" + nbsp + "%"},
		{"fr", 2, 2.25, 1, "2", "2,2", "2,2" + nbsp + "%"}, // strconv rounds half to even
		{"fr", 1000, 1000, 0, "1" + nnbsp + "000", "1" + nnbsp + "000", "1" + nnbsp + "000" + nbsp + "%"},
		{"fr", 12345, 12345.678, 2, "12" + nnbsp + "345", "12" + nnbsp + "345,68", "12" + nnbsp + "345,68" + nbsp + "%"},
		{"fr", -1234567, 50, 1, "-1" + nnbsp + "234" + nnbsp + "567", "50,0", "50,0" + nbsp + "%"},
		{"en", 0, 0, 1, "0", "0.0", "0.0%"},
		{"en", 1, 1, 0, "1", "1", "1%"},
		{"en", 2, 2.25, 1, "2", "2.2", "2.2%"},
		{"en", 1000, 1000, 0, "1,000", "1,000", "1,000%"},
		{"en", 12345, 12345.678, 2, "12,345", "12,345.68", "12,345.68%"},
		{"en", -1234567, 50, 1, "-1,234,567", "50.0", "50.0%"},
		{"en", 999, 66.666, 1, "999", "66.7", "66.7%"},
	}
	for _, tc := range cases {
		l := locales[tc.lang]
		if got := l.Int(tc.n); got != tc.int {
			t.Errorf("%s Int(%d) = %q, want %q", tc.lang, tc.n, got, tc.int)
		}
		if got := l.Decimal(tc.x, tc.digits); got != tc.dec {
			t.Errorf("%s Decimal(%v, %d) = %q, want %q", tc.lang, tc.x, tc.digits, got, tc.dec)
		}
		if got := l.Percent(tc.x, tc.digits); got != tc.pct {
			t.Errorf("%s Percent(%v, %d) = %q, want %q", tc.lang, tc.x, tc.digits, got, tc.pct)
		}
	}
}
