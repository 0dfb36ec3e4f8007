package models

import (
	"context"
	"fmt"
	"time"
)

func init() { demoSeeders = append(demoSeeders, seedPetitions) }

// seedPetitions adds two petitions addressed to the mayor: one near its
// goal (8 of 10) with news from its author, one answered.
func seedPetitions(ctx context.Context, s *Store, d *Demo) error {
	c := d.Citizens // alex, lea, noah, ines, hugo, chloe, yanis, manon
	closes := s.Now().Add(30 * 24 * time.Hour)
	trees, err := s.CreatePetition(ctx, c[5].Actor, d.Space.Name, PetitionInput{
		Title: "Sauvons les platanes de l'avenue Foch",
		Body: "Le projet de parking prévoit l'abattage des **quatorze platanes centenaires** de l'avenue Foch.\n\n" +
			"Nous demandons à Madame la Maire de revoir le projet pour conserver ces arbres, qui rafraîchissent " +
			"l'avenue et abritent de nombreux oiseaux.",
		Addressee: d.Mayor.Username, Goal: 10, ClosesAt: &closes,
	})
	if err != nil {
		return fmt.Errorf("demo petition: %w", err)
	}
	signers := []*Account{c[0], c[1], c[2], c[3], c[4], c[6], c[7], d.Admin}
	for i, a := range signers {
		if _, _, err := s.Sign(ctx, a.Actor, trees.ID, i%2 == 0); err != nil {
			return fmt.Errorf("demo signature: %w", err)
		}
	}
	if _, err := s.PostPetitionUpdate(ctx, c[5].Actor, trees.ID,
		"Merci à toutes et tous ! Nous serons reçus en mairie le mois prochain. Encore **deux signatures** pour atteindre l'objectif."); err != nil {
		return err
	}
	bus, err := s.CreatePetition(ctx, c[6].Actor, d.Space.Name, PetitionInput{
		Title:     "Rétablir la ligne de bus 12 après 20 h",
		Body:      "Depuis la rentrée, le dernier bus 12 part à 20 h. Les salariés en horaires décalés n'ont plus de solution pour rentrer.",
		Addressee: d.Mayor.Username, Goal: 5,
	})
	if err != nil {
		return fmt.Errorf("demo petition: %w", err)
	}
	for _, a := range []*Account{c[0], c[2], c[4], c[5], c[7]} {
		if _, _, err := s.Sign(ctx, a.Actor, bus.ID, true); err != nil {
			return fmt.Errorf("demo signature: %w", err)
		}
	}
	_, err = s.RespondPetition(ctx, d.Mayor, bus.ID,
		"J'ai demandé au syndicat des transports de rétablir **deux départs à 21 h et 22 h** dès janvier. "+
			"Un bilan de fréquentation sera fait au printemps.\n\n— La Maire")
	return err
}
