package models

import (
	"context"
	"errors"
	"fmt"
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

// SeedDemo fills an empty instance with a city space, accounts and content
// so a newcomer sees a living site. It does nothing when the demo space
// already exists, so restarting with --demo keeps the data.
func (s *Store) SeedDemo(ctx context.Context) error {
	if _, err := s.SpaceByName(ctx, "ville"); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return err
	}
	d := &Demo{}
	var err error
	mk := func(name, role string) *Account {
		if err != nil {
			return nil
		}
		var a *Account
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
	d.Space, err = s.CreateSpace(ctx, nil, SpaceInput{
		Name: "ville", Kind: KindCity, Title: "Ville de Belleville-sur-Odn",
		Description: "Consultations citoyennes de la ville : proposez, débattez, pétitionnez.\n\n" +
			"Citizen consultations of the town: propose, debate, petition.",
		Policy: PolicyOpen, SupportThreshold: 5,
	})
	if err != nil {
		return fmt.Errorf("demo space: %w", err)
	}
	for _, seed := range demoSeeders {
		if err := seed(ctx, s, d); err != nil {
			return fmt.Errorf("demo content: %w", err)
		}
	}
	return nil
}
