// Package imagemeta removes metadata from uploaded images without
// re-encoding them: it walks the JPEG segments, PNG chunks or WebP (RIFF)
// chunks, copies whole those needed to display the image, drops the others
// (EXIF with its GPS position and serial numbers, XMP, IPTC, comments,
// text chunks, trailers) and refuses a file whose structure it cannot
// follow. The pixels are never decoded, so the stored image is the sent
// one bit for bit, minus the dropped parts.
//
// It reads untrusted input: every length is checked against the file's
// size before use, and memory is bounded (one JPEG segment, 64 KB, at
// most) whatever the file says.
//
// It imports only the standard library: models calls it, and it must not
// import models, web or federation.
package imagemeta
