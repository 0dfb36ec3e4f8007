package imagemeta

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
)

// JPEG markers (ITU T.81, table B.1).
const (
	markSOI   = 0xD8
	markEOI   = 0xD9
	markSOS   = 0xDA
	markAPP0  = 0xE0
	markAPP1  = 0xE1
	markAPP2  = 0xE2
	markAPP14 = 0xEE
	markAPP15 = 0xEF
	markCOM   = 0xFE
)

// exifHeader starts an APP1 segment holding EXIF (then a TIFF file).
var exifHeader = []byte("Exif\x00\x00")

// StripJPEG writes to w the JPEG of size bytes in r without its metadata.
//
// Kept: APP0 JFIF, APP2 ICC_PROFILE (it changes colours), APP14 Adobe (it
// says how to decode colours), every segment that is not APPn or COM
// (tables, frame, scans), and the entropy-coded data as is. Dropped: APP1
// (EXIF with its GPS position, serial numbers and thumbnail, XMP), the
// other APPn (APP2 MPF and FlashPix, APP13 IPTC and Photoshop, makers'
// segments), COM, and whatever follows the end of image: MPF secondary
// images, each with its own EXIF, motion-photo videos, makers' trailers.
//
// The EXIF Orientation tag is kept when it is not 1 (phone photos show
// rotated without it): the first EXIF segment becomes a minimal one
// holding only that tag.
func StripJPEG(w io.Writer, r io.ReaderAt, size int64) error {
	j := &jpegStripper{br: bufio.NewReaderSize(io.NewSectionReader(r, 0, size), 32<<10), w: w, pair: [2]byte{0xFF}}
	return j.run()
}

type jpegStripper struct {
	br       *bufio.Reader
	w        io.Writer
	seg      []byte // one segment's payload, at most 65533 bytes
	pair     [2]byte
	exifSeen bool
}

func (j *jpegStripper) run() error {
	var soi [2]byte
	if err := j.read(soi[:]); err != nil {
		return err
	}
	if soi != [2]byte{0xFF, markSOI} {
		return malformed("jpeg", "no start of image")
	}
	if err := j.write(soi[:]); err != nil {
		return err
	}
	scanned := false
	m, err := j.marker()
	for err == nil {
		switch {
		case m == markEOI && !scanned:
			return malformed("jpeg", "end of image before any scan")
		case m == markEOI:
			return j.write([]byte{0xFF, markEOI})
		case m == markSOI, m == 0x00, m == 0x01, m >= 0xD0 && m <= 0xD7:
			return malformed("jpeg", "unexpected marker %#02x", m)
		}
		var p []byte
		if p, err = j.segment(); err != nil {
			return err
		}
		if err = j.filter(m, p); err != nil {
			return err
		}
		if m == markSOS {
			scanned = true
			m, err = j.scan()
		} else {
			m, err = j.marker()
		}
	}
	return err
}

// marker reads the next marker: 0xFF, optional 0xFF fill bytes (dropped),
// and the marker's code.
func (j *jpegStripper) marker() (byte, error) {
	b, err := j.byte()
	if err != nil {
		return 0, err
	}
	if b != 0xFF {
		return 0, malformed("jpeg", "%#02x where a marker was expected", b)
	}
	for b == 0xFF && err == nil {
		b, err = j.byte()
	}
	return b, err
}

// segment reads a marker segment's payload (its length counts itself).
func (j *jpegStripper) segment() ([]byte, error) {
	var l [2]byte
	if err := j.read(l[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(l[:]))
	if n < 2 {
		return nil, malformed("jpeg", "segment length %d", n)
	}
	if j.seg == nil {
		j.seg = make([]byte, 0xFFFF-2)
	}
	p := j.seg[:n-2]
	return p, j.read(p)
}

// filter writes the segment of marker m if it is kept, or its minimal
// replacement.
func (j *jpegStripper) filter(m byte, p []byte) error {
	if m == markAPP1 && !j.exifSeen && bytes.HasPrefix(p, exifHeader) {
		j.exifSeen = true
		if o := exifOrientation(p[len(exifHeader):]); o > 1 {
			return j.write(orientationSegment(o))
		}
		return nil
	}
	if p = keptSegment(m, p); p == nil {
		return nil
	}
	n := len(p) + 2
	if err := j.write([]byte{0xFF, m, byte(n >> 8), byte(n)}); err != nil {
		return err
	}
	return j.write(p)
}

// JFIF and Adobe headers: what of APP0 and APP14 a decoder reads. A JFIF
// header may be followed by an uncompressed thumbnail, and either by any
// bytes: those go.
const (
	jfifHeaderLen  = 14 // "JFIF\0", version, units, densities, thumbnail width and height
	adobeHeaderLen = 12 // "Adobe", version, flags0, flags1, transform
)

// keptSegment returns what of the segment of marker m with payload p is
// needed to display the image, nil when none of it is: a JFIF header
// without its thumbnail, an Adobe header, an ICC profile, and every
// segment that is not an application segment or a comment.
func keptSegment(m byte, p []byte) []byte {
	switch {
	case m == markAPP0:
		// Not JFXX, and no JFIF thumbnail: they may show what was cropped.
		if !bytes.HasPrefix(p, []byte("JFIF\x00")) || len(p) < jfifHeaderLen {
			return nil
		}
		h := bytes.Clone(p[:jfifHeaderLen])
		h[12], h[13] = 0, 0
		return h
	case m == markAPP2:
		if bytes.HasPrefix(p, []byte("ICC_PROFILE\x00")) {
			return p
		}
		return nil
	case m == markAPP14:
		if bytes.HasPrefix(p, []byte("Adobe")) {
			return p[:min(len(p), adobeHeaderLen)]
		}
		return nil
	case m >= markAPP0 && m <= markAPP15, m == markCOM:
		return nil
	}
	return p
}

// scan copies entropy-coded data as is, with its stuffed bytes (0xFF00)
// and restart markers, and returns the marker that ends it.
func (j *jpegStripper) scan() (byte, error) {
	for {
		data, err := j.br.ReadSlice(0xFF)
		if errors.Is(err, bufio.ErrBufferFull) {
			if err := j.write(data); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, j.readErr(err)
		}
		if err := j.write(data[:len(data)-1]); err != nil {
			return 0, err
		}
		ff := 1
		b, err := j.byte()
		for b == 0xFF && err == nil {
			ff++
			b, err = j.byte()
		}
		if err != nil {
			return 0, err
		}
		if b != 0x00 && (b < 0xD0 || b > 0xD7) {
			return b, nil
		}
		for ; ff > 1; ff-- {
			if err := j.write(j.pair[:1]); err != nil {
				return 0, err
			}
		}
		j.pair[1] = b
		if err := j.write(j.pair[:]); err != nil {
			return 0, err
		}
	}
}

func (j *jpegStripper) byte() (byte, error) {
	b, err := j.br.ReadByte()
	return b, j.readErr(err)
}

func (j *jpegStripper) read(p []byte) error {
	_, err := io.ReadFull(j.br, p)
	return j.readErr(err)
}

// readErr turns the end of the file into a malformed JPEG: a complete one
// ends with EOI.
func (j *jpegStripper) readErr(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return malformed("jpeg", "truncated: no end of image")
	}
	return err
}

func (j *jpegStripper) write(p []byte) error {
	_, err := j.w.Write(p)
	return err
}

// exifOrientation returns the Orientation tag (0x0112) of IFD0 in the
// TIFF data t, or 0 when there is none or t cannot be read: a broken
// EXIF is dropped whole, it does not make the image malformed.
func exifOrientation(t []byte) uint16 {
	if len(t) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(t[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	if bo.Uint16(t[2:]) != 42 {
		return 0
	}
	ifd := bo.Uint32(t[4:])
	if ifd < 8 || int64(ifd) > int64(len(t))-2 {
		return 0
	}
	n := int(bo.Uint16(t[ifd:]))
	for i, e := 0, int(ifd)+2; i < n && e+12 <= len(t); i, e = i+1, e+12 {
		if bo.Uint16(t[e:]) != 0x0112 {
			continue
		}
		if bo.Uint16(t[e+2:]) != 3 || bo.Uint32(t[e+4:]) != 1 { // one SHORT
			return 0
		}
		if o := bo.Uint16(t[e+8:]); o >= 1 && o <= 8 {
			return o
		}
		return 0
	}
	return 0
}

// orientationSegment is an APP1 EXIF segment whose IFD0 holds only the
// Orientation o (big-endian TIFF, no next IFD).
func orientationSegment(o uint16) []byte {
	return []byte{
		0xFF, markAPP1, 0, 34, 'E', 'x', 'i', 'f', 0, 0,
		'M', 'M', 0, 42, 0, 0, 0, 8, // TIFF header, IFD0 at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o >> 8), byte(o), 0, 0, // Orientation, SHORT, 1, o
		0, 0, 0, 0, // no next IFD
	}
}
