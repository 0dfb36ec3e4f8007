package imagemeta_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"reflect"
	"testing"

	"github.com/opendemocracynow/odn/models/imagemeta"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// checkFuzzed holds for any input: no panic; a refusal is ErrMalformed
// (the reader and writer here never fail); what is stored is stored
// again unchanged, is at most 4 bytes longer (a minimal EXIF replacing a
// shorter one) and, when the original decodes, decodes to its pixels.
func checkFuzzed(t *testing.T, fn stripFunc, in []byte, decode func(io.Reader) (image.Image, error),
	config func(io.Reader) (image.Config, error)) []byte {
	out, err := strip(fn, in)
	if err != nil {
		if !errors.Is(err, imagemeta.ErrMalformed) {
			t.Fatalf("error %v is not ErrMalformed", err)
		}
		return nil
	}
	if len(out) > len(in)+4 {
		t.Fatalf("%d bytes stored for %d", len(out), len(in))
	}
	again, err := strip(fn, out)
	if err != nil || !bytes.Equal(again, out) {
		t.Fatalf("stripping the stored image again: %v, changed %v", err, !bytes.Equal(again, out))
	}
	if decode == nil {
		return out
	}
	// Bound what a decoder allocates: a few bytes may claim a huge image.
	if c, err := config(bytes.NewReader(in)); err != nil || c.Width*c.Height > 1<<16 {
		return out
	}
	a, err := decode(bytes.NewReader(in))
	if err != nil {
		return out
	}
	b, err := decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("the original decodes, the stored image does not: %v", err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the stored image decodes to other pixels")
	}
	return out
}

func FuzzStripJPEG(f *testing.F) {
	base := imagemetatest.JPEG()
	for o := range uint16(9) {
		in, _ := imagemetatest.JPEGWithMetadata(o)
		f.Add(in)
	}
	f.Add(base)
	scans, _ := jpegScans()
	f.Add(scans)
	for _, seg := range [][]byte{
		imagemetatest.Segment(0xE1, append([]byte("Exif\x00\x00"), imagemetatest.EXIF(binary.BigEndian, 3)...)),
		imagemetatest.Segment(0xE1, []byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01\x00\x05")),
		imagemetatest.Segment(0xE1, []byte("Exif\x00\x00II\x2a\x00\xf0\xff\xff\xff")),
		imagemetatest.Segment(0xE0, []byte("JFXX\x00\x10")),
		imagemetatest.Segment(0xFE, nil),
	} {
		f.Add(bytes.Join([][]byte{base[:2], seg, base[2:]}, nil))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		checkFuzzed(t, imagemeta.StripJPEG, in, jpeg.Decode, jpeg.DecodeConfig)
	})
}

func FuzzStripPNG(f *testing.F) {
	base := imagemetatest.PNG()
	in, _ := imagemetatest.PNGWithMetadata()
	f.Add(in)
	f.Add(base)
	pal := image.NewPaletted(image.Rect(0, 0, 3, 2), []color.Color{color.Black, color.Transparent})
	var b bytes.Buffer
	png.Encode(&b, pal)
	f.Add(b.Bytes())
	f.Add(bytes.Join([][]byte{base[:33], imagemetatest.Chunk("eXIf", imagemetatest.EXIF(binary.LittleEndian, 6)), base[33:]}, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		checkFuzzed(t, imagemeta.StripPNG, in, png.Decode, png.DecodeConfig)
	})
}

func FuzzStripWebP(f *testing.F) {
	in, _ := imagemetatest.WebPWithMetadata()
	f.Add(in)
	f.Add(imagemetatest.WebP())
	f.Add(imagemetatest.RIFF(imagemetatest.RIFFChunk("VP8X", []byte{0x1C, 0, 0, 0, 5, 0, 0, 3, 0, 0}),
		imagemetatest.RIFFChunk("ANIM", make([]byte, 6)), imagemetatest.RIFFChunk("ANMF", append(make([]byte, 16), imagemetatest.WebP()[12:]...)),
		imagemetatest.RIFFChunk("XMP ", []byte("<x/>"))))
	f.Fuzz(func(t *testing.T, in []byte) {
		out := checkFuzzed(t, imagemeta.StripWebP, in, nil, nil)
		if out == nil {
			return
		}
		if int(binary.LittleEndian.Uint32(out[4:8])) != len(out)-8 {
			t.Fatalf("RIFF size %d for %d bytes", binary.LittleEndian.Uint32(out[4:8]), len(out))
		}
		if string(out[12:16]) == "VP8X" && out[20]&0x0C != 0 {
			t.Fatalf("VP8X flags %#02x keep EXIF or XMP", out[20])
		}
		for off := 12; off+8 <= len(out); {
			if c := string(out[off : off+4]); c == "EXIF" || c == "XMP " {
				t.Fatalf("%s chunk kept", c)
			}
			n := int(binary.LittleEndian.Uint32(out[off+4:]))
			off += 8 + n + n%2
		}
	})
}
