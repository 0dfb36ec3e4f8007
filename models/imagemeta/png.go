package imagemeta

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
)

var pngSignature = []byte("\x89PNG\r\n\x1a\n")

// pngKeep lists the chunks that change what is shown (PNG third edition,
// with APNG's animation chunks). Every other ancillary chunk is dropped:
// eXIf, tEXt, zTXt, iTXt and tIME, and also the private ones that
// programs fill with their own metadata; decoders skip them anyway.
var pngKeep = map[string]bool{
	"IHDR": true, "PLTE": true, "IDAT": true, "IEND": true,
	"tRNS": true, "cHRM": true, "gAMA": true, "iCCP": true, "sBIT": true, "sRGB": true,
	"cICP": true, "mDCV": true, "cLLI": true, "mDCv": true, "cLLi": true,
	"bKGD": true, "hIST": true, "pHYs": true, "sPLT": true,
	"acTL": true, "fcTL": true, "fdAT": true,
}

// StripPNG writes to w the PNG of size bytes in r without its metadata:
// the chunks of pngKeep are copied whole (so their CRCs, checked on the
// way, stay valid), other ancillary chunks are dropped, and so is
// whatever follows IEND. An unknown critical chunk, a bad CRC in a kept
// chunk or a missing IHDR, IDAT or IEND make the file malformed.
func StripPNG(w io.Writer, r io.ReaderAt, size int64) error {
	s := &source{r: r, size: size, format: "png"}
	var hdr [8]byte
	if err := s.readAt(hdr[:], 0); err != nil {
		return err
	}
	if !bytes.Equal(hdr[:], pngSignature) {
		return malformed("png", "no PNG signature")
	}
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	idat := false
	for off, n := int64(8), 0; ; n++ {
		if err := s.readAt(hdr[:], off); err != nil {
			return err
		}
		length, typ := int64(binary.BigEndian.Uint32(hdr[:4])), hdr[4:8]
		switch {
		case length > 1<<31-1 || length > size-off-12:
			return malformed("png", "chunk %q past the end", typ)
		case !chunkType(typ):
			return malformed("png", "chunk type %q", typ)
		case (n == 0) != (string(typ) == "IHDR"), n == 0 && length != 13:
			return malformed("png", "IHDR is not the first chunk")
		case string(typ) == "IEND" && (!idat || length != 0):
			return malformed("png", "no image data")
		case string(typ) == "IEND":
			return s.copyChunk(w, off, length)
		case pngKeep[string(typ)]:
			idat = idat || string(typ) == "IDAT"
			if err := s.copyChunk(w, off, length); err != nil {
				return err
			}
		case typ[0]&0x20 == 0:
			return malformed("png", "unknown critical chunk %q", typ)
		}
		off += 12 + length
	}
}

// chunkType says whether t is made of ASCII letters, as PNG asks.
func chunkType(t []byte) bool {
	for _, c := range t {
		if c|0x20 < 'a' || c|0x20 > 'z' {
			return false
		}
	}
	return true
}

// copyChunk copies the chunk at off with length bytes of data to w,
// checking its CRC.
func (s *source) copyChunk(w io.Writer, off, length int64) error {
	var hdr [8]byte
	if err := s.readAt(hdr[:], off); err != nil {
		return err
	}
	if _, err := w.Write(hdr[:]); err != nil {
		return err
	}
	crc := crc32.NewIEEE()
	crc.Write(hdr[4:])
	if err := s.copyTo(io.MultiWriter(w, crc), off+8, length); err != nil {
		return err
	}
	var sum [4]byte
	if err := s.readAt(sum[:], off+8+length); err != nil {
		return err
	}
	if binary.BigEndian.Uint32(sum[:]) != crc.Sum32() {
		return malformed("png", "bad CRC in chunk %q", hdr[4:])
	}
	_, err := w.Write(sum[:])
	return err
}
