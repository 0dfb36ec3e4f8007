package models

import (
	"context"
	"regexp"
	"slices"
	"testing"
	"time"
)

// TestUploadRefsCoverSchema: every column that may point to an upload
// (a file, image, banner, sheet, avatar… id) is in uploadRefs, or listed
// here as not one; otherwise PurgeUploads would take the uploads it
// points to for unattached and delete them. A migration adding, say,
// news.image_id fails this test until uploadRefs knows it.
func TestUploadRefsCoverSchema(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s := migratedSQLite(ctx, t)
	schema, err := schemaOf(ctx, s.DB, s.Dialect)
	if err != nil {
		t.Fatal(err)
	}
	notUploads := map[string]string{} // table.column: why
	looksLikeUpload := regexp.MustCompile(`(upload|file|image|banner|sheet|avatar|icon|picture|photo|attachment|media|logo|document|doc)_id$`)
	found := 0
	for table, cols := range schema {
		for _, c := range cols {
			if !looksLikeUpload.MatchString(c.Name) || notUploads[table+"."+c.Name] != "" {
				continue
			}
			found++
			if !slices.ContainsFunc(uploadRefs, func(r struct{ table, column string }) bool { return r.table == table && r.column == c.Name }) {
				t.Errorf("%s.%s looks like it points to an upload, but uploadRefs (upload_sweep.go) does not have it", table, c.Name)
			}
		}
	}
	for _, r := range uploadRefs {
		if !slices.ContainsFunc(schema[r.table], func(c column) bool { return c.Name == r.column }) {
			t.Errorf("uploadRefs has %s.%s, which the schema does not", r.table, r.column)
		}
	}
	if found < len(uploadRefs) {
		t.Errorf("found %d upload columns, want at least %d", found, len(uploadRefs))
	}
}
