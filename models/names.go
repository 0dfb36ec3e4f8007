package models

import (
	"context"
	"regexp"

	"github.com/uptrace/bun"
)

var nameRE = regexp.MustCompile(`^[a-z0-9_]{1,30}$`)

// reservedNames can never be taken by a user or a space: they collide with
// routes, well-known actor names or invite impersonation.
var reservedNames = map[string]bool{
	"admin": true, "administrator": true, "root": true, "system": true, "odn": true,
	"instance": true, "actor": true, "api": true, "inbox": true, "outbox": true,
	"users": true, "user": true, "spaces": true, "space": true, "login": true,
	"logout": true, "signup": true, "settings": true, "static": true, "about": true,
	"moderator": true, "moderation": true, "support": true, "help": true, "www": true,
	"mail": true, "postmaster": true, "webmaster": true, "abuse": true, "security": true,
	"null": true, "undefined": true, "me": true, "well_known": true, "nodeinfo": true,
	"notifications": true, "search": true, "feeds": true, "healthz": true, "readyz": true, "metrics": true,
}

// ValidateName checks a user or space name: lowercase [a-z0-9_]{1,30}, not
// reserved. It returns a *ValidationError for field.
func ValidateName(field, name string) error {
	switch {
	case !nameRE.MatchString(name):
		return Invalid(field, "must be 1 to 30 characters among a-z, 0-9 and _")
	case reservedNames[name]:
		return Invalid(field, "this name is reserved")
	}
	return nil
}

// claimHandle takes name in the shared acct: namespace inside tx; a
// duplicate, whoever holds the name, is a *ValidationError for field, the
// input that carried the name ("username" for an account, "name" for a
// space), so that a form marks that field.
func claimHandle(ctx context.Context, tx bun.IDB, field, name, kind string) error {
	_, err := tx.NewInsert().Model(&handle{Name: name, Kind: kind}).Exec(ctx)
	if isUniqueViolation(err) {
		return Invalid(field, "this name is already taken")
	}
	return dbErr("claim name", err)
}

type handle struct {
	bun.BaseModel `bun:"table:handles"`
	Name          string `bun:",pk"`
	Kind          string
}

// NameTaken reports whether a user or space already holds name.
func (s *Store) NameTaken(ctx context.Context, name string) (bool, error) {
	n, err := s.DB.NewSelect().Model((*handle)(nil)).Where("name = ?", name).Count(ctx)
	return n > 0, dbErr("name taken", err)
}
