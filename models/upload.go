package models

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/opendemocracynow/odn/models/imagemeta"
)

// MaxUploadSize bounds an uploaded file (10 MB).
const MaxUploadSize = 10 << 20

// Accepted upload types. Anything else (SVG, HTML, scripts, archives…) is
// refused: odn never stores a file a browser could run.
const (
	TypePDF  = "application/pdf"
	TypePNG  = "image/png"
	TypeJPEG = "image/jpeg"
	TypeWebP = "image/webp"
)

// uploadExt is the extension of the display name of each accepted type.
var uploadExt = map[string]string{TypePDF: ".pdf", TypePNG: ".png", TypeJPEG: ".jpg", TypeWebP: ".webp"}

// Upload is a file stored on disk under DATA/uploads with a random name
// (Key); its original name is kept only for display, cleaned.
type Upload struct {
	bun.BaseModel `bun:"table:uploads"`
	ID            int64     `bun:",pk,autoincrement" json:"id"`
	Key           string    `bun:",notnull" json:"key"`
	SpaceID       int64     `bun:",notnull" json:"-"`
	AccountID     *int64    `bun:",nullzero" json:"-"`
	ContentType   string    `bun:",notnull" json:"content_type"`
	Size          int64     `bun:",notnull" json:"size"`
	Name          string    `bun:",notnull" json:"name"`
	SHA256        string    `bun:"sha256,notnull" json:"sha256"`
	CreatedAt     time.Time `bun:",notnull" json:"created_at"`
	// UnattachedSince is when PurgeUploads first saw nothing point to the
	// upload; nil while something does (or before it looked).
	UnattachedSince *time.Time `bun:",nullzero" json:"-"`
}

// IsImage reports whether the upload may be shown inline as an image.
func (u *Upload) IsImage() bool { return u != nil && strings.HasPrefix(u.ContentType, "image/") }

// Path is the upload's public path, /media/KEY/NAME (the name is
// decoration: only the key is looked up).
func (u *Upload) Path() string { return "/media/" + u.Key + "/" + pathSafeName(u.Name) }

// WithDataDir sets the directory under which uploads are stored
// (DATA/uploads); without it uploads are refused.
func WithDataDir(dir string) Option { return func(s *Store) { s.dataDir = dir } }

// SetDataDir sets the data directory after construction.
func (s *Store) SetDataDir(dir string) { s.dataDir = dir }

var uploadKeyRE = regexp.MustCompile(`^[0-9a-f]{32}$`)

// newUploadKey is a random 128-bit hex name, for stored files and
// provisional ids.
func newUploadKey() string {
	b := make([]byte, 16)
	rand.Read(b) //nolint:errcheck // never fails
	return hex.EncodeToString(b)
}

// uploadPath is where a key's file lives: DATA/uploads/ab/abcdef….
func (s *Store) uploadPath(key string) (string, error) {
	if s.dataDir == "" {
		return "", fmt.Errorf("%w: uploads are not configured (no data directory)", ErrForbidden)
	}
	if !uploadKeyRE.MatchString(key) {
		return "", ErrNotFound
	}
	return filepath.Join(s.dataDir, "uploads", key[:2], key), nil
}

// sniffUpload decides the type of a file from its first bytes, with two
// independent checks that must agree: net/http's sniffer and our own
// magic numbers. It returns "" for anything not accepted.
func sniffUpload(head []byte) string {
	var magic string
	switch {
	case bytes.HasPrefix(head, []byte("%PDF-")):
		magic = TypePDF
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		magic = TypePNG
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		magic = TypeJPEG
	case len(head) >= 12 && bytes.Equal(head[:4], []byte("RIFF")) && bytes.Equal(head[8:12], []byte("WEBP")):
		magic = TypeWebP
	default:
		return ""
	}
	if ct, _, _ := strings.Cut(http.DetectContentType(head), ";"); ct != magic {
		return ""
	}
	return magic
}

// CleanUploadName turns an untrusted file name into a display name: no
// directories, no control or path characters, at most 100 characters,
// and the extension of the sniffed type.
func CleanUploadName(name, contentType string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = filepath.Base("/" + name)
	name = strings.Map(func(r rune) rune {
		switch {
		case unicode.IsControl(r), strings.ContainsRune(`/\:*?"<>|%`, r):
			return -1
		case unicode.IsSpace(r):
			return ' '
		}
		return r
	}, name)
	name = strings.TrimSuffix(name, filepath.Ext(name))
	name = strings.Trim(name, ". ")
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	if name == "" {
		name = "file"
	}
	return name + uploadExt[contentType]
}

// pathSafeName is name with only URL-harmless characters.
func pathSafeName(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r) || r == '.' || r == '-' || r == '_') {
			return r
		}
		return '_'
	}, name)
}

// SaveUpload stores a file sent by a moderator for a space (banners,
// documents, workshop sheets). The content is streamed to a temporary
// file under the data directory, refused when over MaxUploadSize or when
// its sniffed type is not PDF, PNG, JPEG or WebP. Images are then copied
// without their metadata (imagemeta: GPS position, camera serial, dates,
// names), losslessly, and refused when malformed; PDFs are kept as sent,
// since what a document meant for publication says about itself is its
// author's choice. The stored file gets a random name, and the recorded
// size and SHA-256 are those of the stored bytes. On refusal nothing
// remains, on disk or in the database.
func (s *Store) SaveUpload(ctx context.Context, by *Account, spaceID int64, name string, r io.Reader) (*Upload, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	u, err := s.receiveAndStore(r, name, documentRule)
	if err != nil {
		return nil, err
	}
	u.SpaceID, u.AccountID = spaceID, &by.ID
	if _, err := s.DB.NewInsert().Model(u).Exec(ctx); err != nil {
		s.removeUploadFile(u.Key)
		return nil, dbErr("insert upload", err)
	}
	return u, nil
}

// receiveAndStore receives r under rule, strips an image's metadata and
// moves the result to its place under a new key. It returns the upload's
// record, not yet inserted; the caller removes the file
// (removeUploadFile) when it cannot insert it. On refusal nothing
// remains on disk.
func (s *Store) receiveAndStore(r io.Reader, name string, rule uploadRule) (*Upload, error) {
	tmpDir, err := s.uploadTmpDir()
	if err != nil {
		return nil, err
	}
	sent, ct, err := receiveUpload(tmpDir, r, rule)
	if err != nil {
		return nil, err
	}
	defer sent.remove()
	stored := sent
	if strip := stripMetadata[ct]; strip != nil {
		stored, err = stripUpload(tmpDir, sent.f, sent.n, strip)
		if errors.Is(err, imagemeta.ErrMalformed) {
			return nil, Invalid("file", "The image is damaged or incomplete.")
		} else if err != nil {
			return nil, err
		}
		defer stored.remove()
	}
	if err := stored.f.Sync(); err != nil {
		return nil, fmt.Errorf("write upload: %w", err)
	}
	u := &Upload{Key: newUploadKey(), ContentType: ct, Size: stored.n,
		Name: CleanUploadName(name, ct), SHA256: hex.EncodeToString(stored.h.Sum(nil)), CreatedAt: s.Now()}
	final, err := s.uploadPath(u.Key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(final), 0o750); err != nil {
		return nil, fmt.Errorf("save upload: %w", err)
	}
	if err := stored.moveTo(final); err != nil {
		return nil, fmt.Errorf("save upload: %w", err)
	}
	return u, nil
}

// removeUploadFile deletes the stored file of key, if any.
func (s *Store) removeUploadFile(key string) {
	if p, err := s.uploadPath(key); err == nil {
		os.Remove(p)
	}
}

// UploadByID loads an upload's record.
func (s *Store) UploadByID(ctx context.Context, id int64) (*Upload, error) {
	u := new(Upload)
	err := s.DB.NewSelect().Model(u).Where("id = ?", id).Scan(ctx)
	return u, dbErr("upload by id", err)
}

// attachUploads loads in one query the uploads that items point to (id
// returns nil for none) and hands each item its upload with set. An
// upload that no longer exists leaves the item without one.
func attachUploads[T any](ctx context.Context, s *Store, items []T, id func(T) *int64, set func(T, *Upload)) error {
	var ids []int64
	for _, it := range items {
		if p := id(it); p != nil {
			ids = append(ids, *p)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var ups []*Upload
	if err := s.DB.NewSelect().Model(&ups).Where("id IN (?)", bun.In(ids)).Scan(ctx); err != nil {
		return dbErr("uploads", err)
	}
	byID := make(map[int64]*Upload, len(ups))
	for _, u := range ups {
		byID[u.ID] = u
	}
	for _, it := range items {
		if p := id(it); p != nil && byID[*p] != nil {
			set(it, byID[*p])
		}
	}
	return nil
}

// OpenUpload returns an upload's record and its content; the caller
// closes the file. Keys that are not 32 hex digits are not found, so no
// path can be smuggled in.
func (s *Store) OpenUpload(ctx context.Context, key string) (*Upload, *os.File, error) {
	p, err := s.uploadPath(key)
	if err != nil {
		return nil, nil, err
	}
	u := new(Upload)
	if err := s.DB.NewSelect().Model(u).Where("key = ?", key).Scan(ctx); err != nil {
		return nil, nil, dbErr("upload by key", err)
	}
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open upload: %w", err)
	}
	return u, f, nil
}

// checkUpload makes sure an upload referenced by a document or workshop
// contribution belongs to the space.
func checkUpload(ctx context.Context, tx bun.IDB, spaceID int64, id *int64, field string) error {
	if id == nil {
		return nil
	}
	var found []int64
	err := lockUpload(tx, tx.NewSelect().Model((*Upload)(nil)).Column("id").Where("id = ? AND space_id = ?", *id, spaceID)).Scan(ctx, &found)
	if err != nil {
		return dbErr("check upload", err)
	}
	if len(found) == 0 {
		return Invalid(field, "This file was not uploaded to this space.")
	}
	return nil
}

// lockUpload makes q, reading the upload a transaction is about to
// point to, lock its row until the commit on PostgreSQL (FOR SHARE):
// PurgeUploads and DiscardUpload, which delete an unattached upload only
// once they hold its row (FOR UPDATE), then skip it, and an attach that
// comes after their delete finds no row and is refused. Without it, a
// purge under READ COMMITTED does not see the attach not yet committed
// and deletes the upload it is about to show. SQLite runs one write
// transaction at a time (BEGIN IMMEDIATE): nothing to lock.
func lockUpload(tx bun.IDB, q *bun.SelectQuery) *bun.SelectQuery {
	if tx.Dialect().Name() == dialect.PG {
		q = q.For("SHARE")
	}
	return q
}

// SizeKB is the size in kilobytes, rounded up, for display.
func (u *Upload) SizeKB() int64 { return (u.Size + 1023) / 1024 }
