package models

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Domain errors. Their messages are safe to show to users; each door maps
// them to its own status codes in one place.
var (
	ErrNotFound     = errors.New("not found")
	ErrDuplicate    = errors.New("already exists")
	ErrForbidden    = errors.New("not allowed")
	ErrClosed       = errors.New("closed")
	ErrUnauthorized = errors.New("authentication required")
	ErrConflict     = errors.New("conflict")
	// ErrNothingToWithdraw is ErrNotFound for a support or vote that its
	// member withdraws without having given it (or withdraws again).
	ErrNothingToWithdraw = fmt.Errorf("%w: there is nothing to withdraw", ErrNotFound)
	// ErrHiddenNotEditable refuses its author the edit of what moderators
	// hid (a proposal, a comment): its readers get 410, and a change
	// would go out unseen by moderation as an Update.
	ErrHiddenNotEditable = fmt.Errorf("%w: hidden by the moderators, it can no longer be edited", ErrForbidden)
)

// ValidationError reports which input fields are invalid and why. Messages
// are user-safe and written as message keys or plain English sentences.
type ValidationError struct {
	Fields map[string]string
}

// Error lists the field problems in a stable order.
func (e *ValidationError) Error() string {
	if e == nil || len(e.Fields) == 0 {
		return "invalid input"
	}
	parts := make([]string, 0, len(e.Fields))
	for _, k := range sortedKeys(e.Fields) {
		parts = append(parts, fmt.Sprintf("%s: %s", k, e.Fields[k]))
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// Add records a problem with field; the first problem per field wins.
func (e *ValidationError) Add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// Err returns e when it holds at least one problem, nil otherwise, so
// validators can end with `return v.Err()`.
func (e *ValidationError) Err() error {
	if e == nil || len(e.Fields) == 0 {
		return nil
	}
	return e
}

// Join adds the field problems of err, when it is a *ValidationError, to
// those of e (e's message stays first for a field) and returns e.Err();
// any other non-nil error is returned as it is. A form that found
// problems of its own (a date it could not read) joins those of the
// rules, so that it shows every field's problem at once, not one batch
// per try.
func (e *ValidationError) Join(err error) error {
	var ve *ValidationError
	switch {
	case err == nil:
	case errors.As(err, &ve):
		for _, k := range sortedKeys(ve.Fields) {
			e.Add(k, ve.Fields[k])
		}
	default:
		return err
	}
	return e.Err()
}

// Invalid builds a ValidationError for a single field.
func Invalid(field, msg string) error {
	v := &ValidationError{}
	v.Add(field, msg)
	return v
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
