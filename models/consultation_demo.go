package models

import (
	"context"
	"fmt"
	"time"
)

func init() { demoSeeders = append(demoSeeders, seedConsultations) }

// seedConsultations adds to the demo city a consultation in its synthesis
// phase (information sheet, FAQ, themes, a workshop contribution and a
// published synthesis), one open for contributions, and news.
func seedConsultations(ctx context.Context, s *Store, d *Demo) error {
	now := s.Now().Truncate(time.Hour)
	day := 24 * time.Hour
	mod := d.Moderator
	market, err := s.CreateConsultation(ctx, mod, d.Space.Name, ConsultationInput{
		Title:   "Réaménager la place du Marché",
		Summary: "Quelle place du Marché voulons-nous pour 2030 ? Arbres, terrasses, stationnement, jeux : donnez votre avis.",
		Body: "La place du Marché doit être rénovée en 2027. Avant d'écrire le cahier des charges, la ville consulte " +
			"ses habitantes et habitants.\n\n*The Market square is to be renovated in 2027: tell us what you want.*",
		OpensAt: now.Add(-40 * day), ContributionAt: now.Add(-30 * day), SynthesisAt: now.Add(1 * day), ClosesAt: now.Add(20 * day),
		MapEnabled: true,
	})
	if err != nil {
		return fmt.Errorf("demo consultation: %w", err)
	}
	var themes []*Theme
	for i, name := range []string{"Végétalisation", "Mobilité et stationnement", "Commerces et marché"} {
		t, err := s.AddTheme(ctx, mod, market.ID, ThemeInput{Name: name, Position: i})
		if err != nil {
			return err
		}
		themes = append(themes, t)
	}
	docs := []DocumentInput{
		{Kind: DocSheet, Title: "Le projet en bref", Body: "### Calendrier\n\n- information : un mois\n- contributions : quatre semaines\n- synthèse publiée ici\n\n" +
			"### Budget\n\n1,2 M€ TTC, dont 300 000 € pour la végétalisation.\n\n### Contraintes\n\n" +
			"Le marché du samedi (80 étals) doit rester possible ; les pompiers doivent pouvoir accéder aux immeubles."},
		{Kind: DocFAQ, Title: "Qui peut participer ?", Body: "Toute personne, habitante ou non : en ligne, ou lors des ateliers en mairie."},
		{Kind: DocFAQ, Title: "Que deviennent les contributions ?", Body: "Elles sont toutes lues et citées dans la synthèse, publiée ici et envoyée à chaque participant."},
	}
	for i, in := range docs {
		in.Position = i
		if _, err := s.AddDocument(ctx, mod, market.ID, in); err != nil {
			return err
		}
	}
	online, err := seedMarketContributions(ctx, s, d, market.ID, themes)
	if err != nil {
		return fmt.Errorf("demo contributions: %w", err)
	}
	// The contribution phase is over: the consultation moves on to its synthesis.
	in := ConsultationInput{Title: market.Title, Summary: market.Summary, Body: market.Body, OpensAt: market.OpensAt,
		ContributionAt: market.ContributionAt, SynthesisAt: now.Add(-3 * day), ClosesAt: market.ClosesAt, MapEnabled: true}
	if market, err = s.UpdateConsultation(ctx, mod, market.ID, in); err != nil {
		return err
	}
	lat, lon := 48.8566, 2.3522
	w, err := s.RecordWorkshopContribution(ctx, mod, market.ID, WorkshopInput{
		Title:  "Atelier en mairie : plus d'ombre et des bancs",
		Body:   "Les participants demandent des arbres côté sud, des bancs à l'ombre et une fontaine. Le stationnement du samedi divise.",
		HeldAt: now.Add(-10 * day), Place: "Salle des fêtes, mairie", Participants: 23, ThemeID: themes[0].ID, Lat: &lat, Lon: &lon,
	})
	if err != nil {
		return fmt.Errorf("demo workshop: %w", err)
	}
	syn := fmt.Sprintf("### Ce que vous avez dit\n\n%d contributions en ligne et en atelier. Trois attentes reviennent :\n\n"+
		"1. **de l'ombre** : des arbres côté sud ([atelier en mairie](%s), [proposition](%s)) ;\n"+
		"2. **un marché préservé** le samedi ([proposition](%s)) ;\n3. **moins de voitures** en semaine.\n\n"+
		"### Et maintenant\n\nLe cahier des charges reprendra ces trois points. Réunion publique le mois prochain.", len(online)+1, w.URI, online[0].URI, online[1].URI)
	if _, err := s.PublishSynthesis(ctx, mod, market.ID, syn); err != nil {
		return fmt.Errorf("demo synthesis: %w", err)
	}
	budget, err := s.CreateConsultation(ctx, mod, d.Space.Name, ConsultationInput{
		Title:   "Budget participatif 2027",
		Summary: "500 000 € pour des projets proposés et choisis par les habitants.",
		Body:    "Proposez un projet d'intérêt général, soutenez ceux des autres : les plus soutenus seront étudiés par les services.",
		OpensAt: now.Add(-5 * day), ContributionAt: now.Add(-2 * day), SynthesisAt: now.Add(40 * day), ClosesAt: now.Add(70 * day),
	})
	if err != nil {
		return err
	}
	for i, name := range []string{"Écoles et jeunesse", "Sport et culture", "Environnement"} {
		if _, err := s.AddTheme(ctx, mod, budget.ID, ThemeInput{Name: name, Position: i}); err != nil {
			return err
		}
	}
	if _, err := s.AddDocument(ctx, mod, budget.ID, DocumentInput{Kind: DocSheet, Title: "Règlement du budget participatif",
		Body: "Un projet doit relever des compétences de la ville, coûter moins de 150 000 € et être réalisable en deux ans."}); err != nil {
		return err
	}
	for _, n := range []NewsInput{
		{Title: "La synthèse de la consultation sur la place du Marché est publiée", Body: "Merci aux 23 personnes venues à l'atelier et à toutes celles qui ont contribué en ligne.", Consultation: market.ID},
		{Title: "Budget participatif 2027 : à vos projets !", Body: "Les propositions sont ouvertes jusqu'à la fin du mois prochain.", Consultation: budget.ID},
	} {
		if _, err := s.PublishNews(ctx, mod, d.Space.Name, n); err != nil {
			return err
		}
	}
	return nil
}

// seedMarketContributions has citizens propose, support and comment in
// the market consultation while its contribution phase is open.
func seedMarketContributions(ctx context.Context, s *Store, d *Demo, consultationID int64, themes []*Theme) ([]*Proposal, error) {
	if len(d.Citizens) < 5 {
		return nil, fmt.Errorf("demo needs citizens")
	}
	ideas := []struct {
		title, body string
		theme       int
	}{
		{"Planter des arbres côté sud", "Des tilleuls ou des platanes pour faire de l'ombre l'été, et des bancs dessous.", 0},
		{"Garder le marché du samedi", "Le marché fait vivre la place : gardons les 80 étals et ajoutons des points d'eau.", 2},
		{"Une place sans voitures en semaine", "Stationnement limité aux livraisons, le parking souterrain de la gare suffit.", 1},
	}
	var out []*Proposal
	for i, idea := range ideas {
		p, err := s.CreateProposal(ctx, d.Citizens[i].Actor, d.Space.Name,
			ProposalInput{Title: idea.title, Body: idea.body, Consultation: consultationID, Theme: themes[idea.theme].ID})
		if err != nil {
			return nil, err
		}
		for _, c := range d.Citizens[3 : 5+i] {
			if _, err := s.Support(ctx, c.Actor, p.ID); err != nil {
				return nil, err
			}
		}
		out = append(out, p)
	}
	comments := []string{"Oui, et une fontaine pour les enfants !", "Attention à l'accès des pompiers.", "Les commerçants ont besoin d'un accès le matin."}
	for i, body := range comments {
		if _, err := s.CreateComment(ctx, d.Citizens[5+i%3].Actor, CommentInput{ObjectType: "proposal", ObjectID: out[i].ID, Body: body}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
