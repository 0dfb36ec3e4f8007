package models

import (
	"context"
	"errors"
	"fmt"
	"strconv"
)

// DemoPassword is the password of every demo account, shown on the home
// page of a demo instance.
const DemoPassword = "demo-password"

// demoSeeders add content to the demo space, in order; each part of the
// civic core registers its own.
var demoSeeders []func(ctx context.Context, s *Store, d *Demo) error

// Demo holds what the demo seed created, for the seeders that follow.
type Demo struct {
	Admin, Moderator, Mayor *Account
	Citizens                []*Account
	Space                   *Space
}

// demoProgressKey is the settings row counting the demo seeders that
// finished (internal: not a setting an operator sets).
const demoProgressKey = "demo_seeded"

// SeedDemo fills an empty instance with a city space, accounts and content
// so a newcomer sees a living site. It is resumable: an interrupted seed
// (a first `serve --demo` stopped half-way) is finished by the next one,
// which reuses the accounts and space already there and runs only the
// content seeders that had not finished. Once done, restarting with --demo
// keeps the data and adds nothing.
func (s *Store) SeedDemo(ctx context.Context) error {
	done, err := s.demoProgress(ctx)
	if err != nil {
		return err
	}
	if done >= len(demoSeeders) {
		return nil
	}
	d := &Demo{}
	mk := func(name, role string) *Account {
		if err != nil {
			return nil
		}
		var a *Account
		if a, err = s.AccountByUsername(ctx, name); err == nil || !errors.Is(err, ErrNotFound) {
			return a
		}
		a, err = s.CreateAccount(ctx, NewAccount{Username: name, Password: DemoPassword, Role: role, Email: name + "@example.org"})
		return a
	}
	d.Admin = mk("camille", RoleAdmin)
	d.Moderator = mk("sacha", RoleModerator)
	d.Mayor = mk("maire", RoleMember)
	for _, n := range []string{"alex", "lea", "noah", "ines", "hugo", "chloe", "yanis", "manon"} {
		d.Citizens = append(d.Citizens, mk(n, RoleMember))
	}
	if err != nil {
		return fmt.Errorf("demo accounts: %w", err)
	}
	if err := s.SetDecider(ctx, nil, "maire", true); err != nil {
		return err
	}
	d.Mayor.Decider = true
	d.Space, err = s.SpaceByName(ctx, "ville")
	if errors.Is(err, ErrNotFound) {
		d.Space, err = s.CreateSpace(ctx, nil, SpaceInput{
			Name: "ville", Kind: KindCity, Title: "Ville de Belleville-sur-Odn",
			Description: "Consultations citoyennes de la ville : proposez, débattez, pétitionnez.\n\n" +
				"Citizen consultations of the town: propose, debate, petition.",
			Policy: PolicyOpen, SupportThreshold: 5,
		})
	}
	if err != nil {
		return fmt.Errorf("demo space: %w", err)
	}
	for i := done; i < len(demoSeeders); i++ {
		if err := demoSeeders[i](ctx, s, d); err != nil {
			return fmt.Errorf("demo content: %w", err)
		}
		if err := s.setDemoProgress(ctx, i+1); err != nil {
			return err
		}
	}
	return nil
}

// demoProgress returns how many demo seeders finished. A demo space seeded
// before progress was recorded, holding content, counts as finished.
func (s *Store) demoProgress(ctx context.Context) (int, error) {
	v, err := s.Setting(ctx, demoProgressKey, "")
	if err != nil {
		return 0, err
	}
	if v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return 0, fmt.Errorf("demo progress %q: %w", v, err)
		}
		return n, nil
	}
	sp, err := s.SpaceByName(ctx, "ville")
	if errors.Is(err, ErrNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, err
	}
	for _, table := range []string{"consultations", "debates", "petitions", "proposals"} {
		n, err := s.DB.NewSelect().TableExpr(table).Where("space_id = ?", sp.ID).Count(ctx)
		if err != nil {
			return 0, dbErr("demo progress", err)
		}
		if n > 0 {
			return len(demoSeeders), s.setDemoProgress(ctx, len(demoSeeders))
		}
	}
	return 0, nil
}

func (s *Store) setDemoProgress(ctx context.Context, n int) error {
	_, err := s.DB.NewInsert().Model(&setting{Key: demoProgressKey, Value: strconv.Itoa(n)}).
		On("CONFLICT (key) DO UPDATE").Set("value = EXCLUDED.value").Exec(ctx)
	return dbErr("demo progress", err)
}
