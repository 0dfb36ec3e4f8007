package imagemeta

import (
	"encoding/binary"
	"io"
)

// VP8X flags (WebP container specification, "Extended file format").
const (
	webpFlagEXIF = 0x08
	webpFlagXMP  = 0x04
)

// webpKeep lists the chunks that make the image; EXIF, XMP and unknown
// chunks are dropped. VP8X is kept only as the first chunk.
var webpKeep = map[string]bool{"VP8X": true, "VP8 ": true, "VP8L": true, "ALPH": true, "ICCP": true, "ANIM": true, "ANMF": true}

// StripWebP writes to w the WebP (RIFF) file of size bytes in r without
// its metadata: the EXIF and XMP chunks, and unknown ones, are dropped,
// their flags cleared in VP8X, and the RIFF size made that of what is
// kept; bytes after the RIFF end are dropped too. Kept chunks are copied
// whole. A first pass checks every chunk and counts what is dropped, so
// the RIFF size is written right before anything else, with no buffering.
func StripWebP(w io.Writer, r io.ReaderAt, size int64) error {
	s := &source{r: r, size: size, format: "webp"}
	var hdr [12]byte
	if err := s.readAt(hdr[:], 0); err != nil {
		return err
	}
	if string(hdr[:4]) != "RIFF" || string(hdr[8:]) != "WEBP" {
		return malformed("webp", "no RIFF WEBP header")
	}
	riff := int64(binary.LittleEndian.Uint32(hdr[4:8]))
	if riff < 4+8 || riff > size-8 || riff%2 != 0 {
		return malformed("webp", "RIFF size %d for a file of %d bytes", riff, size)
	}
	dropped, err := s.webpChunks(nil, 8+riff)
	if err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(hdr[4:8], uint32(riff-dropped))
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	_, err = s.webpChunks(w, 8+riff)
	return err
}

// webpChunks walks the chunks from offset 12 to end, checking them, and
// returns how many bytes are dropped; with a writer, it writes the kept
// chunks (VP8X without the EXIF and XMP flags).
func (s *source) webpChunks(w io.Writer, end int64) (int64, error) {
	var dropped int64
	image := false
	var hdr [8]byte
	for off, n := int64(12), 0; off < end; n++ {
		if off+8 > end {
			return 0, malformed("webp", "chunk header past the RIFF end")
		}
		if err := s.readAt(hdr[:], off); err != nil {
			return 0, err
		}
		fourcc, length := string(hdr[:4]), int64(binary.LittleEndian.Uint32(hdr[4:]))
		padded := length + length%2
		switch {
		case padded > end-off-8:
			return 0, malformed("webp", "chunk %q past the RIFF end", fourcc)
		case n == 0 && fourcc != "VP8X" && fourcc != "VP8 " && fourcc != "VP8L":
			return 0, malformed("webp", "first chunk is %q", fourcc)
		case fourcc == "VP8X" && (n != 0 || length < 10):
			return 0, malformed("webp", "misplaced or short VP8X")
		}
		image = image || fourcc == "VP8 " || fourcc == "VP8L" || fourcc == "ANMF"
		switch {
		case !webpKeep[fourcc]:
			dropped += 8 + padded
		case w == nil:
		case fourcc == "VP8X":
			if err := s.copyVP8X(w, off, padded); err != nil {
				return 0, err
			}
		default:
			if err := s.copyTo(w, off, 8+padded); err != nil {
				return 0, err
			}
		}
		off += 8 + padded
	}
	if !image {
		return 0, malformed("webp", "no image data")
	}
	return dropped, nil
}

// copyVP8X copies the VP8X chunk at off, whose data is padded bytes long,
// clearing the EXIF and XMP flags.
func (s *source) copyVP8X(w io.Writer, off, padded int64) error {
	var head [9]byte
	if err := s.readAt(head[:], off); err != nil {
		return err
	}
	head[8] &^= webpFlagEXIF | webpFlagXMP
	if _, err := w.Write(head[:]); err != nil {
		return err
	}
	return s.copyTo(w, off+9, padded-1)
}
