package imagemeta_test

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/opendemocracynow/odn/models/imagemeta"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

func TestStripWebP(t *testing.T) {
	base := imagemetatest.WebP()
	vp8l := base[12:]
	exif := imagemetatest.RIFFChunk("EXIF", imagemetatest.EXIF(binary.LittleEndian, 6))
	for _, tc := range []struct {
		name  string
		image func() (in, want []byte)
		flags int // VP8X flags wanted, -1 for the simple format
	}{
		{"simple", func() ([]byte, []byte) { return base, base }, -1},
		{"extended with ICC, EXIF, XMP", imagemetatest.WebPWithMetadata, 0x20},
		{"simple with an EXIF chunk after", func() ([]byte, []byte) { return imagemetatest.RIFF(vp8l, exif), base }, -1},
		{"animation: a frame's EXIF and a VP8X tail dropped", func() ([]byte, []byte) {
			// VP8X with the animation and EXIF flags and four bytes more;
			// one frame holding an EXIF chunk before its image.
			vp8x := imagemetatest.RIFFChunk("VP8X", []byte{0x0a, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'G', 'P', 'S', '!'})
			anim := imagemetatest.RIFFChunk("ANIM", []byte{0, 0, 0, 0, 0, 0})
			frame := []byte{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 0, 0, 0}
			in := imagemetatest.RIFF(vp8x, anim, imagemetatest.RIFFChunk("ANMF", append(append(append([]byte{}, frame...), exif...), vp8l...)))
			want := imagemetatest.RIFF(imagemetatest.RIFFChunk("VP8X", []byte{0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0}), anim,
				imagemetatest.RIFFChunk("ANMF", append(append([]byte{}, frame...), vp8l...)))
			return in, want
		}, 0x02},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, want := tc.image()
			out, err := strip(imagemeta.StripWebP, in)
			if err != nil {
				t.Fatal(err)
			}
			checkStripped(t, nil, in, out, want)
			if got := binary.LittleEndian.Uint32(out[4:8]); int(got) != len(out)-8 {
				t.Errorf("RIFF size %d for %d bytes", got, len(out))
			}
			if tc.flags >= 0 && (string(out[12:16]) != "VP8X" || int(out[20]) != tc.flags) {
				t.Errorf("VP8X flags %#02x, want %#02x", out[20], tc.flags)
			}
		})
	}
}

func TestStripWebPMalformed(t *testing.T) {
	base := imagemetatest.WebP()
	vp8l := base[12:]
	vp8x := imagemetatest.RIFFChunk("VP8X", []byte{0, 0, 0, 0, 5, 0, 0, 3, 0, 0})
	riffSize := func(in []byte, n uint32) []byte {
		binary.LittleEndian.PutUint32(in[4:8], n)
		return in
	}
	for name, in := range map[string][]byte{
		"empty":                 nil,
		"header only":           base[:12],
		"not WebP":              []byte("RIFF\x24\x00\x00\x00WAVEfmt \x10\x00\x00\x00\x01\x00\x01\x00\x44\xac\x00\x00\x88\x58\x01\x00\x02\x00\x10\x00"),
		"RIFF size too large":   riffSize(imagemetatest.WebP(), 1000),
		"RIFF size odd":         riffSize(append(imagemetatest.WebP(), 0), uint32(len(base)-7)),
		"truncated chunk":       riffSize(imagemetatest.WebP()[:len(base)-4], uint32(len(base)-12)),
		"chunk past the end":    imagemetatest.RIFF(vp8l[:4], []byte{0xF0, 0xFF, 0xFF, 0xFF}, vp8l[8:]),
		"ICCP first":            imagemetatest.RIFF(imagemetatest.RIFFChunk("ICCP", []byte("icc.")), vp8l),
		"VP8X short":            imagemetatest.RIFF(imagemetatest.RIFFChunk("VP8X", []byte{0, 0, 0, 0}), vp8l),
		"VP8X twice":            imagemetatest.RIFF(vp8x, vp8x, vp8l),
		"no image":              imagemetatest.RIFF(vp8x, imagemetatest.RIFFChunk("EXIF", []byte("II*\x00"))),
		"header past RIFF size": imagemetatest.RIFF(vp8l, []byte("EXIF")),
		"short ANMF":            imagemetatest.RIFF(vp8x, imagemetatest.RIFFChunk("ANMF", []byte{0, 0, 0, 0})),
		"ANMF chunk past its end": imagemetatest.RIFF(vp8x, imagemetatest.RIFFChunk("ANMF",
			append(make([]byte, 16), 'V', 'P', '8', 'L', 0xF0, 0, 0, 0))),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := strip(imagemeta.StripWebP, in); !errors.Is(err, imagemeta.ErrMalformed) {
				t.Errorf("error %v, want ErrMalformed", err)
			}
		})
	}
}
