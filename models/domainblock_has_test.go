package models_test

import (
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestBlockedSetHas: a blocked domain covers its subdomains and every
// port, however the host is spelled (case, a trailing dot, before or
// after a port); a block of host:port covers that port only.
func TestBlockedSetHas(t *testing.T) {
	set := models.BlockedSet{"evil.example": true, "odd.example:8443": true}
	for host, want := range map[string]bool{
		"evil.example": true, "EVIL.example": true, "evil.example.": true, "evil.example:443": true,
		"evil.example.:443": true, "a.evil.example.:8443": true, "a.b.evil.example": true,
		"odd.example:8443": true, "odd.example": false, "odd.example:443": false,
		"good.example": false, "notevil.example": false, "": false,
	} {
		if got := set.Has(host); got != want {
			t.Errorf("Has(%q) = %v, want %v", host, got, want)
		}
	}
}
