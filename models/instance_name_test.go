package models_test

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestInstanceName: one display name for pages, the API and NodeInfo —
// the setting, else odn serve --instance-name, else the host — and a
// change through SetSetting shows at once.
func TestInstanceName(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, flag, before, setting, want string
	}{
		{"host", "", "town.example", "", "town.example"},
		{"flag", "Ville de Lyon", "Ville de Lyon", "", "Ville de Lyon"},
		{"setting wins", "Ville de Lyon", "Ville de Lyon", "Lyon participe", "Lyon participe"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := dbtest.Open(t, "sqlite", models.WithBaseURL("https://town.example"), models.WithInstanceName(tc.flag))
			if got := s.InstanceName(ctx); got != tc.before {
				t.Fatalf("before the setting: %q", got)
			}
			if tc.setting != "" {
				if err := s.SetSetting(ctx, nil, models.SettingInstanceName, tc.setting); err != nil {
					t.Fatal(err)
				}
			}
			if got := s.InstanceName(ctx); got != tc.want {
				t.Fatalf("InstanceName = %q, want %q", got, tc.want)
			}
		})
	}
}
