package web_test

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models/imagemeta/imagemetatest"
)

// TestRefusedUploadsLeaveNothing: a file sent with a document, a banner
// or a workshop sheet that is then refused (another field wrong, a PDF
// as banner, a workshop held before the consultation opened), on the
// page or through the API, is not kept: no record, no stored file, no
// /media/ address. They were stored before the refusal and stayed,
// attached to nothing. An accepted document keeps its file.
func TestRefusedUploadsLeaveNothing(t *testing.T) {
	for _, dialect := range []string{"sqlite", "postgres"} {
		t.Run(dialect, func(t *testing.T) {
			cw := newConsWeb(t, dialect)
			dir := t.TempDir()
			cw.Store.SetDataDir(dir)
			cw.day(15) // contribution: workshops may be recorded
			mod := cw.loggedIn("modo")
			cons := "/consultations/" + cw.id
			api := "/api/v1" + cons
			png := imagemetatest.PNG()
			page := func(path string, fields map[string]string, field, name string, data []byte) func() int {
				return func() int {
					ct, body := multipartForm(t, fields, field, name, data)
					return cw.postMultipart(mod, path, ct, body).StatusCode
				}
			}
			viaAPI := func(path string, fields map[string]string, file multipartFile) func() int {
				return func() int {
					return cw.api("POST", path, cw.modTok, multipartBody{fields: fields, file: file}, nil).StatusCode
				}
			}
			for _, tc := range []struct {
				name   string
				send   func() int
				status int
				stored int // uploads recorded and on disk afterwards
			}{
				{"page document with a short title", page(cons+"/documents", map[string]string{"kind": "file", "title": "x"}, "file", "plan.pdf", tinyPDF), 422, 0},
				{"API document with a short title", viaAPI(api+"/documents", map[string]string{"kind": "file", "title": "x"}, multipartFile{"file", "plan.pdf", tinyPDF}), 422, 0},
				{"page banner that is a PDF", page(cons+"/banner", map[string]string{"banner_alt": "The square"}, "banner", "plan.pdf", tinyPDF), 422, 0},
				{"API banner that is a PDF", viaAPI(api+"/banner", map[string]string{"banner_alt": "The square"}, multipartFile{"banner", "plan.pdf", tinyPDF}), 422, 0},
				{"page workshop held before the opening", page(cons+"/workshop", map[string]string{"title": "Evening meeting", "body": "We met.",
					"place": "School", "participants": "12", "held_at": cw.t0.Add(-48 * time.Hour).Format("2006-01-02T15:04")}, "sheet", "sheet.png", png), 422, 0},
				{"API document accepted", viaAPI(api+"/documents", map[string]string{"kind": "file", "title": "Plan"}, multipartFile{"file", "plan.pdf", tinyPDF}), 201, 1},
			} {
				t.Run(tc.name, func(t *testing.T) {
					if got := tc.send(); got != tc.status {
						t.Fatalf("status %d, want %d", got, tc.status)
					}
					var records int
					if err := cw.Store.DB.NewRaw("SELECT count(*) FROM uploads").Scan(context.Background(), &records); err != nil {
						t.Fatal(err)
					}
					var files []string
					filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
						if err == nil && d.Type().IsRegular() {
							files = append(files, p)
						}
						return nil
					})
					if records != tc.stored || len(files) != tc.stored {
						t.Errorf("%d uploads recorded, files %v; want %d", records, files, tc.stored)
					}
				})
			}
		})
	}
}
