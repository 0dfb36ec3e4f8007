package models_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

func TestAccountExport(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		data, err := d.s.AccountExport(ctx, d.users["bob"])
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		got := string(raw)
		want := map[string]int{"accounts": 1, "actors": 1, "supports": 1, "signatures": 1, "debate_votes": 1, "debate_ballots": 1}
		for table, n := range want {
			if len(data.Tables[table]) != n {
				t.Errorf("%s: %d rows, want %d: %v", table, len(data.Tables[table]), n, data.Tables[table])
			}
		}
		if _, ok := data.Tables["sessions"]; ok {
			t.Error("bob has no session, yet sessions are listed")
		}
		for _, must := range []string{"bob@mail.example", "receipt", "https://town.example/actors/bob"} {
			if !strings.Contains(got, must) {
				t.Errorf("own data lacks %q", must)
			}
		}
		for _, never := range []string{"$argon2id", "PRIVATE KEY", "ann@mail.example", "cyd@mail.example", "password_hash", "ballot_secret"} {
			if strings.Contains(got, never) {
				t.Errorf("download contains %q", never)
			}
		}

		// A session shows its metadata, never its secret.
		secret, err := d.s.CreateSession(ctx, d.users["ann"], "TestBrowser/1.0")
		if err != nil {
			t.Fatal(err)
		}
		data, err = d.s.AccountExport(ctx, d.users["ann"])
		if err != nil {
			t.Fatal(err)
		}
		raw, _ = json.Marshal(data)
		if !strings.Contains(string(raw), "TestBrowser/1.0") || strings.Contains(string(raw), secret) {
			t.Errorf("sessions: %v", data.Tables["sessions"])
		}
		if len(data.Tables["proposals"]) != 3 || len(data.Tables["comments"]) != 0 || len(data.Tables["petitions"]) != 1 {
			t.Errorf("ann's writings: %d proposals, %d comments, %d petitions", len(data.Tables["proposals"]), len(data.Tables["comments"]), len(data.Tables["petitions"]))
		}
		if _, err := d.s.AccountExport(ctx, nil); err == nil {
			t.Error("nil account exported")
		}
		_ = models.ErrUnauthorized
	})
}
