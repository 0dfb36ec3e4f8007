package models

import (
	"context"
	"fmt"
	"time"
)

func init() { demoSeeders = append(demoSeeders, seedDebates) }

// seedDebates adds to the demo city an open debate with votes, arguments
// and replies, and a closed one with its results and receipts.
func seedDebates(ctx context.Context, s *Store, d *Demo) error {
	if len(d.Citizens) < 8 || d.Moderator == nil {
		return fmt.Errorf("seed debates: the demo needs a moderator and 8 citizens")
	}
	closes := s.Now().Add(14 * 24 * time.Hour)
	open, err := s.CreateDebate(ctx, d.Moderator, d.Space, DebateInput{
		Question: "Faut-il piétonniser le centre-ville le samedi ?",
		Description: "La municipalité étudie la fermeture à la circulation de la rue de la République et de la place du Marché " +
			"le samedi, de 10 h à 19 h, avec des navettes gratuites depuis les parkings relais.\n\n" +
			"*Should the town centre be car-free on Saturdays?*",
		Options:  []string{"Oui, toute la journée", "Oui, l’après-midi seulement", "Non"},
		ClosesAt: &closes,
	})
	if err != nil {
		return err
	}
	if _, err := s.OpenDebate(ctx, d.Moderator, open.ID); err != nil {
		return err
	}
	choices := []string{"Oui, toute la journée", "Oui, toute la journée", "Non", "Oui, l’après-midi seulement",
		"Oui, toute la journée", "Non", "Oui, l’après-midi seulement", "Oui, toute la journée"}
	for i, c := range d.Citizens {
		if _, err := s.CastVote(ctx, c.Actor, open.ID, []string{choices[i]}); err != nil {
			return err
		}
	}
	say := func(by *Account, parent int64, stance, body string) (int64, error) {
		c, err := s.CreateComment(ctx, by.Actor, CommentInput{ObjectType: ObjectTypeDebate, ObjectID: open.ID, ParentID: parent, Stance: stance, Body: body})
		if err != nil {
			return 0, err
		}
		return c.ID, nil
	}
	c := d.Citizens
	arguments := []struct {
		by      *Account
		stance  string
		body    string
		replyBy *Account
		reply   string
	}{
		{c[0], StanceFor, "Les commerçants de la rue piétonne de la ville voisine ont vu leur fréquentation **augmenter** le week-end.", c[2], "Ce n’est pas la même ville : là-bas il y a un tramway."},
		{c[1], StanceFor, "Moins de bruit et de pollution, et les enfants peuvent enfin marcher tranquillement.", nil, ""},
		{c[2], StanceAgainst, "Les personnes âgées qui viennent en voiture au marché auront du mal à porter leurs courses.", c[3], "Les navettes gratuites s’arrêtent devant le marché, et un service de portage est prévu."},
		{c[5], StanceAgainst, "Les rues voisines vont absorber toute la circulation le samedi.", nil, ""},
	}
	for _, a := range arguments {
		id, err := say(a.by, 0, a.stance, a.body)
		if err != nil {
			return err
		}
		if a.replyBy != nil {
			if _, err := say(a.replyBy, id, StanceNone, a.reply); err != nil {
				return err
			}
		}
	}
	q, err := say(c[4], 0, StanceNone, "Est-ce que les livraisons seront autorisées le matin ?")
	if err != nil {
		return err
	}
	if _, err := say(d.Moderator, q, StanceNone, "Oui, avant 10 h, comme aujourd’hui pour le marché."); err != nil {
		return err
	}

	closed, err := s.CreateDebate(ctx, d.Moderator, d.Space, DebateInput{
		Question:    "Quel nom pour la nouvelle médiathèque ?",
		Description: "Trois noms ont été proposés lors de l’atelier de quartier.",
		Options:     []string{"Médiathèque Simone-Veil", "La Fabrique à livres", "Médiathèque du Canal"},
		Multiple:    true,
	})
	if err != nil {
		return err
	}
	if _, err := s.OpenDebate(ctx, d.Moderator, closed.ID); err != nil {
		return err
	}
	ballots := [][]string{{"Médiathèque Simone-Veil"}, {"La Fabrique à livres", "Médiathèque du Canal"}, {"Médiathèque Simone-Veil"},
		{"Médiathèque Simone-Veil", "Médiathèque du Canal"}, {"La Fabrique à livres"}, {"Médiathèque Simone-Veil"}}
	for i, b := range ballots {
		if _, err := s.CastVote(ctx, d.Citizens[i].Actor, closed.ID, b); err != nil {
			return err
		}
	}
	_, err = s.CloseDebate(ctx, d.Moderator, closed.ID)
	return err
}
