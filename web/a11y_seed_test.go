package web_test

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/netip"
	"strconv"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

// a11ySite is the one seeded server of the accessibility check: the demo
// city, seedCivic's content in it, and the states whose markup differs
// (each consultation phase, copies of another server's items with their
// consultation line, forwarded reports in each state, dead letters…).
// Paths (and a few ids) are kept by name, for a11yPages.
type a11ySite struct {
	*testEnv
	*civicContent
	paths map[string]string
}

// path returns the seeded path called name; a missing one fails the test.
func (s *a11ySite) path(name string) string {
	p, ok := s.paths[name]
	if !ok {
		s.t.Fatalf("a11y seed: no path %q", name)
	}
	return p
}

// newA11ySite starts the server (map tiles from its own /static, which
// answers 404 at once: no network) and seeds it.
func newA11ySite(t *testing.T) *a11ySite {
	t.Helper()
	e := newEnvOn(t, "sqlite", func(o *web.Options) {
		o.MapTiles = o.BaseURL + "/static/tiles/{z}/{x}/{y}.png"
		o.Mailer = &captureMailer{} // the forgotten password form, not its no-e-mail text
		// The browser names a client address per language (a11yClient), so
		// that the forms posted in each get their own log-in limit.
		o.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}
	})
	e.Store.SetDataDir(t.TempDir())
	ctx := context.Background()
	if err := e.Store.SeedDemo(ctx); err != nil {
		t.Fatalf("seed demo: %v", err)
	}
	s := &a11ySite{testEnv: e, civicContent: seedCivic(t, e), paths: map[string]string{}}
	s.seedConsultations(ctx)
	s.seedCivicStates(ctx)
	s.seedCopies(ctx)
	s.seedModeration(ctx)
	s.seedFederationAdmin(ctx)
	s.seedProfile(ctx)
	s.seedLongWords(ctx)
	s.seedPasswordReset(ctx)
	s.seedEmailConfirmation(ctx)
	return s
}

// seedPasswordReset gives a member with an e-mail address a live
// password reset link (the reset page's path).
func (s *a11ySite) seedPasswordReset(ctx context.Context) {
	_, err := s.Store.CreateAccount(ctx, models.NewAccount{Username: "oublieuse", Email: "oublieuse@example.org", Password: testPassword})
	s.must("forgetful member", err)
	resets, err := s.Store.RequestPasswordReset(ctx, "oublieuse", nil)
	s.must("password reset", err)
	s.paths["password-reset"] = "/password/reset?token=" + resets[0].Token
}

// seedEmailConfirmation signs a member up with an e-mail address and
// gives it a live confirmation link (the confirmation page's path).
func (s *a11ySite) seedEmailConfirmation(ctx context.Context) {
	acc, err := s.Store.SignUp(ctx, models.NewAccount{Username: "confirmee", Email: "confirmee@example.org", Password: testPassword}, "")
	s.must("member to confirm", err)
	link, err := s.Store.RequestEmailConfirmation(ctx, acc.ID, nil)
	s.must("confirmation link", err)
	s.paths["email-confirm"] = "/email/confirm?token=" + link.Token
	// A second one, confirmed: in another account's session, its page
	// says whose address it confirmed.
	acc, err = s.Store.SignUp(ctx, models.NewAccount{Username: "confirmed", Email: "confirmed@example.org", Password: testPassword}, "")
	s.must("member confirmed", err)
	link, err = s.Store.RequestEmailConfirmation(ctx, acc.ID, nil)
	s.must("confirmation link", err)
	_, err = s.Store.ConfirmEmail(ctx, link.Token)
	s.must("confirmation", err)
	s.paths["email-confirmed"] = "/email/confirm?token=" + link.Token
}

// seedProfile gives the member a display name and a bio with a list and
// a link, as their public profile shows them.
func (s *a11ySite) seedProfile(ctx context.Context) {
	name, bio := "Camille Citoyenne", "Habitante du *quartier*.\n\n- vélo\n- jardins partagés\n\n[Mon blog](https://blog.example/camille)"
	_, err := s.Store.EditAccount(ctx, s.account(asMember), models.AccountEdit{DisplayName: &name, Bio: &bio})
	s.must("profile", err)
}

// Words longer than a phone's screen is wide, which must wrap there
// rather than widen the page (WCAG 1.4.10): the longest user name,
// a long display name, hashtag, tag, address and code.
const (
	longUsername = "nom_tres_long_pour_un_ecran_xx" // 30, the most a name may have
	longHashtag  = "#ConcertationCitoyenneDuQuartierNordEst2027"
	longURL      = "https://www.example.org/consultations/2027/reamenagement-de-la-place-du-marche/annexe-technique-12.pdf"
	longCode     = "ODN_FEDERATION_DELIVERY_TIMEOUT_SECONDS=30"
)

// seedLongWords: a proposal by a member with the longest user name and a
// long display name, whose title has a long hashtag, whose tag is as long
// as a tag may be, whose body holds a long address (as a link and as
// text) and long code, and a comment of theirs with the address again
// (the proposal's path is "proposal-long-words").
func (s *a11ySite) seedLongWords(ctx context.Context) {
	a, err := s.Store.CreateAccount(ctx, models.NewAccount{Username: longUsername, Password: testPassword})
	s.must("long user name", err)
	name := "Marie-Amélie-Charlotte-Joséphine Delafontaine-Dupo" // 50, the most a display name may have
	_, err = s.Store.EditAccount(ctx, a, models.AccountEdit{DisplayName: &name})
	s.must("long display name", err)
	p, err := s.Store.CreateProposal(ctx, a.Actor, "ville", models.ProposalInput{Title: "Un kiosque " + longHashtag,
		Body: "Voir <" + longURL + "> ou " + longURL + ", et `" + longCode + "`.\n\n    " + longCode,
		Tags: []string{"concertation-participative-quart"}})
	s.must("proposal of long words", err)
	_, err = s.Store.CreateComment(ctx, a.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Source : " + longURL + " " + longHashtag})
	s.must("comment of long words", err)
	s.set("proposal-long-words", "/p/%d", p.ID)
}

// must fails the test on err, naming what was seeded.
func (s *a11ySite) must(what string, err error) {
	s.t.Helper()
	if err != nil {
		s.t.Fatalf("a11y seed %s: %v", what, err)
	}
}

// idOf is the id of the row of table whose column holds value (demo
// content, which SeedDemo does not return).
func (s *a11ySite) idOf(table, column, value string) int64 {
	s.t.Helper()
	var id int64
	err := s.Store.DB.NewSelect().TableExpr(table).Column("id").Where("? = ?", bun.Ident(column), value).Order("id").Limit(1).Scan(context.Background(), &id)
	s.must(fmt.Sprintf("find %s %s=%q", table, column, value), err)
	return id
}

func (s *a11ySite) set(name, format string, ids ...any) { s.paths[name] = fmt.Sprintf(format, ids...) }

func (s *a11ySite) account(name string) *models.Account {
	s.t.Helper()
	a, err := s.Store.AccountByUsername(context.Background(), name)
	s.must("account "+name, err)
	return a
}

// seedConsultations: the demo's consultation in its synthesis phase
// (themes, sheet, FAQ, located workshop, synthesis) and the one open for
// contributions; one in its information phase with a banner and a file;
// a closed one whose synthesis phase was skipped.
func (s *a11ySite) seedConsultations(ctx context.Context) {
	market := s.idOf("consultations", "title", "Réaménager la place du Marché")
	budget := s.idOf("consultations", "title", "Budget participatif 2027")
	s.set("cons-synthesis", "/consultations/%d", market)
	s.set("cons-contribution", "/consultations/%d", budget)
	s.set("workshop", "/w/%d", s.idOf("workshop_contributions", "consultation_id", strconv.FormatInt(market, 10)))
	s.set("sheet", "/consultations/%d/sheets/%d", market, s.idOf("consultation_documents", "title", "Le projet en bref"))
	s.set("theme", "%d", s.idOf("consultation_themes", "name", "Végétalisation"))
	s.set("document-id", "%d", s.idOf("consultation_documents", "title", "Le projet en bref"))
	s.set("news", "/news/%d", s.idOf("news", "consultation_id", strconv.FormatInt(market, 10)))
	s.set("proposal-in-consultation", "/p/%d", s.idOf("proposals", "title", "Planter des arbres côté sud"))
	s.set("proposal-answered", "/p/%d", s.idOf("proposals", "title", "Des pistes cyclables sécurisées rue de la République"))
	s.set("petition-answered", "/pe/%d", s.idOf("petitions", "title", "Rétablir la ligne de bus 12 après 20 h"))
	trees := s.idOf("petitions", "title", "Sauvons les platanes de l'avenue Foch")
	s.set("petition-updates", "/pe/%d", trees)
	s.set("petition-update-edit", "/pe/%d/updates/%d/edit", trees, s.idOf("petition_updates", "petition_id", strconv.FormatInt(trees, 10)))
	s.set("debate-demo-open", "/d/%d", s.idOf("debates", "question", "Faut-il piétonniser le centre-ville le samedi ?"))
	s.set("debate-demo-closed", "/d/%d", s.idOf("debates", "question", "Quel nom pour la nouvelle médiathèque ?"))

	mod, day, now := s.account("sacha"), 24*time.Hour, s.Now.Truncate(time.Hour)
	banner, err := s.Store.SaveUpload(ctx, mod, s.space.ID, "banniere.png", bytes.NewReader(tinyPNG(s.t)))
	s.must("banner", err)
	s.set("upload", "/media/%s", banner.Key)
	s.set("upload-named", "%s", banner.Path())
	pdf, err := s.Store.SaveUpload(ctx, mod, s.space.ID, "plan.pdf", bytes.NewReader([]byte("%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n")))
	s.must("file", err)
	info, err := s.Store.CreateConsultation(ctx, mod, "ville", models.ConsultationInput{Title: "Un nouveau parc au bord du canal",
		Summary: "Que voulez-vous dans le parc ?", Body: "Le terrain de l'ancienne usine devient un **parc**.", BannerID: &banner.ID,
		BannerAlt: "Le terrain de l'ancienne usine", OpensAt: now.Add(-day), ContributionAt: now.Add(5 * day),
		SynthesisAt: now.Add(20 * day), ClosesAt: now.Add(30 * day), MapEnabled: true})
	s.must("consultation in its information phase", err)
	_, err = s.Store.AddDocument(ctx, mod, info.ID, models.DocumentInput{Kind: models.DocFile, Title: "Plan du terrain", UploadID: &pdf.ID})
	s.must("file document", err)
	s.set("cons-information", "/consultations/%d", info.ID)
	closed, err := s.Store.CreateConsultation(ctx, mod, "ville", models.ConsultationInput{Title: "Horaires de la piscine",
		Summary: "Consultation terminée.", OpensAt: now.Add(-60 * day), ContributionAt: now.Add(-50 * day),
		SynthesisAt: now.Add(-10 * day), ClosesAt: now.Add(-10 * day)})
	s.must("closed consultation", err)
	_, err = s.Store.SaveSynthesis(ctx, mod, closed.ID, "Brouillon : *à relire*.")
	s.must("draft synthesis", err)
	s.set("cons-closed", "/consultations/%d", closed.ID)
	s.set("cons-market-id", "%d", market)
	s.set("cons-info-id", "%d", info.ID)
}

// seedCivicStates: a withdrawn proposal, one the member supports, a
// petition the moderator signed, a debate with a public ballot closed
// with its receipts, a draft debate, and the member's follows of a space
// (accepted) and of another server's account (pending).
func (s *a11ySite) seedCivicStates(ctx context.Context) {
	p, err := s.Store.CreateProposal(ctx, s.member.Actor, "ville", models.ProposalInput{Title: "Un kiosque à musique", Body: "Retirée."})
	s.must("proposal", err)
	_, err = s.Store.WithdrawProposal(ctx, s.member.Actor, p.ID)
	s.must("withdraw proposal", err)
	s.set("proposal-withdrawn", "/p/%d", p.ID)
	d, err := s.Store.CreateDebate(ctx, s.admin, s.space, models.DebateInput{Question: "Quelle couleur pour les bancs ?",
		Options: []string{"Vert", "Bleu"}, PublicBallot: true, ResultsVisibility: models.ResultsAfterClose})
	s.must("public debate", err)
	_, err = s.Store.OpenDebate(ctx, s.admin, d.ID)
	s.must("open", err)
	b, err := s.Store.CastVote(ctx, s.member.Actor, d.ID, []string{"Vert"})
	s.must("vote", err)
	_, err = s.Store.CloseDebate(ctx, s.admin, d.ID)
	s.must("close", err)
	s.set("ballots-public", "/d/%d/ballots?receipt=%s", d.ID, b.Receipt)
	draft, err := s.Store.CreateDebate(ctx, s.admin, s.space, models.DebateInput{Question: "Un brouillon ?", Options: []string{"Oui", "Non"}})
	s.must("draft debate", err)
	s.set("debate-draft", "/d/%d", draft.ID)
	library := s.idOf("proposals", "title", "Ouvrir la médiathèque le dimanche après-midi")
	_, err = s.Store.Support(ctx, s.member.Actor, library)
	s.must("support", err)
	s.set("proposal-supported", "/p/%d", library)
	s.set("proposal-open", "/p/%d", s.idOf("proposals", "title", "Un composteur collectif dans chaque quartier"))
	_, _, err = s.Store.Sign(ctx, s.account("sacha").Actor, s.idOf("petitions", "title", "Sauvons les platanes de l'avenue Foch"), true)
	s.must("sign", err)
	zoe, err := s.Store.UpsertRemoteActor(ctx, &models.Actor{URI: "https://far.example/users/zoe", Type: models.ActorPerson,
		Username: "zoe", Host: "far.example", Inbox: "https://far.example/users/zoe/inbox"})
	s.must("remote actor", err)
	_, err = s.Store.FollowActor(ctx, s.member, zoe)
	s.must("follow (pending)", err)
	_, err = s.Store.FollowActor(ctx, s.member, s.space.Actor)
	s.must("follow (accepted)", err)
	s.seedReaddressed(ctx)
}

// seedReaddressed: two petitions to a decision-maker who then left
// office, one still to re-address (the moderator's form), one
// re-addressed to the mayor (the page's line).
func (s *a11ySite) seedReaddressed(ctx context.Context) {
	_, err := s.Store.CreateAccount(ctx, models.NewAccount{Username: "ancien_maire", Password: "correct horse battery"})
	s.must("former mayor", err)
	s.must("decider", s.Store.SetDecider(ctx, nil, "ancien_maire", true))
	var ids []int64
	for _, title := range []string{"Un passage piéton rue Haute", "Des fontaines au parc"} {
		pe, err := s.Store.CreatePetition(ctx, s.member.Actor, "ville", models.PetitionInput{Title: title, Body: "Avant l'élection.",
			Addressee: "ancien_maire", Goal: 50})
		s.must("petition to the former mayor", err)
		ids = append(ids, pe.ID)
	}
	s.must("left office", s.Store.SetDecider(ctx, nil, "ancien_maire", false))
	_, err = s.Store.ReaddressPetition(ctx, s.account("sacha"), ids[1], "maire")
	s.must("readdress", err)
	s.set("petition-readdress", "/pe/%d", ids[0])
	s.set("petition-readdressed", "/pe/%d", ids[1])
	s.seedClosed(ctx)
}

// seedClosed: a petition a moderator closed before its deadline, signed
// (the page's line, and its signatures kept).
func (s *a11ySite) seedClosed(ctx context.Context) {
	deadline := s.Store.Now().Add(30 * 24 * time.Hour)
	pe, err := s.Store.CreatePetition(ctx, s.member.Actor, "ville", models.PetitionInput{Title: "Un marché le dimanche",
		Body: "Décidé ailleurs depuis.", Addressee: "maire", Goal: 50, ClosesAt: &deadline})
	s.must("petition to close", err)
	_, _, err = s.Store.Sign(ctx, s.account("sacha").Actor, pe.ID, true)
	s.must("sign the petition to close", err)
	_, err = s.Store.ClosePetition(ctx, s.account("sacha"), pe.ID)
	s.must("close", err)
	s.set("petition-closed", "/pe/%d", pe.ID)
}

// seedCopies stores copies of another server's proposal, debate and
// petition in its consultation, now in its information phase there.
func (s *a11ySite) seedCopies(ctx context.Context) {
	origin, err := s.Store.UpsertRemoteActor(ctx, &models.Actor{URI: "https://other.example/users/town", Type: models.ActorGroup,
		Username: "town", Host: "other.example", Inbox: "https://other.example/users/town/inbox"})
	s.must("origin", err)
	day := 24 * time.Hour
	cons := &models.RemoteConsultation{URI: "https://other.example/consultations/3", URL: "https://other.example/consultations/3",
		Title: "Le square de la gare", OpensAt: s.Now.Add(-day), ContributionAt: s.Now.Add(10 * day),
		SynthesisAt: s.Now.Add(30 * day), ClosesAt: s.Now.Add(40 * day), UpdatedAt: s.Now}
	p, err := s.Store.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://other.example/p/1", URL: "https://other.example/p/1",
		Title: "Des bancs au square", ContentHTML: "<p>Et de l'ombre.</p>", AuthorID: origin.ID, Updated: s.Now, Consultation: cons})
	s.must("copy of a proposal", err)
	d, err := s.Store.UpsertRemoteDebate(ctx, origin, models.RemoteDebate{URI: "https://other.example/d/2", URL: "https://other.example/d/2",
		Question: "Quels arbres ?", Options: []string{"Chênes", "Tilleuls"}, Counts: []int{2, 1}, Voters: 3, Updated: s.Now, Consultation: cons})
	s.must("copy of a debate", err)
	pe, err := s.Store.UpsertRemotePetition(ctx, models.RemotePetition{URI: "https://other.example/pe/4", URL: "https://other.example/pe/4",
		Title: "Gardons le kiosque", ContentHTML: "<p>Il est beau.</p>", AuthorID: origin.ID, Goal: 10, Signatures: 4, Updated: s.Now, Consultation: cons})
	s.must("copy of a petition", err)
	s.set("copy-proposal", "/p/%d", p.ID)
	s.set("copy-debate", "/d/%d", d.ID)
	s.set("copy-petition", "/pe/%d", pe.ID)
	s.set("copy-debate-uri", "%s", d.URI)
}

// tinyPNG is a 2×2 PNG, for a banner.
func tinyPNG(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// seedModeration adds to seedCivic's queue reports of another server's
// content forwarded there in each state (delivered, refused, its domain
// blocked since, forwarded before deliveries were followed), a dismissed
// report and content hidden by a moderator.
func (s *a11ySite) seedModeration(ctx context.Context) {
	mod := s.account("sacha")
	report := func(host string, forward bool) int64 {
		a, err := s.Store.UpsertRemoteActor(ctx, &models.Actor{URI: "https://" + host + "/users/max", Type: models.ActorPerson,
			Username: "max", Host: host, Inbox: "https://" + host + "/users/max/inbox"})
		s.must("remote actor", err)
		p, err := s.Store.UpsertRemoteProposal(ctx, models.RemoteProposal{URI: "https://" + host + "/p/9", AuthorID: a.ID,
			Title: "Publicité", ContentHTML: "<p>Achetez !</p>"})
		s.must("remote proposal", err)
		r, err := s.Store.CreateReport(ctx, s.member.Actor, models.ReportInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID,
			Reason: "Publicité", Forward: forward})
		s.must("report", err)
		return r.ID
	}
	flag := func(id int64, host string) models.Delivery {
		_, err := s.Store.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: s.URL + "/actor#flags/" + strconv.FormatInt(id, 10),
			Body: []byte("{}"), SignerID: mod.Actor.ID, Inboxes: []string{"https://" + host + "/users/max/inbox"}, ReportID: id})
		s.must("enqueue a Flag", err)
		jobs, err := s.Store.ClaimDeliveries(ctx, "a11y", 10, time.Minute)
		if err != nil || len(jobs) != 1 {
			s.t.Fatalf("a11y seed: the Flag's job: %+v %v", jobs, err)
		}
		return jobs[0]
	}
	j := flag(report("delivered.example", true), "delivered.example")
	_, err := s.Store.CompleteDeliveries(ctx, "a11y", []models.Delivered{{ID: j.ID, Host: j.Host, Status: 202, ReportID: j.ReportID}})
	s.must("deliver", err)
	j = flag(report("refused.example", true), "refused.example")
	s.must("refuse", s.Store.FailDelivery(ctx, j.ID, "a11y", 403, "status 403", time.Time{}, models.ForwardErrorRefused))
	blocked := report("blocked.example", true)
	_, err = s.Store.BlockDomain(ctx, s.admin, "blocked.example", "Publicités")
	s.must("block", err)
	_, err = s.Store.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: s.URL + "/actor#flags/" + strconv.FormatInt(blocked, 10),
		Body: []byte("{}"), SignerID: mod.Actor.ID, Inboxes: []string{"https://blocked.example/users/max/inbox"}, ReportID: blocked})
	s.must("a Flag to a blocked domain", err)
	sent := report("sent.example", false)
	s.must("forward", s.Store.ForwardReport(ctx, mod, sent, "Merci de regarder."))
	_, err = s.Store.DB.NewRaw("UPDATE reports SET forward_status = 'sent', forward_delivered_at = NULL WHERE id = ?", sent).Exec(ctx)
	s.must("forwarded before deliveries were followed", err)
	s.must("dismiss", s.Store.DismissReport(ctx, mod, report("dismissed.example", false), "Rien à redire."))
	c, err := s.Store.CreateComment(ctx, s.member.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: s.proposal, Body: "Spam spam."})
	s.must("comment", err)
	_, err = s.Store.CreateReport(ctx, s.admin.Actor, models.ReportInput{ObjectType: models.ObjectTypeComment, ObjectID: c.ID, Reason: "Spam"})
	s.must("report", err)
	s.must("hide", s.Store.HideObject(ctx, mod, models.ObjectTypeComment, c.ID, "Spam"))
}

// seedFederationAdmin: a dead letter that is not a Flag and a peer whose
// circuit is open, besides seedModeration's refused Flag and blocked
// domain.
func (s *a11ySite) seedFederationAdmin(ctx context.Context) {
	_, err := s.Store.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: s.URL + "/activities/1", Body: []byte("{}"),
		SignerID: s.admin.Actor.ID, Inboxes: []string{"https://gone.example/inbox"}})
	s.must("enqueue", err)
	jobs, err := s.Store.ClaimDeliveries(ctx, "a11y", 10, time.Minute)
	if err != nil || len(jobs) != 1 {
		s.t.Fatalf("a11y seed: the delivery: %+v %v", jobs, err)
	}
	s.must("dead letter", s.Store.FailDelivery(ctx, jobs[0].ID, "a11y", 410, "status 410", time.Time{}, models.ForwardErrorRefused))
	_, err = s.Store.HostFailed(ctx, "down.example", "connection refused", 1, time.Hour)
	s.must("open circuit", err)
}
