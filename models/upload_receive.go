package models

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"

	"github.com/opendemocracynow/odn/models/imagemeta"
)

// stripMetadata copies an image of each type without its metadata.
var stripMetadata = map[string]func(io.Writer, io.ReaderAt, int64) error{
	TypeJPEG: imagemeta.StripJPEG,
	TypePNG:  imagemeta.StripPNG,
	TypeWebP: imagemeta.StripWebP,
}

// spool is a temporary file being written, with the size and SHA-256 of
// what was written. It is removed by remove unless moved first.
type spool struct {
	f     *os.File
	w     *bufio.Writer
	h     hash.Hash
	n     int64
	moved bool
}

func newSpool(dir string) (*spool, error) {
	f, err := os.CreateTemp(dir, "up-*")
	if err != nil {
		return nil, fmt.Errorf("save upload: %w", err)
	}
	return &spool{f: f, w: bufio.NewWriterSize(f, 64<<10), h: sha256.New()}, nil
}

func (sp *spool) Write(p []byte) (int, error) {
	n, err := sp.w.Write(p)
	sp.h.Write(p[:n])
	sp.n += int64(n)
	return n, err
}

// flush writes what is buffered to the file.
func (sp *spool) flush() error {
	if err := sp.w.Flush(); err != nil {
		return fmt.Errorf("write upload: %w", err)
	}
	return nil
}

// moveTo renames the file to path, where it stays.
func (sp *spool) moveTo(path string) error {
	if err := os.Rename(sp.f.Name(), path); err != nil {
		return err
	}
	sp.moved = true
	return nil
}

// remove closes the file and deletes it unless it was moved.
func (sp *spool) remove() {
	sp.f.Close()
	if !sp.moved {
		os.Remove(sp.f.Name())
	}
}

// receiveUpload streams r to a spool in dir and returns it with the
// sniffed type, refusing an empty file, a type not accepted, or more than
// MaxUploadSize bytes.
func receiveUpload(dir string, r io.Reader) (*spool, string, error) {
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, "", fmt.Errorf("read upload: %w", err)
	}
	head = head[:n]
	if n == 0 {
		return nil, "", Invalid("file", "The file is empty.")
	}
	ct := sniffUpload(head)
	if ct == "" {
		return nil, "", Invalid("file", "Only PDF, PNG, JPEG and WebP files are accepted.")
	}
	sp, err := newSpool(dir)
	if err != nil {
		return nil, "", err
	}
	if _, err := sp.Write(head); err != nil {
		sp.remove()
		return nil, "", fmt.Errorf("write upload: %w", err)
	}
	if _, err := io.Copy(sp, io.LimitReader(r, MaxUploadSize-int64(n)+1)); err != nil {
		sp.remove()
		return nil, "", Invalid("file", "The file could not be read completely.")
	}
	if sp.n > MaxUploadSize {
		sp.remove()
		return nil, "", Invalid("file", "The file is larger than 10 MB.")
	}
	if err := sp.flush(); err != nil {
		sp.remove()
		return nil, "", err
	}
	return sp, ct, nil
}

// stripUpload copies the image in sent, without its metadata, to a new
// spool in dir. A malformed image is refused: nothing half-stripped is
// kept.
func stripUpload(dir string, sent *spool, strip func(io.Writer, io.ReaderAt, int64) error) (*spool, error) {
	out, err := newSpool(dir)
	if err != nil {
		return nil, err
	}
	err = strip(out, sent.f, sent.n)
	if err == nil {
		err = out.flush()
	}
	if errors.Is(err, imagemeta.ErrMalformed) {
		out.remove()
		return nil, Invalid("file", "The image is damaged or incomplete.")
	}
	if err != nil {
		out.remove()
		return nil, fmt.Errorf("strip upload metadata: %w", err)
	}
	return out, nil
}
