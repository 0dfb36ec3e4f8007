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
// chunks are dropped. VP8X is kept only as the first chunk, and only its
// 10 bytes of data. An animation frame (ANMF) keeps its 16-byte header
// and, of the chunks inside it, those of frameKeep.
var (
	webpKeep  = map[string]bool{"VP8X": true, "VP8 ": true, "VP8L": true, "ALPH": true, "ICCP": true, "ANIM": true, "ANMF": true}
	frameKeep = map[string]bool{"ALPH": true, "VP8 ": true, "VP8L": true}
)

const (
	vp8xLen      = 10 // flags, reserved, canvas width and height
	anmfFrameLen = 16 // position, size, duration, flags
)

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
		case fourcc == "VP8X":
			dropped += padded - vp8xLen
			if w != nil {
				if err := s.copyVP8X(w, off); err != nil {
					return 0, err
				}
			}
		case fourcc == "ANMF":
			d, err := s.webpFrame(w, off, length)
			if err != nil {
				return 0, err
			}
			dropped += d
		case w == nil:
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

// copyVP8X writes the VP8X chunk at off with its 10 bytes of data only
// (anything after them is not the spec's), the EXIF and XMP flags
// cleared.
func (s *source) copyVP8X(w io.Writer, off int64) error {
	var c [8 + vp8xLen]byte
	if err := s.readAt(c[:], off); err != nil {
		return err
	}
	binary.LittleEndian.PutUint32(c[4:8], vp8xLen)
	c[8] &^= webpFlagEXIF | webpFlagXMP
	_, err := w.Write(c[:])
	return err
}

// webpFrame checks the animation frame (ANMF) chunk at off, whose data is
// length bytes long, and returns how many of its bytes are dropped: the
// chunks inside it other than frameKeep's (the spec allows unknown ones,
// where metadata could hide). With a writer, it writes the frame with
// what it keeps, its length made that of what is kept.
func (s *source) webpFrame(w io.Writer, off, length int64) (int64, error) {
	if length < anmfFrameLen || length%2 != 0 {
		return 0, malformed("webp", "ANMF of %d bytes", length) // its chunks are padded to even sizes
	}
	start, end := off+8+anmfFrameLen, off+8+length
	var dropped int64
	var hdr [8]byte
	for pass := range 2 {
		if pass == 1 {
			if w == nil {
				break
			}
			var head [8 + anmfFrameLen]byte
			if err := s.readAt(head[:], off); err != nil {
				return 0, err
			}
			binary.LittleEndian.PutUint32(head[4:8], uint32(length-dropped))
			if _, err := w.Write(head[:]); err != nil {
				return 0, err
			}
		}
		for sub := start; sub < end; {
			if sub+8 > end {
				return 0, malformed("webp", "frame chunk header past the frame's end")
			}
			if err := s.readAt(hdr[:], sub); err != nil {
				return 0, err
			}
			fourcc, n := string(hdr[:4]), int64(binary.LittleEndian.Uint32(hdr[4:]))
			padded := n + n%2
			if padded > end-sub-8 {
				return 0, malformed("webp", "frame chunk %q past the frame's end", fourcc)
			}
			switch {
			case !frameKeep[fourcc]:
				if pass == 0 {
					dropped += 8 + padded
				}
			case pass == 1:
				if err := s.copyTo(w, sub, 8+padded); err != nil {
					return 0, err
				}
			}
			sub += 8 + padded
		}
	}
	return dropped, nil
}
