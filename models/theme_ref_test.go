package models_test

import (
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestParseRef: what forms and the API send for a consultation or theme
// is an id, or none ("" or "0"); anything else is a field error, not
// none.
func TestParseRef(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		msg  string
	}{
		{"", 0, ""},
		{"0", 0, ""},
		{"7", 7, ""},
		{"9223372036854775807", 9223372036854775807, ""},
		{"abc", 0, "The theme id is not valid."},
		{"-3", 0, "The theme id is not valid."},
		{"1.5", 0, "The theme id is not valid."},
		{" 7", 0, "The theme id is not valid."},
		{"00", 0, "The theme id is not valid."},
		{"9223372036854775808", 0, "The theme id is not valid."},
	} {
		v := &models.ValidationError{}
		got := models.ParseRef(v, "theme", tc.in)
		if got != tc.want || v.Fields["theme"] != tc.msg {
			t.Errorf("ParseRef(%q) = %d, %q; want %d, %q", tc.in, got, v.Fields["theme"], tc.want, tc.msg)
		}
	}
	v := &models.ValidationError{}
	if models.ParseRef(v, "consultation", "x"); v.Fields["consultation"] != "The consultation id is not valid." {
		t.Errorf("consultation: %v", v.Fields)
	}
}
