package federation

import (
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"
)

func TestPrivateKeyPEM(t *testing.T) {
	key := testKey(t, 0)
	pkcs8, err := EncodePrivateKeyPEM(key)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	_, edPriv, _ := ed25519.GenerateKey(rand.Reader)
	edDER, _ := x509.MarshalPKCS8PrivateKey(edPriv)
	ed := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: edDER}))
	tests := []struct {
		name, in string
		ok       bool
	}{
		{"pkcs8", pkcs8, true},
		{"pkcs1", pkcs1, true},
		{"ed25519 is not rsa", ed, false},
		{"garbage", "not a key", false},
		{"empty block", "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePrivateKeyPEM(tt.in)
			if !tt.ok {
				if !errors.Is(err, ErrBadKey) {
					t.Fatalf("err = %v, want ErrBadKey", err)
				}
				return
			}
			if err != nil || !got.Equal(key) {
				t.Fatalf("got %v, %v", got != nil, err)
			}
		})
	}
}

func TestPublicKeyPEM(t *testing.T) {
	key := testKey(t, 0)
	pkix, err := EncodePublicKeyPEM(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: x509.MarshalPKCS1PublicKey(&key.PublicKey)}))
	mislabelled := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PUBLIC KEY", Bytes: mustPKIX(t, &key.PublicKey)}))
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	ed := string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: mustPKIX(t, edPub)}))
	tests := []struct {
		name, in string
		want     any
	}{
		{"pkix", pkix, &key.PublicKey},
		{"pkcs1", pkcs1, &key.PublicKey},
		{"pkix labelled pkcs1", mislabelled, &key.PublicKey},
		{"leading whitespace", "\n  " + pkix, &key.PublicKey},
		{"ed25519", ed, edPub},
		{"garbage", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", nil},
		{"none", "", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePublicKeyPEM(tt.in)
			if tt.want == nil {
				if !errors.Is(err, ErrBadKey) {
					t.Fatalf("err = %v, want ErrBadKey", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			eq, ok := got.(interface{ Equal(crypto.PublicKey) bool })
			if !ok || !eq.Equal(tt.want) {
				t.Fatalf("got %T, want %T", got, tt.want)
			}
		})
	}
}

func mustPKIX(t *testing.T, pub any) []byte {
	t.Helper()
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestGenerateRSAKey(t *testing.T) {
	if testing.Short() {
		t.Skip("key generation is slow")
	}
	k, err := GenerateRSAKey()
	if err != nil || k.N.BitLen() != 2048 {
		t.Fatalf("key: %v, %v", k, err)
	}
	var _ *rsa.PrivateKey = k
}
