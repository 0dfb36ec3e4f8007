package imagemeta_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/opendemocracynow/odn/models/imagemeta"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

func TestStripPNG(t *testing.T) {
	base := imagemetatest.PNG()
	for _, tc := range []struct {
		name   string
		image  func() (in, want []byte)
		broken bool // image/png refuses the original
	}{
		{"no metadata", func() ([]byte, []byte) { return base, base }, false},
		{"text, time, EXIF and leftovers", imagemetatest.PNGWithMetadata, false},
		{"bad CRC in a dropped chunk", func() ([]byte, []byte) {
			bad := imagemetatest.Chunk("tEXt", []byte("Author\x00Jeanne Privee"))
			bad[len(bad)-1] ^= 1
			return bytes.Join([][]byte{base[:33], bad, base[33:]}, nil), base
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, want := tc.image()
			out, err := strip(imagemeta.StripPNG, in)
			if err != nil {
				t.Fatal(err)
			}
			if tc.broken {
				checkStripped(t, nil, in, out, want)
				return
			}
			checkStripped(t, pngDecode, in, out, want)
		})
	}
}

func TestStripPNGMalformed(t *testing.T) {
	base := imagemetatest.PNG()
	iend := len(base) - 12
	badIDAT := bytes.Clone(base)
	badIDAT[iend-1] ^= 1
	text := imagemetatest.Chunk("tEXt", []byte("a\x00b"))
	for name, in := range map[string][]byte{
		"empty":                  nil,
		"signature only":         base[:8],
		"not a PNG":              imagemetatest.JPEG(),
		"truncated":              base[:len(base)-5],
		"no IEND":                base[:iend],
		"bad CRC in IDAT":        badIDAT,
		"IHDR not first":         bytes.Join([][]byte{base[:8], text, base[8:]}, nil),
		"IEND before IDAT":       bytes.Join([][]byte{base[:33], base[iend:]}, nil),
		"unknown critical chunk": bytes.Join([][]byte{base[:33], imagemetatest.Chunk("QUUX", nil), base[33:]}, nil),
		"chunk type not letters": bytes.Join([][]byte{base[:33], imagemetatest.Chunk("te$t", nil), base[33:]}, nil),
		"length past the end":    bytes.Join([][]byte{base[:33], {0x7F, 0xFF, 0xFF, 0xF0}, []byte("tEXt")}, nil),
		"length over 2^31":       bytes.Join([][]byte{base[:33], {0xFF, 0xFF, 0xFF, 0xF0}, []byte("tEXt"), base[33:]}, nil),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := strip(imagemeta.StripPNG, in); !errors.Is(err, imagemeta.ErrMalformed) {
				t.Errorf("error %v, want ErrMalformed", err)
			}
		})
	}
}
