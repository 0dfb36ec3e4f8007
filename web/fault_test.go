package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
	"github.com/opendemocracynow/odn/web"
)

// serveOn starts a web door over an existing SQLite file, opened with
// extra pragmas that make it misbehave the way a real server can.
func serveOn(t *testing.T, dsn, pragma string) (*models.Store, string) {
	t.Helper()
	st, err := models.Open(context.Background(), dsn+"?_pragma="+url.QueryEscape(pragma), models.WithFastPasswordHashing(), models.WithKeyGenerator(dbtest.KeyGen()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := web.New(web.Options{Store: st, BaseURL: "http://localhost"})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return st, ts.URL
}

// TestStorageFaultsAnswer503 checks that a read-only database and a full
// disk give clear, retryable 503s on pages and the API, that reading
// still works, and that nothing is corrupted.
func TestStorageFaultsAnswer503(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ name, pragma string }{
		{"read-only", "query_only(1)"},
		{"disk full", "max_page_count(1)"}, // clamped to the current size: no page may be added
	} {
		t.Run(tc.name, func(t *testing.T) {
			dsn := dbtest.SQLiteDSN(t)
			good, err := models.Open(ctx, dsn, models.WithFastPasswordHashing(), models.WithKeyGenerator(dbtest.KeyGen()))
			if err != nil {
				t.Fatal(err)
			}
			defer good.Close()
			if err := good.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			admin, err := good.CreateAccount(ctx, models.NewAccount{Username: "boss", Password: testPassword, Role: models.RoleAdmin})
			if err != nil {
				t.Fatal(err)
			}
			tok, _ := good.CreateToken(ctx, admin, "t")
			if _, err := good.CreateSpace(ctx, admin, models.SpaceInput{Name: "town", Kind: models.KindCity}); err != nil {
				t.Fatal(err)
			}

			_, base := serveOn(t, dsn, tc.pragma)
			// Reading still works.
			if res, err := http.Get(base + "/api/v1/spaces/town"); err != nil || res.StatusCode != 200 {
				t.Fatalf("read: %v %v", err, res)
			}
			// Writes: the API and a form answer 503 with Retry-After.
			body := `{"name":"village","kind":"collective","description":"` + strings.Repeat("long text ", 900) + `"}`
			req, _ := http.NewRequest("POST", base+"/api/v1/spaces", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Retry-After") == "" {
				t.Fatalf("API write: %d (Retry-After %q), want 503", res.StatusCode, res.Header.Get("Retry-After"))
			}
			form := url.Values{"username": {"newbie"}, "password": {testPassword}, "password_confirm": {testPassword}}
			freq, _ := http.NewRequest("POST", base+"/signup", strings.NewReader(form.Encode()))
			freq.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			fres, err := http.DefaultClient.Do(freq)
			if err != nil {
				t.Fatal(err)
			}
			fres.Body.Close()
			if fres.StatusCode != http.StatusServiceUnavailable {
				t.Fatalf("sign-up form: %d, want 503", fres.StatusCode)
			}
			// Nothing half-written, and the database is sound.
			if _, err := good.SpaceByName(ctx, "village"); err == nil {
				t.Fatal("a refused write left a space behind")
			}
			if _, err := good.AccountByUsername(ctx, "newbie"); err == nil {
				t.Fatal("a refused write left an account behind")
			}
			var check string
			if err := good.DB.NewRaw("PRAGMA integrity_check").Scan(ctx, &check); err != nil || check != "ok" {
				t.Fatalf("integrity_check: %q %v", check, err)
			}
			if _, err := good.CreateSpace(ctx, admin, models.SpaceInput{Name: "village", Kind: models.KindCollective}); err != nil {
				t.Fatalf("the healthy store cannot write after the fault: %v", err)
			}
		})
	}
}
