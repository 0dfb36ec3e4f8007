package federation

import (
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"testing"
)

func TestParseCavage(t *testing.T) {
	tests := []struct {
		in      string
		wantErr error
		headers string
	}{
		{in: `keyId="k",algorithm="rsa-sha256",headers="(request-target) host date",signature="AAAA"`, headers: "(request-target) host date"},
		{in: `keyId="k", Headers="Date Host", signature="AAAA"`, headers: "date host"},
		{in: `keyId=k,signature=AAAA`, headers: "date"},
		{in: `keyId="k",signature="AAAA",created=1700000000,headers="(created) host"`, headers: "(created) host"},
		{in: ``, wantErr: ErrMalformedSignature},
		{in: `keyId="k"`, wantErr: ErrMalformedSignature},
		{in: `signature="AAAA"`, wantErr: ErrMalformedSignature},
		{in: `keyId="k,signature="AAAA"`, wantErr: ErrMalformedSignature},
		{in: `keyId="k"x,signature="AAAA"`, wantErr: ErrMalformedSignature},
		{in: `keyId="k",signature="not base64!"`, wantErr: ErrMalformedSignature},
		{in: `keyId="k",signature="AAAA",created=soon`, wantErr: ErrMalformedSignature},
		{in: `keyId="k",signature="AAAA",algorithm="rsa-sha1"`, wantErr: ErrUnsupportedAlgorithm},
		{in: `keyId="k",signature="AAAA",headers=""`, wantErr: ErrMalformedSignature},
		{in: `keyId="k",signature="AAAA",novalue`, wantErr: ErrMalformedSignature},
		{in: `keyId="k` + strings.Repeat("x", maxSignatureHeader) + `",signature="AAAA"`, wantErr: ErrMalformedSignature},
	}
	for _, tt := range tests {
		sig, err := parseCavage(tt.in)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("parseCavage(%.40q) err = %v, want %v", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parseCavage(%q): %v", tt.in, err)
			continue
		}
		if got := strings.Join(sig.headers, " "); got != tt.headers {
			t.Errorf("parseCavage(%q) headers = %q, want %q", tt.in, got, tt.headers)
		}
	}
}

func TestCheckDigest(t *testing.T) {
	body := []byte("hello")
	s256 := sha256.Sum256(body)
	s512 := sha512.Sum512(body)
	b := base64.StdEncoding.EncodeToString
	tests := []struct {
		digest string
		ok     bool
	}{
		{"", true},
		{"SHA-256=" + b(s256[:]), true},
		{"sha-256=" + b(s256[:]), true},
		{"SHA-512=" + b(s512[:]), true},
		{"SHA-256=" + b(s256[:]) + ",SHA-512=" + b(s512[:]), true},
		{"MD5=abc,SHA-256=" + b(s256[:]), true},
		{"MD5=abc", false},
		{"SHA-256=" + b(s512[:]), false},
		{"SHA-256=###", false},
		{"SHA-256", false},
	}
	for _, tt := range tests {
		h := http.Header{}
		if tt.digest != "" {
			h.Set("Digest", tt.digest)
		}
		if err := checkDigest(h, body); (err == nil) != tt.ok {
			t.Errorf("checkDigest(%q) = %v, want ok=%v", tt.digest, err, tt.ok)
		}
	}
}
