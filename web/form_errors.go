package web

import "slices"

// summaryError is one line of a form's error summary (formErrors).
type summaryError struct {
	Field, Msg string
	Linked     bool // Field is on the form: the line names it and links to it
}

// summaryErrors orders errs as the form's fields; the errors of names not
// among fields follow, unlinked, in the order of their names. With no
// fields, every error is linked, in the order of their names.
func summaryErrors(errs map[string]string, fields []string) []summaryError {
	out := make([]summaryError, 0, len(errs))
	for _, f := range fields {
		if msg, ok := errs[f]; ok && !slices.ContainsFunc(out, func(e summaryError) bool { return e.Field == f }) {
			out = append(out, summaryError{Field: f, Msg: msg, Linked: true})
		}
	}
	for _, k := range sortedKeys(errs) {
		if !slices.Contains(fields, k) {
			out = append(out, summaryError{Field: k, Msg: errs[k], Linked: len(fields) == 0})
		}
	}
	return out
}
