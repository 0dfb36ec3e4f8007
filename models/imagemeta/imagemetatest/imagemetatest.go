// Package imagemetatest makes, for tests and fuzz seeds, small real images
// (encoded by image/png and image/jpeg, or a WebP made once with cwebp)
// and the same images carrying the metadata a phone or an editor writes:
// EXIF with a GPS position, XMP, IPTC, comments, text chunks, trailers.
// Each builder also returns the bytes imagemeta must store.
package imagemetatest

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
)

// Secrets are strings put in the metadata; none may be left after
// stripping.
var Secrets = []string{"SecretPhone", "Jeanne Privee", "SN-4242", "2026:05:01", "rue des Lilas", "xmpmeta", "photoshop"}

// picture is a small gradient with some detail, so that encoders write
// non-trivial data.
func picture() image.Image {
	img := image.NewNRGBA(image.Rect(0, 0, 24, 16))
	for y := range 16 {
		for x := range 24 {
			img.Set(x, y, color.NRGBA{uint8(10 * x), uint8(15 * y), uint8(x * y), 255})
		}
	}
	return img
}

// PNG is a 24×16 PNG as image/png writes it (IHDR, IDAT, IEND).
func PNG() []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, picture()); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// JPEG is a 24×16 JPEG as image/jpeg writes it (no APPn segment).
func JPEG() []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, picture(), &jpeg.Options{Quality: 90}); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// WebP is a 6×4 lossless WebP in the simple format (one VP8L chunk), made
// by cwebp -lossless -metadata none.
func WebP() []byte {
	return []byte("RIFF\x2c\x00\x00\x00WEBPVP8L\x20\x00\x00\x00\x2f\x05\xc0\x00\x00\x99\x8c\xe8\x7f\x6c\x22\xa2" +
		"\xff\x01\x85\x6c\x23\x40\x07\x76\xfe\x62\x3f\xc2\xa0\x0c\x72\x4c\x00\x44\x4a\x0e")
}

// ifdEntry is one TIFF directory entry; data longer than 4 bytes goes
// after the directory.
type ifdEntry struct {
	tag, typ uint16
	count    uint32
	data     []byte
}

// ByteOrder is binary.LittleEndian or binary.BigEndian.
type ByteOrder interface {
	binary.ByteOrder
	binary.AppendByteOrder
}

// ifd encodes entries as a TIFF directory at offset base, its long
// values after it.
func ifd(bo ByteOrder, base int, entries []ifdEntry) []byte {
	dir := bo.AppendUint16(nil, uint16(len(entries)))
	var extra []byte
	extraAt := base + 2 + 12*len(entries) + 4
	for _, e := range entries {
		dir = bo.AppendUint16(dir, e.tag)
		dir = bo.AppendUint16(dir, e.typ)
		dir = bo.AppendUint32(dir, e.count)
		if len(e.data) <= 4 {
			dir = append(dir, append(e.data, make([]byte, 4-len(e.data))...)...)
			continue
		}
		dir = bo.AppendUint32(dir, uint32(extraAt+len(extra)))
		extra = append(extra, e.data...)
		if len(extra)%2 == 1 {
			extra = append(extra, 0)
		}
	}
	dir = bo.AppendUint32(dir, 0)
	return append(dir, extra...)
}

// EXIF is TIFF data as a phone writes it: IFD0 with make, model, serial
// number, artist, date, orientation (left out when 0) and a GPS directory
// with a latitude and a longitude.
func EXIF(bo ByteOrder, orientation uint16) []byte {
	rationals := func(v ...uint32) []byte {
		var b []byte
		for _, x := range v {
			b = bo.AppendUint32(b, x)
			b = bo.AppendUint32(b, 1)
		}
		return b
	}
	short := func(v uint16) []byte { return bo.AppendUint16(nil, v) }
	ascii := func(s string) ifdEntry {
		return ifdEntry{typ: 2, count: uint32(len(s) + 1), data: append([]byte(s), 0)}
	}
	entries := func(gps uint32) []ifdEntry {
		e := []ifdEntry{ascii("SecretPhone"), ascii("Model X"), {}, ascii("2026:05:01 18:30:00"), ascii("Jeanne Privee"), ascii("SN-4242"), {}}
		e[0].tag, e[1].tag, e[3].tag, e[4].tag, e[5].tag = 0x010F, 0x0110, 0x0132, 0x013B, 0xA431
		e[2] = ifdEntry{0x0112, 3, 1, short(orientation)}
		e[6] = ifdEntry{0x8825, 4, 1, bo.AppendUint32(nil, gps)}
		if orientation == 0 {
			e = append(e[:2], e[3:]...)
		}
		return e
	}
	head := []byte("II\x2a\x00\x08\x00\x00\x00")
	if bo == binary.BigEndian {
		head = []byte("MM\x00\x2a\x00\x00\x00\x08")
	}
	ifd0 := ifd(bo, 8, entries(0))
	gpsAt := 8 + len(ifd0)
	ifd0 = ifd(bo, 8, entries(uint32(gpsAt)))
	gps := ifd(bo, gpsAt, []ifdEntry{
		{0x0001, 2, 2, []byte("N\x00")}, {0x0002, 5, 3, rationals(48, 51, 24)},
		{0x0003, 2, 2, []byte("E\x00")}, {0x0004, 5, 3, rationals(2, 21, 7)},
	})
	return append(append(head, ifd0...), gps...)
}

// Segment is a JPEG marker segment: 0xFF, marker, length, payload.
func Segment(marker byte, payload []byte) []byte {
	n := len(payload) + 2
	return append([]byte{0xFF, marker, byte(n >> 8), byte(n)}, payload...)
}

// Kept JPEG segments, put in the input and expected in the output.
var (
	jfif  = Segment(0xE0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))
	icc   = Segment(0xE2, append([]byte("ICC_PROFILE\x00\x01\x01"), bytes.Repeat([]byte("icc."), 8)...))
	adobe = Segment(0xEE, []byte("Adobe\x00\x64\x00\x00\x00\x00\x01"))
)

// JPEGWithMetadata is JPEG() with, after SOI, the segments a phone or an
// editor writes (JFIF, EXIF with orientation and GPS, XMP, ICC profile,
// MPF, IPTC, Adobe, a comment) and, after EOI, a second JPEG with its own
// EXIF (an MPF secondary image). want is what must be stored: JFIF, a
// minimal EXIF with the orientation (none when it is 0 or 1), ICC,
// Adobe, and JPEG() from its first table to EOI, unchanged.
func JPEGWithMetadata(orientation uint16) (in, want []byte) {
	base := JPEG()
	exif := Segment(0xE1, append([]byte("Exif\x00\x00"), EXIF(binary.LittleEndian, orientation)...))
	xmp := Segment(0xE1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><dc:creator>Jeanne Privee</dc:creator></x:xmpmeta>"))
	mpf := Segment(0xE2, []byte("MPF\x00MM\x00\x2a\x00\x00\x00\x08\x00\x00\x00\x00\x00\x00"))
	iptc := Segment(0xED, []byte("Photoshop 3.0\x008BIM\x04\x04\x00\x00\x00\x00\x00\x11\x1c\x02\x50\x00\x0dJeanne Privee\x00"))
	com := Segment(0xFE, []byte("Taken at 12 rue des Lilas"))
	in = bytes.Join([][]byte{base[:2], jfif, exif, xmp, icc, mpf, iptc, adobe, com, base[2:], base[:2], exif, base[2:]}, nil)
	want = bytes.Join([][]byte{base[:2], jfif, OrientationSegment(orientation), icc, adobe, base[2:]}, nil)
	return in, want
}

// OrientationSegment is the minimal EXIF APP1 segment that imagemeta
// writes for the orientation o (nil for 0 or 1).
func OrientationSegment(o uint16) []byte {
	if o <= 1 {
		return nil
	}
	return Segment(0xE1, append([]byte("Exif\x00\x00MM\x00\x2a\x00\x00\x00\x08\x00\x01\x01\x12\x00\x03\x00\x00\x00\x01"), byte(o>>8), byte(o), 0, 0, 0, 0, 0, 0))
}

// Chunk is a PNG chunk with its length and CRC.
func Chunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(append(c, typ...), data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

// PNGWithMetadata is PNG() with, after IHDR, text chunks (tEXt, zTXt, an
// iTXt holding XMP), tIME, eXIf, a private chunk, and the kept gAMA and
// pHYs; after IEND, leftover bytes as a cropping tool may leave. want is
// what must be stored: PNG() with gAMA and pHYs.
func PNGWithMetadata() (in, want []byte) {
	base := PNG()
	ihdrEnd := 8 + 12 + 13
	var z bytes.Buffer
	zw := zlib.NewWriter(&z)
	zw.Write([]byte("Taken at 12 rue des Lilas"))
	zw.Close()
	text := bytes.Join([][]byte{
		Chunk("tEXt", []byte("Author\x00Jeanne Privee")),
		Chunk("zTXt", append([]byte("Comment\x00\x00"), z.Bytes()...)),
		Chunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"/>")),
	}, nil)
	meta := bytes.Join([][]byte{
		Chunk("tIME", []byte{0x07, 0xEA, 5, 1, 18, 30, 0}),
		Chunk("eXIf", EXIF(binary.BigEndian, 6)),
		Chunk("prVt", []byte("photoshop SN-4242")),
	}, nil)
	kept := append(Chunk("gAMA", []byte{0, 0, 0xB1, 0x8F}), Chunk("pHYs", []byte{0, 0, 0x0B, 0x13, 0, 0, 0x0B, 0x13, 1})...)
	in = bytes.Join([][]byte{base[:ihdrEnd], text, kept, meta, base[ihdrEnd:], []byte("SecretPhone leftovers")}, nil)
	want = bytes.Join([][]byte{base[:ihdrEnd], kept, base[ihdrEnd:]}, nil)
	return in, bytes.Clone(want)
}

// RIFFChunk is a WebP chunk: FourCC, little-endian size, data, padding.
func RIFFChunk(fourcc string, data []byte) []byte {
	c := binary.LittleEndian.AppendUint32([]byte(fourcc), uint32(len(data)))
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

// RIFF wraps WebP chunks in a RIFF WEBP header.
func RIFF(chunks ...[]byte) []byte {
	body := append([]byte("WEBP"), bytes.Join(chunks, nil)...)
	return append(binary.LittleEndian.AppendUint32([]byte("RIFF"), uint32(len(body))), body...)
}

// WebPWithMetadata is WebP() in the extended format: VP8X (ICC, EXIF and
// XMP flags), ICCP, VP8L, then EXIF (with GPS) and XMP chunks of odd
// sizes, an unknown chunk, and bytes after the RIFF end. want is what must
// be stored: VP8X with only the ICC flag, ICCP and VP8L, and the RIFF
// size of that.
func WebPWithMetadata() (in, want []byte) {
	vp8l := WebP()[12:]
	vp8x := func(flags byte) []byte { return RIFFChunk("VP8X", []byte{flags, 0, 0, 0, 5, 0, 0, 3, 0, 0}) }
	iccp := RIFFChunk("ICCP", bytes.Repeat([]byte("icc."), 6))
	exif := RIFFChunk("EXIF", append(EXIF(binary.LittleEndian, 6), 0)) // odd: padded
	xmp := RIFFChunk("XMP ", []byte("<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><dc:creator>Jeanne Privee</dc:creator></x:xmpmeta>"))
	in = append(RIFF(vp8x(0x2C), iccp, vp8l, exif, xmp, RIFFChunk("SNum", []byte("SN-4242"))), "SecretPhone"...)
	want = RIFF(vp8x(0x20), iccp, vp8l)
	return in, want
}
