package models

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/base64"
)

// Pseudonymous receipts (docs/COUNTING.md). Each debate has a random
// secret that never leaves the instance; a voter's receipt is
//
//	base32(HMAC-SHA256(key = secret, message = voter's actor URI))[:16]
//
// It is stable (the same voter always gets the same receipt in a debate,
// even after changing their vote), different in every debate, and cannot
// be linked to the voter without the secret. Once a debate closes, the
// list of receipts with their choices is public, so every voter can find
// their own ballot and anyone can recount.

// newBallotSecret returns a fresh random receipt key.
func newBallotSecret() string {
	b := make([]byte, ballotSecretBytes)
	rand.Read(b) //nolint:errcheck // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}

// Receipt computes the receipt of the actor whose ActivityPub id is
// actorURI under a debate's secret.
func Receipt(secret, actorURI string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(actorURI))
	return base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(m.Sum(nil))[:receiptLen]
}
