package models

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"
)

// Document kinds of a consultation.
const (
	DocSheet = "sheet" // an information sheet: a rich page (Markdown)
	DocFile  = "file"  // an attached file (PDF or image) with a title
	DocFAQ   = "faq"   // a question (Title) and its answer (Body)
)

// Limits of document fields.
const (
	MaxDocumentTitle = 200
	MaxDocumentBody  = 100000
	maxDocuments     = 200
)

// Document is an information sheet, attached file or FAQ entry of a
// consultation. Bodies are Markdown, rendered and sanitised at write time.
type Document struct {
	bun.BaseModel  `bun:"table:consultation_documents"`
	ID             int64     `bun:",pk,autoincrement" json:"id"`
	ConsultationID int64     `bun:",notnull" json:"-"`
	Kind           string    `bun:",notnull" json:"kind"`
	Title          string    `bun:",notnull" json:"title"`
	Body           string    `bun:",notnull" json:"body"`
	BodyHTML       string    `bun:"body_html,notnull" json:"body_html"`
	UploadID       *int64    `bun:",nullzero" json:"-"`
	Position       int       `bun:",notnull" json:"position"`
	CreatedAt      time.Time `bun:",notnull" json:"created_at"`
	UpdatedAt      time.Time `bun:",notnull" json:"updated_at"`

	Upload *Upload `bun:"-" json:"file,omitempty"`
}

// DocumentInput is what a moderator fills in for a document.
type DocumentInput struct {
	Kind     string `json:"kind"`
	Title    string `json:"title"`
	Body     string `json:"body"`
	UploadID *int64 `json:"upload_id"`
	Position int    `json:"position"`
}

// Validate checks in as AddDocument does, for a form that joins these
// problems to its own (ValidationError.Join).
func (in *DocumentInput) Validate() error { return in.validate() }

func (in *DocumentInput) validate() error {
	v := &ValidationError{}
	in.Title = strings.TrimSpace(in.Title)
	if n := utf8.RuneCountInString(in.Title); n < 2 || n > MaxDocumentTitle {
		v.Add("title", fmt.Sprintf("must have 2 to %d characters", MaxDocumentTitle))
	}
	if utf8.RuneCountInString(in.Body) > MaxDocumentBody {
		v.Add("body", fmt.Sprintf("must have at most %d characters", MaxDocumentBody))
	}
	if in.UploadID != nil && *in.UploadID == 0 {
		in.UploadID = nil
	}
	switch in.Kind {
	case DocSheet:
		if strings.TrimSpace(in.Body) == "" {
			v.Add("body", "An information sheet needs a text.")
		}
		in.UploadID = nil
	case DocFAQ:
		if strings.TrimSpace(in.Body) == "" {
			v.Add("body", "A question needs its answer.")
		}
		in.UploadID = nil
	case DocFile:
		if in.UploadID == nil {
			v.Add("file", "Choose a file to attach.")
		}
	default:
		v.Add("kind", "must be sheet, file or faq")
	}
	return v.Err()
}

// AddDocument adds an information sheet, a file or a FAQ entry to a
// consultation; moderators only.
func (s *Store) AddDocument(ctx context.Context, by *Account, consultationID int64, in DocumentInput) (*Document, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	c, err := s.ConsultationByID(ctx, consultationID)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	d := &Document{ConsultationID: c.ID, Kind: in.Kind, Title: in.Title, Body: in.Body, BodyHTML: RenderMarkdown(in.Body),
		UploadID: in.UploadID, Position: in.Position, CreatedAt: now, UpdatedAt: now}
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkUpload(ctx, tx, c.SpaceID, in.UploadID, "file"); err != nil {
			return err
		}
		n, err := tx.NewSelect().Model((*Document)(nil)).Where("consultation_id = ?", c.ID).Count(ctx)
		if err != nil {
			return dbErr("count documents", err)
		}
		if n >= maxDocuments {
			return Invalid("title", fmt.Sprintf("A consultation has at most %d documents.", maxDocuments))
		}
		if _, err := tx.NewInsert().Model(d).Exec(ctx); err != nil {
			return dbErr("insert document", err)
		}
		return s.audit(ctx, tx, by, "add_document", "consultation", strconv.FormatInt(c.ID, 10), d.Kind+": "+d.Title)
	})
	if err != nil {
		return nil, err
	}
	return d, s.attachDocUploads(ctx, []*Document{d})
}

// UpdateDocument edits a document (its kind stays); moderators only.
func (s *Store) UpdateDocument(ctx context.Context, by *Account, id int64, in DocumentInput) (*Document, error) {
	if !by.IsModerator() {
		return nil, ErrForbidden
	}
	d, err := s.DocumentByID(ctx, id)
	if err != nil {
		return nil, err
	}
	in.Kind = d.Kind
	if in.Kind == DocFile && in.UploadID == nil {
		in.UploadID = d.UploadID
	}
	if err := in.validate(); err != nil {
		return nil, err
	}
	c, err := s.ConsultationByID(ctx, d.ConsultationID)
	if err != nil {
		return nil, err
	}
	d.Title, d.Body, d.BodyHTML, d.UploadID, d.Position, d.UpdatedAt = in.Title, in.Body, RenderMarkdown(in.Body), in.UploadID, in.Position, s.Now()
	err = s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if err := checkUpload(ctx, tx, c.SpaceID, in.UploadID, "file"); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(d).WherePK().Exec(ctx); err != nil {
			return dbErr("update document", err)
		}
		return s.audit(ctx, tx, by, "update_document", "consultation", strconv.FormatInt(c.ID, 10), d.Kind+": "+d.Title)
	})
	if err != nil {
		return nil, err
	}
	return d, s.attachDocUploads(ctx, []*Document{d})
}

// DeleteDocument removes a document. Its file stays while another row
// (a banner, a sheet) points to it; otherwise the hourly PurgeUploads
// removes it once older than UploadGrace.
func (s *Store) DeleteDocument(ctx context.Context, by *Account, id int64) error {
	if !by.IsModerator() {
		return ErrForbidden
	}
	d, err := s.DocumentByID(ctx, id)
	if err != nil {
		return err
	}
	return s.Tx(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model(d).WherePK().Exec(ctx); err != nil {
			return dbErr("delete document", err)
		}
		return s.audit(ctx, tx, by, "delete_document", "consultation", strconv.FormatInt(d.ConsultationID, 10), d.Kind+": "+d.Title)
	})
}

// DocumentByID loads a document with its file.
func (s *Store) DocumentByID(ctx context.Context, id int64) (*Document, error) {
	d := new(Document)
	if err := s.DB.NewSelect().Model(d).Where("id = ?", id).Scan(ctx); err != nil {
		return nil, dbErr("document by id", err)
	}
	return d, s.attachDocUploads(ctx, []*Document{d})
}

// Documents lists a consultation's documents of one kind ("" for all) in
// display order, with their files.
func (s *Store) Documents(ctx context.Context, consultationID int64, kind string) ([]*Document, error) {
	var out []*Document
	q := s.DB.NewSelect().Model(&out).Where("consultation_id = ?", consultationID).Order("kind", "position", "id")
	if kind != "" {
		q = q.Where("kind = ?", kind)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, dbErr("documents", err)
	}
	return out, s.attachDocUploads(ctx, out)
}

func (s *Store) attachDocUploads(ctx context.Context, docs []*Document) error {
	return attachUploads(ctx, s, docs, func(d *Document) *int64 { return d.UploadID }, func(d *Document, u *Upload) { d.Upload = u })
}
