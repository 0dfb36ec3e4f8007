package models

import (
	"testing"

	"github.com/alexedwards/argon2id"
)

// The constant dummy hash must cost exactly what a real log-in costs, or
// the timing of a failed log-in would reveal whether an account exists.
func TestDummyHashMatchesArgonParams(t *testing.T) {
	p, _, _, err := argon2id.DecodeHash(dummyHash)
	if err != nil {
		t.Fatal(err)
	}
	if *p != *argonParams {
		t.Fatalf("dummyHash params %+v, argonParams %+v", *p, *argonParams)
	}
	ok, err := argon2id.ComparePasswordAndHash("not a real password", dummyHash)
	if err != nil || !ok {
		t.Fatalf("dummyHash does not verify: %v %v", ok, err)
	}
}
