package imagemeta

import (
	"errors"
	"fmt"
	"io"
)

// ErrMalformed is wrapped by every error about the file itself (truncated,
// a length past its end, an unknown structure). Other errors come from the
// reader or the writer.
var ErrMalformed = errors.New("malformed image")

// malformed wraps ErrMalformed with the format and what was wrong.
func malformed(format, msg string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrMalformed, format, fmt.Sprintf(msg, args...))
}

// source reads a file of known size at increasing offsets; a read past
// the end is a malformed file, never a short read.
type source struct {
	r      io.ReaderAt
	size   int64
	format string
	buf    []byte // copy buffer, allocated once per file
}

// readAt fills p from offset off.
func (s *source) readAt(p []byte, off int64) error {
	if off < 0 || int64(len(p)) > s.size-off {
		return malformed(s.format, "truncated at offset %d", off)
	}
	if _, err := s.r.ReadAt(p, off); err != nil && !(errors.Is(err, io.EOF) && off+int64(len(p)) == s.size) {
		return fmt.Errorf("read %s: %w", s.format, err)
	}
	return nil
}

// copyTo copies n bytes from offset off to w.
func (s *source) copyTo(w io.Writer, off, n int64) error {
	if off < 0 || n < 0 || n > s.size-off {
		return malformed(s.format, "truncated at offset %d", off)
	}
	if s.buf == nil {
		s.buf = make([]byte, 32<<10)
	}
	c, err := io.CopyBuffer(onlyWriter{w}, io.NewSectionReader(s.r, off, n), s.buf)
	if err == nil && c != n {
		err = fmt.Errorf("read %s: %w", s.format, io.ErrUnexpectedEOF)
	}
	return err
}

// onlyWriter hides a ReaderFrom so that io.CopyBuffer uses our buffer.
type onlyWriter struct{ io.Writer }
