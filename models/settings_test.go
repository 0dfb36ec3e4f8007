package models_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// TestSetSettingUnknownKey: SetSetting refuses keys odn never reads.
func TestSetSettingUnknownKey(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, s *models.Store) {
		ctx := context.Background()
		err := s.SetSetting(ctx, nil, "registraton", "closed")
		if err == nil || !strings.Contains(err.Error(), "registration, instance_name, rules") {
			t.Fatalf("err = %v", err)
		}
		if v, _ := s.Setting(ctx, "registraton", "none"); v != "none" {
			t.Fatalf("stored anyway: %q", v)
		}
		if err := s.SetSetting(ctx, nil, models.SettingRules, "Be kind."); err != nil {
			t.Fatal(err)
		}
	})
}
