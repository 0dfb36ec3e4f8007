package models

import (
	"context"
	"time"

	"github.com/uptrace/bun"
)

// AuditEntry records a moderator or admin action, for accountability.
type AuditEntry struct {
	bun.BaseModel `bun:"table:audit_log"`
	ID            int64     `bun:",pk,autoincrement" json:"id"`
	AccountID     *int64    `bun:",nullzero" json:"account_id,omitempty"`
	Action        string    `bun:",notnull" json:"action"`
	TargetType    string    `bun:",notnull" json:"target_type"`
	TargetID      string    `bun:",notnull" json:"target_id"`
	Detail        string    `bun:",notnull" json:"detail"`
	CreatedAt     time.Time `bun:",notnull" json:"created_at"`
}

// audit appends to the audit log inside tx; by is nil for the system or
// the command line.
func (s *Store) audit(ctx context.Context, tx bun.IDB, by *Account, action, targetType, targetID, detail string) error {
	e := &AuditEntry{Action: action, TargetType: targetType, TargetID: targetID, Detail: detail, CreatedAt: s.Now()}
	if by != nil {
		e.AccountID = &by.ID
	}
	_, err := tx.NewInsert().Model(e).Exec(ctx)
	return dbErr("audit", err)
}

// AuditLog lists the newest audit entries first.
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	var out []AuditEntry
	err := s.DB.NewSelect().Model(&out).Order("id DESC").Limit(int64(clampLimit(limit))).Scan(ctx)
	return out, dbErr("audit log", err)
}

// clampLimit bounds page sizes to 1..100, defaulting to 20.
func clampLimit(n int) int {
	switch {
	case n <= 0:
		return 20
	case n > 100:
		return 100
	}
	return n
}
