package imagemeta_test

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"reflect"
	"testing"

	"github.com/opendemocracynow/odn/models/imagemeta"
	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

type stripFunc func(io.Writer, io.ReaderAt, int64) error

func strip(fn stripFunc, in []byte) ([]byte, error) {
	var out bytes.Buffer
	err := fn(&out, bytes.NewReader(in), int64(len(in)))
	return out.Bytes(), err
}

// checkStripped fails when out differs from want, holds a secret, or
// does not decode to the pixels of in.
func checkStripped(t *testing.T, decode func(io.Reader) (image.Image, error), in, out, want []byte) {
	t.Helper()
	if !bytes.Equal(out, want) {
		t.Errorf("stored %d bytes, want %d:\n got %q\nwant %q", len(out), len(want), out, want)
	}
	for _, s := range imagemetatest.Secrets {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%q left in the image", s)
		}
	}
	if decode == nil {
		return
	}
	a, err := decode(bytes.NewReader(in))
	if err != nil {
		t.Fatalf("original does not decode: %v", err)
	}
	b, err := decode(bytes.NewReader(out))
	if err != nil {
		t.Fatalf("stripped image does not decode: %v", err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Error("stripped image decodes to other pixels")
	}
}

func TestStripJPEG(t *testing.T) {
	base := imagemetatest.JPEG()
	phone := func(o uint16) func() ([]byte, []byte) {
		return func() ([]byte, []byte) { return imagemetatest.JPEGWithMetadata(o) }
	}
	for _, tc := range []struct {
		name  string
		image func() (in, want []byte)
	}{
		{"no metadata", func() ([]byte, []byte) { return base, base }},
		{"phone photo turned right", phone(6)},
		{"phone photo upside down", phone(3)},
		{"orientation 1", phone(1)},
		{"no orientation", phone(0)},
		{"big-endian EXIF", func() ([]byte, []byte) {
			exif := imagemetatest.Segment(0xE1, append([]byte("Exif\x00\x00"), imagemetatest.EXIF(binary.BigEndian, 8)...))
			in := bytes.Join([][]byte{base[:2], exif, base[2:]}, nil)
			return in, bytes.Join([][]byte{base[:2], imagemetatest.OrientationSegment(8), base[2:]}, nil)
		}},
		{"broken EXIF dropped whole", func() ([]byte, []byte) {
			exif := imagemetatest.Segment(0xE1, []byte("Exif\x00\x00II\x2a\x00\xff\xff\xff\x7fSecretPhone"))
			return bytes.Join([][]byte{base[:2], exif, base[2:]}, nil), base
		}},
		{"orientation out of range dropped", func() ([]byte, []byte) {
			exif := imagemetatest.Segment(0xE1, append([]byte("Exif\x00\x00"), imagemetatest.EXIF(binary.LittleEndian, 9)...))
			return bytes.Join([][]byte{base[:2], exif, base[2:]}, nil), base
		}},
		{"two EXIF segments: the first's orientation, once", func() ([]byte, []byte) {
			first := imagemetatest.Segment(0xE1, append([]byte("Exif\x00\x00"), imagemetatest.EXIF(binary.LittleEndian, 6)...))
			second := imagemetatest.Segment(0xE1, append([]byte("Exif\x00\x00"), imagemetatest.EXIF(binary.BigEndian, 3)...))
			return bytes.Join([][]byte{base[:2], first, second, base[2:]}, nil),
				bytes.Join([][]byte{base[:2], imagemetatest.OrientationSegment(6), base[2:]}, nil)
		}},
		{"JFIF thumbnail and Adobe tail dropped", func() ([]byte, []byte) {
			thumb := imagemetatest.Segment(0xE0, append([]byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x02\x02"), []byte("SecretPhone!")...))
			header := imagemetatest.Segment(0xE0, []byte("JFIF\x00\x01\x02\x00\x00\x01\x00\x01\x00\x00"))
			adobe := imagemetatest.Segment(0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01Secret tail"))
			kept := imagemetatest.Segment(0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01"))
			return bytes.Join([][]byte{base[:2], thumb, adobe, base[2:]}, nil), bytes.Join([][]byte{base[:2], header, kept, base[2:]}, nil)
		}},
		{"fill bytes before markers", func() ([]byte, []byte) {
			com := imagemetatest.Segment(0xFE, []byte("rue des Lilas"))
			return bytes.Join([][]byte{base[:2], {0xFF, 0xFF}, com, {0xFF}, base[2:]}, nil), base
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, want := tc.image()
			out, err := strip(imagemeta.StripJPEG, in)
			if err != nil {
				t.Fatal(err)
			}
			checkStripped(t, jpeg.Decode, in, out, want)
		})
	}
}

// TestStripJPEGScans: entropy-coded data is copied as is, with its stuffed
// bytes and restart markers, and metadata between scans is dropped too.
func TestStripJPEGScans(t *testing.T) {
	in, want := jpegScans()
	out, err := strip(imagemeta.StripJPEG, in)
	if err != nil {
		t.Fatal(err)
	}
	checkStripped(t, nil, in, out, want)
}

// jpegScans is a synthetic JPEG with two scans holding stuffed bytes,
// restart markers and fill bytes, a comment between them and a trailer;
// want is it without the comment and the trailer.
func jpegScans() (in, want []byte) {
	sos := imagemetatest.Segment(0xDA, []byte{1, 1, 0, 0, 63, 0})
	scan1 := []byte{0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xFF, 0x00, 0x78}
	scan2 := []byte{0x9A, 0xFF, 0xD7, 0xBC}
	dht := imagemetatest.Segment(0xC4, []byte{0x10, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7})
	com := imagemetatest.Segment(0xFE, []byte("rue des Lilas"))
	in = bytes.Join([][]byte{{0xFF, 0xD8}, sos, scan1, com, dht, {0xFF, 0xFF}, sos, scan2, {0xFF, 0xD9}, []byte("SecretPhone")}, nil)
	want = bytes.Join([][]byte{{0xFF, 0xD8}, sos, scan1, dht, sos, scan2, {0xFF, 0xD9}}, nil)
	return in, want
}

func TestStripJPEGMalformed(t *testing.T) {
	base := imagemetatest.JPEG()
	eoi := len(base) - 2
	for name, in := range map[string][]byte{
		"empty":                  nil,
		"SOI only":               base[:2],
		"not a JPEG":             imagemetatest.PNG(),
		"truncated in a segment": base[:30],
		"truncated in the scan":  base[:eoi],
		"length past the end":    append(append([]byte{}, base[:2]...), 0xFF, 0xE1, 0xFF, 0xF0, 'E', 'x'),
		"length under 2":         bytes.Join([][]byte{base[:2], {0xFF, 0xFE, 0x00, 0x01}, base[2:]}, nil),
		"bytes between segments": bytes.Join([][]byte{base[:2], {0x00, 0x42}, base[2:]}, nil),
		"EOI before any scan":    {0xFF, 0xD8, 0xFF, 0xD9},
		"second SOI":             bytes.Join([][]byte{base[:2], base}, nil),
		"restart outside a scan": bytes.Join([][]byte{base[:2], {0xFF, 0xD0}, base[2:]}, nil),
		"only fill bytes":        {0xFF, 0xD8, 0xFF, 0xFF, 0xFF},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := strip(imagemeta.StripJPEG, in); !errors.Is(err, imagemeta.ErrMalformed) {
				t.Errorf("error %v, want ErrMalformed", err)
			}
		})
	}
}

// TestStripWriteError: an error of the writer is returned as such, not
// as a malformed image.
func TestStripWriteError(t *testing.T) {
	jpegIn, _ := imagemetatest.JPEGWithMetadata(6)
	pngIn, _ := imagemetatest.PNGWithMetadata()
	webpIn, _ := imagemetatest.WebPWithMetadata()
	for name, tc := range map[string]struct {
		fn stripFunc
		in []byte
	}{"jpeg": {imagemeta.StripJPEG, jpegIn}, "png": {imagemeta.StripPNG, pngIn}, "webp": {imagemeta.StripWebP, webpIn}} {
		for limit := range 64 {
			w := &failingWriter{left: limit * 7}
			err := tc.fn(w, bytes.NewReader(tc.in), int64(len(tc.in)))
			if w.failed && !errors.Is(err, errDiskFull) {
				t.Errorf("%s, failing after %d bytes: %v", name, limit*7, err)
			}
		}
	}
}

var errDiskFull = errors.New("disk full")

type failingWriter struct {
	left   int
	failed bool
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		w.failed = true
		return w.left, errDiskFull
	}
	w.left -= len(p)
	return len(p), nil
}

// pngDecode is png.Decode for checkStripped.
func pngDecode(r io.Reader) (image.Image, error) { return png.Decode(r) }
