package models

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
)

// ErrEditConflict refuses an edit made from a version of the thing (its
// Version, or a petition's ResponseVersion) that is no longer the current
// one: someone else saved it meanwhile, and saving this edit would
// silently undo theirs. Nothing is changed; the editor reads the current
// version and edits again. It is an ErrConflict, so a door that does not
// know it still refuses.
var ErrEditConflict = fmt.Errorf("%w: it was changed by someone else since this version was opened; open it again to see the changes", ErrConflict)

// checkVersion compares the version an edit was made from (want; 0
// accepts any, for clients that do not say) with the current one.
func checkVersion(current, want int64) error {
	if want != 0 && want != current {
		return &EditConflict{Current: current}
	}
	return nil
}

// EditConflict is the ErrEditConflict of one refused edit, with the
// thing's version when it was refused (Current), read under the same
// lock as the check: an edit form sends it back with the person's text,
// so that saving again, once they have seen the other change, applies.
type EditConflict struct{ Current int64 }

func (e *EditConflict) Error() string { return ErrEditConflict.Error() }

// Unwrap makes an *EditConflict an ErrEditConflict (and so an ErrConflict).
func (e *EditConflict) Unwrap() error { return ErrEditConflict }

// claimVersion reads the version column col of row id of table within
// tx, locking the row until the transaction ends (PostgreSQL; SQLite's
// immediate write transaction already excludes other writers), checks
// want against it (checkVersion), and returns the version the edit
// writes. The check and the write are thus one atomic step: a concurrent
// edit either committed before (and is seen) or waits for this one.
func claimVersion(ctx context.Context, tx bun.IDB, table, col string, id, want int64) (int64, error) {
	q := "SELECT " + col + " FROM " + table + " WHERE id = ?"
	if tx.Dialect().Name() == dialect.PG {
		q += " FOR NO KEY UPDATE"
	}
	var current int64
	if err := tx.NewRaw(q, id).Scan(ctx, &current); err != nil {
		return 0, dbErr("read version", err)
	}
	if err := checkVersion(current, want); err != nil {
		return 0, err
	}
	return current + 1, nil
}
