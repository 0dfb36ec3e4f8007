package models

import (
	"context"
	"fmt"
)

func init() { demoSeeders = append(demoSeeders, seedProposals) }

// seedProposals adds five proposals to the demo city with supports from
// its citizens: one past the threshold (5), one accepted with an official
// answer, the others at various stages.
func seedProposals(ctx context.Context, s *Store, d *Demo) error {
	c := d.Citizens // alex, lea, noah, ines, hugo, chloe, yanis, manon
	demo := []struct {
		author     *Account
		title      string
		body       string
		tags       []string
		supporters []*Account
	}{
		{c[1], "Végétaliser la cour de l'école Jean-Moulin",
			"La cour de l'école est entièrement goudronnée et devient une fournaise dès le mois de juin.\n\n" +
				"Je propose de **remplacer une partie du bitume** par de la pleine terre, de planter des arbres " +
				"et d'installer un coin potager géré avec les enseignants.\n\n- plus d'ombre pour les enfants\n- moins de ruissellement\n- un support pédagogique",
			[]string{"écoles", "végétalisation", "climat"}, []*Account{c[0], c[2], c[3], c[4], c[5], c[6]}},
		{c[0], "Des pistes cyclables sécurisées rue de la République",
			"La rue de la République est le chemin le plus direct vers la gare mais les vélos y partagent la voie avec les bus.\n\n" +
				"Une piste séparée par une bordure, dans les deux sens, rendrait le trajet sûr pour les enfants comme pour les adultes.",
			[]string{"vélo", "mobilité"}, []*Account{c[1], c[2], c[7]}},
		{c[2], "Un composteur collectif dans chaque quartier",
			"Un tiers de nos poubelles sont des déchets organiques. Un composteur partagé par quartier, " +
				"avec un référent formé, réduirait les collectes et fournirait du compost aux jardins.",
			[]string{"déchets", "climat"}, []*Account{c[1], c[3], c[6]}},
		{c[3], "Ouvrir la médiathèque le dimanche après-midi",
			"Beaucoup d'habitants travaillent en semaine et le samedi. Une ouverture de 14 h à 18 h le dimanche " +
				"permettrait aux familles d'en profiter.",
			[]string{"culture"}, []*Account{c[4], c[7]}},
		{c[4], "Une fête des voisins soutenue par la mairie",
			"Prêt de tables, de barrières et d'une sono, et une page pour coordonner les rues volontaires.",
			[]string{"vie-de-quartier"}, []*Account{c[5]}},
	}
	var created []*Proposal
	for _, p := range demo {
		pr, err := s.CreateProposal(ctx, p.author.Actor, d.Space.Name, ProposalInput{Title: p.title, Body: p.body, Tags: p.tags})
		if err != nil {
			return fmt.Errorf("demo proposal: %w", err)
		}
		for _, sup := range p.supporters {
			if _, err := s.Support(ctx, sup.Actor, pr.ID); err != nil {
				return fmt.Errorf("demo support: %w", err)
			}
		}
		created = append(created, pr)
	}
	_, err := s.SetProposalStatus(ctx, d.Moderator, created[1].ID, ProposalAccepted,
		"Merci pour cette proposition. Le conseil municipal a voté le **14 octobre** l'aménagement d'une piste "+
			"bidirectionnelle séparée rue de la République.\n\nLes travaux auront lieu pendant les vacances d'été ; "+
			"le tracé détaillé sera présenté en réunion publique.")
	return err
}
