package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

// The API's optimistic concurrency control (RFC 9110 §8.8.3, §13.1.1):
// the GET of an editable resource and its PATCH's answer carry a strong
// ETag, its edit version ("3"); a PATCH sent with If-Match is applied only
// if the resource is still at that version, atomically in models (the
// IfVersion of the inputs), and is refused with 412 otherwise. Without
// If-Match a PATCH is merged onto the resource as it is when written
// (remerge). docs/API.md, "Concurrent edits".

// etag is the strong entity tag of version v of an editable resource.
func etag(v int64) string { return `"` + strconv.FormatInt(v, 10) + `"` }

// setETag sends the entity tag of version v.
func setETag(w http.ResponseWriter, v int64) { w.Header().Set("ETag", etag(v)) }

// noVersion is an IfVersion that is never a resource's version (they
// start at 1): an If-Match naming an entity tag that is not one of ours
// matches nothing.
const noVersion = -1

// ifMatch is the version r's If-Match names, as models' IfVersion: 0
// (any) without If-Match or with "*" (a missing resource answers 404
// first, as RFC 9110 §13.2.1 has preconditions ignored then), noVersion
// for a tag that cannot be current. A list of several of our tags is
// refused (422): one version is checked atomically with the edit.
//
// A weak tag of ours (W/"3") names version 3 like the strong one. RFC
// 9110 §13.1.1 has If-Match compare strongly, so that a byte-exact
// representation is edited; but our tag names the edit version, not the
// bytes, and the one that is weak was made so on the way: a proxy that
// compresses the small answers odn leaves plain (nginx's gzip, under
// odn's 1 KB) turns "3" into W/"3", and a strict comparison would then
// refuse every edit with 412 behind it. The version, checked in the
// write's transaction, is the same either way.
func ifMatch(r *http.Request) (int64, error) {
	values := r.Header.Values("If-Match")
	if len(values) == 0 {
		return 0, nil
	}
	var tags []string
	for _, v := range values {
		for _, t := range strings.Split(v, ",") {
			if t = strings.TrimSpace(t); t != "" {
				tags = append(tags, t)
			}
		}
	}
	if len(tags) == 1 && tags[0] == "*" {
		return 0, nil
	}
	want := int64(noVersion)
	for _, t := range tags {
		t = strings.TrimPrefix(t, "W/")
		n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(t, `"`), `"`), 10, 64)
		if !strings.HasPrefix(t, `"`) || !strings.HasSuffix(t, `"`) || len(t) < 3 || err != nil || n < 1 {
			continue // another server's, or not an entity tag
		}
		if want != noVersion && want != n {
			return 0, models.Invalid("If-Match", "names several versions: send the one ETag the resource was read with")
		}
		want = n
	}
	return want, nil
}

// maxMerges bounds how many times remerge merges one PATCH: each try
// after the first means another edit of the same resource landed within
// the few milliseconds between a read and its write.
const maxMerges = 3

// remerge merges a PATCH's body onto a resource and writes it: write
// merges the body onto the resource as the handler last read it (at
// version read) and saves it with the IfVersion given. With If-Match
// (want), the write is made from that version and refused with
// models.ErrEditConflict (412) when it is not current. Without, it is made
// from the version read, so that the fields the PATCH does not name keep
// their current values: when another edit lands between the read and the
// write, the write is refused, reread fetches the resource again (into
// the handler's variables) and the body is merged onto it, instead of
// writing the older values back over the other edit (a lost update). The
// last try is written whatever the version, onto its fresh read: a PATCH
// without If-Match has no precondition to fail (RFC 9110 keeps 412 for
// one that was sent), and three edits landing within its milliseconds
// are all but impossible.
func remerge(want, read int64, reread func() (int64, error), write func(ifVersion int64) error) error {
	for try := 1; ; try++ {
		if try > 1 {
			var err error
			if read, err = reread(); err != nil {
				return err
			}
		}
		v := read
		switch {
		case want != 0:
			v = want
		case try == maxMerges:
			v = 0
		}
		err := write(v)
		if want != 0 || try == maxMerges || !errors.Is(err, models.ErrEditConflict) {
			return err
		}
	}
}
