package models

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"

	"github.com/uptrace/bun"

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

// uploadRule is what an upload may be: its largest size, the types
// accepted, and the sentences refusing the others.
type uploadRule struct {
	max               int64
	types             []string
	wrongType, tooBig string
}

// documentRule accepts the files of a space: PDF and images up to
// MaxUploadSize.
var documentRule = uploadRule{max: MaxUploadSize, types: []string{TypePDF, TypePNG, TypeJPEG, TypeWebP},
	wrongType: "Only PDF, PNG, JPEG and WebP files are accepted.", tooBig: "The file is larger than 10 MB."}

// receiveUpload streams r to a spool in dir and returns it with the
// sniffed type, refusing an empty file, a type rule does not accept, or
// more than rule.max bytes.
func receiveUpload(dir string, r io.Reader, rule uploadRule) (*spool, string, error) {
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
	if ct == "" || !slices.Contains(rule.types, ct) {
		return nil, "", Invalid("file", rule.wrongType)
	}
	sp, err := newSpool(dir)
	if err != nil {
		return nil, "", err
	}
	if _, err := sp.Write(head); err != nil {
		sp.remove()
		return nil, "", fmt.Errorf("write upload: %w", err)
	}
	if _, err := io.Copy(sp, io.LimitReader(r, rule.max-int64(n)+1)); err != nil {
		sp.remove()
		return nil, "", Invalid("file", "The file could not be read completely.")
	}
	if sp.n > rule.max {
		sp.remove()
		return nil, "", Invalid("file", rule.tooBig)
	}
	if err := sp.flush(); err != nil {
		sp.remove()
		return nil, "", err
	}
	return sp, ct, nil
}

// stripUpload copies the image of n bytes in r, without its metadata, to
// a new spool in dir. On an error nothing is kept (nothing half-stripped);
// a malformed image's error wraps imagemeta.ErrMalformed.
func stripUpload(dir string, r io.ReaderAt, n int64, strip func(io.Writer, io.ReaderAt, int64) error) (*spool, error) {
	out, err := newSpool(dir)
	if err != nil {
		return nil, err
	}
	err = strip(out, r, n)
	if err == nil {
		err = out.flush()
	}
	if err != nil {
		out.remove()
		return nil, fmt.Errorf("strip upload metadata: %w", err)
	}
	return out, nil
}

// uploadTmpDir is DATA/uploads/tmp, made if needed, where uploads are
// written before they are renamed into place.
func (s *Store) uploadTmpDir() (string, error) {
	if s.dataDir == "" {
		return "", fmt.Errorf("%w: uploads are not configured (no data directory)", ErrForbidden)
	}
	dir := filepath.Join(s.dataDir, "uploads", "tmp")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return "", fmt.Errorf("uploads: %w", err)
	}
	return dir, nil
}

// StripStoredImages removes the metadata of the images stored before odn
// stripped them at upload (SaveUpload does since): each JPEG, PNG or WebP
// upload is stripped again into a temporary file and, when that changes
// it, replaces the stored file (an atomic rename), its size and SHA-256
// updated. Already stripped images come out unchanged, so running it
// twice changes nothing. A file that cannot be stripped (malformed, or
// missing on disk) is left as it is and counted in failed, with its error
// in errs (at most one per upload); the rest goes on. It returns how many
// images were checked and how many changed.
func (s *Store) StripStoredImages(ctx context.Context) (checked, changed int, failed []error, err error) {
	tmpDir, err := s.uploadTmpDir()
	if err != nil {
		return 0, 0, nil, err
	}
	var ups []*Upload
	if err := s.DB.NewSelect().Model(&ups).Where("content_type IN (?)", bun.In([]string{TypeJPEG, TypePNG, TypeWebP})).
		Order("id").Scan(ctx); err != nil {
		return 0, 0, nil, dbErr("stored images", err)
	}
	for _, u := range ups {
		if err := ctx.Err(); err != nil {
			return checked, changed, failed, err
		}
		checked++
		done, err := s.restrip(ctx, tmpDir, u)
		if err != nil {
			failed = append(failed, fmt.Errorf("upload %d (%s): %w", u.ID, u.Name, err))
		} else if done {
			changed++
		}
	}
	return checked, changed, failed, nil
}

// restrip strips the stored upload u again, replacing its file and record
// when that changes it; it reports whether it did.
func (s *Store) restrip(ctx context.Context, tmpDir string, u *Upload) (bool, error) {
	path, err := s.uploadPath(u.Key)
	if err != nil {
		return false, err
	}
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		return false, err
	}
	out, err := stripUpload(tmpDir, f, info.Size(), stripMetadata[u.ContentType])
	if err != nil {
		return false, err
	}
	defer out.remove()
	sum := hex.EncodeToString(out.h.Sum(nil))
	if out.n == info.Size() && sum == u.SHA256 {
		return false, nil
	}
	if err := out.f.Sync(); err != nil {
		return false, fmt.Errorf("write upload: %w", err)
	}
	// The file first: should the record's update fail, the next run finds
	// the stripped file unlike its record and updates it (stripping is
	// idempotent); the other way, a record of the stripped bytes would
	// hide the unstripped file from every later run.
	if err := out.moveTo(path); err != nil {
		return false, fmt.Errorf("replace upload: %w", err)
	}
	if _, err := s.DB.NewUpdate().Model((*Upload)(nil)).Set("size = ?", out.n).Set("sha256 = ?", sum).
		Where("id = ?", u.ID).Exec(ctx); err != nil {
		return false, dbErr("update stripped upload", err)
	}
	return true, nil
}
