package web

import (
	"errors"
	"slices"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestRemerge: without If-Match a write refused for an edit conflict is
// merged again onto a fresh read, at most maxMerges times; with If-Match,
// never; other errors end it at once.
func TestRemerge(t *testing.T) {
	other := errors.New("other")
	cases := []struct {
		name      string
		want      int64
		results   []error // of the successive writes
		rereadErr error
		writes    []int64 // the IfVersion of each write
		err       error
	}{
		{"applies at once", 0, []error{nil}, nil, []int64{5}, nil},
		{"merged again after a conflict", 0, []error{models.ErrEditConflict, nil}, nil, []int64{5, 6}, nil},
		{"the last try is written whatever the version", 0, []error{models.ErrEditConflict, models.ErrEditConflict, nil}, nil, []int64{5, 6, 0}, nil},
		{"If-Match: no second try", 5, []error{models.ErrEditConflict}, nil, []int64{5}, models.ErrEditConflict},
		{"If-Match names its version", 3, []error{models.ErrEditConflict}, nil, []int64{3}, models.ErrEditConflict},
		{"other error ends it", 0, []error{other}, nil, []int64{5}, other},
		{"reread fails", 0, []error{models.ErrEditConflict}, models.ErrNotFound, []int64{5}, models.ErrNotFound},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			version := int64(5)
			var writes []int64
			err := remerge(tc.want, version, func() (int64, error) {
				version++
				return version, tc.rereadErr
			}, func(ifVersion int64) error {
				writes = append(writes, ifVersion)
				return tc.results[len(writes)-1]
			})
			if !errors.Is(err, tc.err) && err != tc.err {
				t.Errorf("err %v, want %v", err, tc.err)
			}
			if !slices.Equal(writes, tc.writes) {
				t.Errorf("writes at versions %v, want %v", writes, tc.writes)
			}
		})
	}
}
