package web

import (
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestPluralPhrases renders every phrase built from a plural message at
// 0, 1, 2 and 1000 in both languages. French's "one" covers 0 and 1, so a
// form picked by the wrong number ("0 sur 1 soutien nécessaire", chosen
// by the threshold) or a phrase that cannot hold 0 ("All 0 ballots")
// shows here.
func TestPluralPhrases(t *testing.T) {
	locales, err := loadLocales()
	if err != nil {
		t.Fatal(err)
	}
	petition := func(signatures, goal int) *models.Petition {
		return &models.Petition{SignaturesCount: signatures, Goal: goal}
	}
	// n is the count the phrase is about; each case gives what both
	// languages say for it.
	type phrase func(l *Locale, n int) string
	nbsp, nnbsp := "\u00a0", "\u202f"
	cases := []struct {
		name   string
		f      phrase
		en, fr [4]string // at 0, 1, 2, 1000
	}{
		{"supports below a threshold of 1000", func(l *Locale, n int) string { return thresholdText(l, n, 1000) },
			[4]string{"0 supports of the 1,000 needed for the council to examine it", "1 support of the 1,000 needed for the council to examine it", "2 supports of the 1,000 needed for the council to examine it", "1,000 supports — threshold of 1,000 reached"},
			[4]string{"0 soutien sur 1" + nnbsp + "000 requis pour un examen par le conseil", "1 soutien sur 1" + nnbsp + "000 requis pour un examen par le conseil", "2 soutiens sur 1" + nnbsp + "000 requis pour un examen par le conseil", "1" + nnbsp + "000 soutiens — seuil de 1" + nnbsp + "000 atteint"}},
		{"no support towards a threshold of n", func(l *Locale, n int) string { return thresholdText(l, 0, max(n, 1)) },
			[4]string{"0 supports of the 1 needed for the council to examine it", "0 supports of the 1 needed for the council to examine it", "0 supports of the 2 needed for the council to examine it", "0 supports of the 1,000 needed for the council to examine it"},
			[4]string{"0 soutien sur 1 requis pour un examen par le conseil", "0 soutien sur 1 requis pour un examen par le conseil", "0 soutien sur 2 requis pour un examen par le conseil", "0 soutien sur 1" + nnbsp + "000 requis pour un examen par le conseil"}},
		{"threshold of n just reached", func(l *Locale, n int) string { return thresholdText(l, max(n, 1), max(n, 1)) },
			[4]string{"1 support — threshold of 1 reached", "1 support — threshold of 1 reached", "2 supports — threshold of 2 reached", "1,000 supports — threshold of 1,000 reached"},
			[4]string{"1 soutien — seuil de 1 atteint", "1 soutien — seuil de 1 atteint", "2 soutiens — seuil de 2 atteint", "1" + nnbsp + "000 soutiens — seuil de 1" + nnbsp + "000 atteint"}},
		{"signatures towards a goal of 2000", func(l *Locale, n int) string { return petitionProgressText(l, petition(n, 2000)) },
			[4]string{"0 signatures of 2,000 (0%)", "1 signature of 2,000 (0%)", "2 signatures of 2,000 (0%)", "1,000 signatures of 2,000 (50%)"},
			[4]string{"0 signature sur 2" + nnbsp + "000 (0" + nbsp + "%)", "1 signature sur 2" + nnbsp + "000 (0" + nbsp + "%)", "2 signatures sur 2" + nnbsp + "000 (0" + nbsp + "%)", "1" + nnbsp + "000 signatures sur 2" + nnbsp + "000 (50" + nbsp + "%)"}},
		{"no signature towards a goal of n", func(l *Locale, n int) string { return petitionProgressText(l, petition(0, max(n, 1))) },
			[4]string{"0 signatures of 1 (0%)", "0 signatures of 1 (0%)", "0 signatures of 2 (0%)", "0 signatures of 1,000 (0%)"},
			[4]string{"0 signature sur 1 (0" + nbsp + "%)", "0 signature sur 1 (0" + nbsp + "%)", "0 signature sur 2 (0" + nbsp + "%)", "0 signature sur 1" + nnbsp + "000 (0" + nbsp + "%)"}},
		{"goal of n reached", func(l *Locale, n int) string { return petitionProgressText(l, petition(max(n, 1), max(n, 1))) },
			[4]string{"1 signature, goal of 1 reached", "1 signature, goal of 1 reached", "2 signatures, goal of 2 reached", "1,000 signatures, goal of 1,000 reached"},
			[4]string{"1 signature, objectif de 1 atteint", "1 signature, objectif de 1 atteint", "2 signatures, objectif de 2 atteint", "1" + nnbsp + "000 signatures, objectif de 1" + nnbsp + "000 atteint"}},
		{"embedded counter towards a goal of 1", func(l *Locale, n int) string { return l.Int(n) + " " + embedSignaturesText(l, petition(n, 1)) },
			[4]string{"0 signatures of 1", "1 signature, goal of 1 reached", "2 signatures, goal of 1 reached", "1,000 signatures, goal of 1 reached"},
			[4]string{"0 signature sur 1", "1 signature, objectif de 1 atteint", "2 signatures, objectif de 1 atteint", "1" + nnbsp + "000 signatures, objectif de 1 atteint"}},
		{"public and anonymous signers", func(l *Locale, n int) string {
			return l.N("petition.signers_public", n) + ", " + l.N("petition.signers_anonymous", n)
		},
			[4]string{"0 public signatures, 0 anonymous", "1 public signature, 1 anonymous", "2 public signatures, 2 anonymous", "1,000 public signatures, 1,000 anonymous"},
			[4]string{"0 signature publique, 0 anonyme", "1 signature publique, 1 anonyme", "2 signatures publiques, 2 anonymes", "1" + nnbsp + "000 signatures publiques, 1" + nnbsp + "000 anonymes"}},
		{"debate voters", func(l *Locale, n int) string { return l.N("debate.voters", n) },
			[4]string{"0 voters", "1 voter", "2 voters", "1,000 voters"},
			[4]string{"0 votant", "1 votant", "2 votants", "1" + nnbsp + "000 votants"}},
		{"results chart", func(l *Locale, n int) string { return l.N("chart.desc", n) },
			[4]string{"Bar chart of the results, 0 voters.", "Bar chart of the results, 1 voter.", "Bar chart of the results, 2 voters.", "Bar chart of the results, 1,000 voters."},
			[4]string{"Diagramme en barres des résultats, 0 votant.", "Diagramme en barres des résultats, 1 votant.", "Diagramme en barres des résultats, 2 votants.", "Diagramme en barres des résultats, 1" + nnbsp + "000 votants."}},
		{"embedded results", func(l *Locale, n int) string { return l.N("embed.results_caption", n) },
			[4]string{"Results, 0 voters", "Results, 1 voter", "Results, 2 voters", "Results, 1,000 voters"},
			[4]string{"Résultats, 0 votant", "Résultats, 1 votant", "Résultats, 2 votants", "Résultats, 1" + nnbsp + "000 votants"}},
		{"ballots link", ballotsLinkText,
			[4]string{"Ballots by receipt (none)", "1 ballot by receipt", "All 2 ballots by receipt", "All 1,000 ballots by receipt"},
			[4]string{"Bulletins par reçu (aucun)", "1 bulletin par reçu", "Les 2 bulletins par reçu", "Les 1" + nnbsp + "000 bulletins par reçu"}},
		{"ballots table", func(l *Locale, n int) string { return l.N("debate.ballots_caption", n) },
			[4]string{"0 ballots", "1 ballot", "2 ballots", "1,000 ballots"},
			[4]string{"0 bulletin", "1 bulletin", "2 bulletins", "1" + nnbsp + "000 bulletins"}},
		{"map markers", mapDescText,
			[4]string{"No located contribution yet.", "1 numbered marker; the list below gives it.", "2 numbered markers; the list below gives each one.", "1,000 numbered markers; the list below gives each one."},
			[4]string{"Pas encore de contribution localisée.", "1 repère numéroté ; la liste ci-dessous le détaille.", "2 repères numérotés ; la liste ci-dessous les détaille.", "1" + nnbsp + "000 repères numérotés ; la liste ci-dessous les détaille."}},
		{"participants", func(l *Locale, n int) string {
			return l.N("stats.participants_n", n) + " / " + l.N("workshop.participants_n", n)
		},
			[4]string{"0 participants / 0 participants", "1 participant / 1 participant", "2 participants / 2 participants", "1,000 participants / 1,000 participants"},
			[4]string{"0 participant / 0 participant", "1 participant / 1 participant", "2 participants / 2 participants", "1" + nnbsp + "000 participants / 1" + nnbsp + "000 participants"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for i, n := range []int{0, 1, 2, 1000} {
				for lang, want := range map[string]string{"en": tc.en[i], "fr": tc.fr[i]} {
					if got := tc.f(locales[lang], n); got != want {
						t.Errorf("%s at %d:\n got %q\nwant %q", lang, n, got, want)
					}
				}
			}
		})
	}
}
