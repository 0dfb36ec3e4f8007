package models_test

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// demoCounts counts what the demo seed makes in the space ville.
func demoCounts(t *testing.T, s *models.Store) map[string]int {
	t.Helper()
	ctx := context.Background()
	sp, err := s.SpaceByName(ctx, "ville")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, table := range []string{"consultations", "debates", "petitions", "proposals"} {
		n, err := s.DB.NewSelect().TableExpr(table).Where("space_id = ?", sp.ID).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		out[table] = int(n)
	}
	n, err := s.DB.NewSelect().TableExpr("accounts").Count(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out["accounts"] = int(n)
	return out
}

// TestSeedDemoResumes: a first `serve --demo` stopped after creating some
// accounts (or the space) is finished by the next start, which used to
// fail for ever with "name already taken"; later starts add nothing.
func TestSeedDemoResumes(t *testing.T) {
	dbtest.Each(t, func(t *testing.T, full *models.Store) {
		ctx := context.Background()
		if err := full.SeedDemo(ctx); err != nil {
			t.Fatal(err)
		}
		want := demoCounts(t, full)
		for _, stage := range []string{"accounts", "space"} {
			t.Run(stage, func(t *testing.T) {
				s := dbtest.Open(t, string(full.Dialect), models.WithFastPasswordHashing())
				for n, role := range map[string]string{"camille": models.RoleAdmin, "sacha": models.RoleModerator, "maire": models.RoleMember} {
					if _, err := s.CreateAccount(ctx, models.NewAccount{Username: n, Password: models.DemoPassword, Role: role, Email: n + "@example.org"}); err != nil {
						t.Fatal(err)
					}
				}
				if stage == "space" {
					if _, err := s.CreateSpace(ctx, nil, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Ville", Policy: models.PolicyOpen}); err != nil {
						t.Fatal(err)
					}
				}
				for i := range 2 {
					if err := s.SeedDemo(ctx); err != nil {
						t.Fatalf("seed %d after a partial seed: %v", i+1, err)
					}
					got := demoCounts(t, s)
					for k, v := range want {
						if got[k] != v {
							t.Errorf("seed %d: %s = %d, want %d", i+1, k, got[k], v)
						}
					}
				}
			})
		}
	}, models.WithFastPasswordHashing())
}
