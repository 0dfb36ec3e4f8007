package federation

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// Golden tests of what odn sends about civic objects: each document is
// diffed against testdata/golden/<name>.json (go test ./federation -run
// Golden -update rewrites them; review the diff before committing), checked
// for what Mastodon needs, and parsed back through ParseActivity (go-fed).

var updateGolden = flag.Bool("update", false, "rewrite testdata/golden files")

const gBase = "https://odn.example"

var (
	gT0     = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	gT1     = gT0.Add(2 * time.Hour)
	gClose  = gT0.Add(7 * 24 * time.Hour)
	gNow    = gT0.Add(3 * time.Hour)
	gClosed = gT0.Add(5 * 24 * time.Hour)
)

func gActor(id int64, typ, name string) *models.Actor {
	uri := gBase + "/actors/" + name
	page := gBase + "/@" + name
	if typ == models.ActorGroup {
		page = gBase + "/s/" + name
	}
	return &models.Actor{ID: id, URI: uri, Type: typ, Username: name, Host: "odn.example", Local: true, URL: page,
		Inbox: uri + "/inbox", SharedInbox: gBase + "/inbox", Outbox: uri + "/outbox",
		FollowersURI: uri + "/followers", FollowingURI: uri + "/following", PublicKeyID: uri + "#main-key"}
}

type goldenWorld struct {
	space                 *models.Space
	alice, mod, mayor, bo *models.Actor
}

func newGoldenWorld() goldenWorld {
	w := goldenWorld{alice: gActor(2, models.ActorPerson, "alice"), mod: gActor(3, models.ActorPerson, "modo"),
		mayor: gActor(4, models.ActorPerson, "maire"), bo: gActor(5, models.ActorPerson, "bo")}
	w.space = &models.Space{ID: 1, Name: "ville", Title: "Ville", SupportThreshold: 50, ActorID: 1,
		Actor: gActor(1, models.ActorGroup, "ville")}
	return w
}

func (w goldenWorld) proposal() *models.Proposal {
	return &models.Proposal{ID: 7, URI: gBase + "/p/7", URL: gBase + "/p/7", Local: true, SpaceID: 1, AuthorID: 2,
		Title: "Des bancs <place> Carnot", Body: "Il manque des *bancs*.\n\n## Pourquoi", BodyHTML: "<p>Il manque des <em>bancs</em>.</p><script>alert(1)</script><h2>Pourquoi</h2>",
		Status: models.ProposalThresholdReached, SupportsCount: 51, Tags: []string{"mobilier", "place-carnot", "écologie"},
		CreatedAt: gT0, UpdatedAt: gT1, Author: w.alice, Space: w.space}
}

func (w goldenWorld) debate(visibility string, phase string) *models.Debate {
	d := &models.Debate{ID: 3, URI: gBase + "/d/3", URL: gBase + "/d/3", SpaceID: 1, AuthorID: 3,
		Question: "Quel aménagement pour la place ?", Description: "Trois projets.", DescriptionHTML: "<p>Trois projets.</p>",
		Options: []string{"Jardin", "Marché", "Parking"}, Phase: phase, Current: phase, OpensAt: &gT0, ClosesAt: &gClose,
		ResultsVisibility: visibility, Counts: []int{4, 2, 1}, Voters: 7, ResultsUpdatedAt: gT1, Local: true,
		CreatedAt: gT0, UpdatedAt: gT0, Author: w.mod}
	if phase == models.DebateClosed {
		d.ClosedAt = &gClosed
		d.UpdatedAt = gClosed
	}
	return d
}

func goldenResults() *models.Results {
	return &models.Results{DebateID: 3, Voters: 7, UpdatedAt: gT1,
		Options:    []models.OptionCount{{Name: "Jardin", Count: 4}, {Name: "Marché", Count: 2}, {Name: "Parking", Count: 1}},
		ByInstance: map[string]int{"odn.example": 5, "mastodon.example": 2}}
}

func (w goldenWorld) petition() *models.Petition {
	return &models.Petition{ID: 9, URI: gBase + "/pe/9", URL: gBase + "/pe/9", Local: true, SpaceID: 1, AuthorID: 2, AddresseeID: 4,
		Title: "Sauvons le marché", Body: "Le marché doit rester le samedi.", BodyHTML: "<p>Le marché doit rester le samedi.</p>", Goal: 1000, SignaturesCount: 250,
		ClosesAt: &gClose, Status: models.PetitionOpen, CreatedAt: gT0, UpdatedAt: gT0,
		Author: w.alice, Addressee: w.mayor, Space: w.space}
}

// goldenDocs lists every civic document and activity odn publishes.
func goldenDocs() map[string]doc {
	w := newGoldenWorld()
	p := w.proposal()
	answered := w.proposal()
	answered.Status, answered.AnswerHTML, answered.AnsweredAt, answered.Answerer = models.ProposalAccepted,
		"<p>Les bancs seront installés en mars.</p>", &gT1, w.mod
	pe := w.petition()
	peAnswered := w.petition()
	peAnswered.Status, peAnswered.ResponseHTML, peAnswered.RespondedAt, peAnswered.UpdatedAt = models.PetitionAnswered,
		"<p>Le marché reste le samedi.</p>", &gT1, gT1
	upd := &models.PetitionUpdate{ID: 2, URI: gBase + "/pe/9/updates/2", PetitionID: 9, AuthorID: 2,
		BodyHTML: "<p>Rendez-vous avec la mairie jeudi.</p>", CreatedAt: gT1}
	// Edited an hour later (models.EditPetitionUpdate, EditPetitionResponse).
	edited := gT1.Add(time.Hour)
	updEdited := *upd
	updEdited.BodyHTML, updEdited.EditedAt = "<p>Rendez-vous avec la mairie vendredi.</p>", &edited
	peEdited := w.petition()
	peEdited.Status, peEdited.ResponseHTML, peEdited.RespondedAt, peEdited.ResponseEditedAt, peEdited.UpdatedAt = models.PetitionAnswered,
		"<p>Le marché reste le samedi et le mercredi.</p>", &gT1, &edited, edited
	target := CivicTarget{URI: gBase + "/d/3", Author: w.mod, Space: w.space}
	argument := &models.Comment{ID: 11, URI: gBase + "/c/11", URL: gBase + "/c/11", ObjectType: models.ObjectTypeDebate, ObjectID: 3,
		AuthorID: 2, Stance: models.StanceFor, BodyHTML: "<p>Un jardin rafraîchit la place.</p>", InReplyToURI: gBase + "/d/3",
		Local: true, CreatedAt: gT1, UpdatedAt: gT1, Author: w.alice}
	reply := &models.Comment{ID: 12, URI: gBase + "/c/12", URL: gBase + "/c/12", ObjectType: models.ObjectTypeDebate, ObjectID: 3,
		AuthorID: 5, ParentID: 11, BodyHTML: "<p>Et l'entretien ?</p>", InReplyToURI: gBase + "/c/11",
		Local: true, CreatedAt: gT1, UpdatedAt: gT1, Author: w.bo}
	news := &models.News{ID: 4, URI: gBase + "/news/4", SpaceID: 1, AuthorID: 3, Title: "Atelier samedi",
		BodyHTML: "<p>Atelier à la maison de quartier.</p>", PublishedAt: gT0, CreatedAt: gT0, UpdatedAt: gT0}
	cons := &models.Consultation{ID: 5, URI: gBase + "/consultations/5", SpaceID: 1, Title: "Place Carnot",
		Summary: "Que faire de la place ?", BodyHTML: "<p>Trois mois pour décider.</p>",
		OpensAt: gT0, ContributionAt: gT0, SynthesisAt: gClose, ClosesAt: gClose.Add(7 * 24 * time.Hour), CreatedAt: gT0, UpdatedAt: gT1}
	syn := &models.Synthesis{ID: 1, URI: gBase + "/consultations/5/synthesis", SpaceID: 1, ConsultationID: 5, AuthorID: 3,
		BodyHTML: "<p>212 contributions, trois priorités.</p>", PublishedAt: &gT1, CreatedAt: gT0, UpdatedAt: gT1}

	note := ProposalToNote(gBase, p, 50)
	question := DebateToQuestion(w.debate(models.ResultsLive, models.DebateOpen), w.space, goldenResults())
	petition := PetitionToQuestion(pe, gNow)
	argNote := CommentToNote(argument, target, nil)
	create := CreateCivic(w.alice, note)
	// A debate of a consultation whose contribution phase ends before the
	// debate's own close: its consultation with the phases, and that end.
	inCons := DebateToQuestion(w.debate(models.ResultsLive, models.DebateOpen), w.space, goldenResults())
	early := *cons
	early.SynthesisAt = gClosed
	inConsultation(inCons, &early, w.space, true, gNow)
	// The same before the consultation's contribution phase: no poll yet.
	pending := DebateToQuestion(w.debate(models.ResultsLive, models.DebateOpen), w.space, goldenResults())
	later := *cons
	later.ContributionAt = gT0.Add(24 * time.Hour)
	inConsultation(pending, &later, w.space, true, gNow)
	collection := ConsultationToCollection(cons, w.space, []string{gBase + "/p/7", gBase + "/d/3"}, syn.URI)
	return map[string]doc{
		"proposal_note":                   note,
		"proposal_answer_note":            ProposalAnswerToNote(answered, answered.Answerer),
		"proposal_note_answered":          ProposalToNote(gBase, answered, 50),
		"debate_question_open":            question,
		"debate_question_hidden":          DebateToQuestion(w.debate(models.ResultsAfterClose, models.DebateOpen), w.space, nil),
		"debate_question_closed":          DebateToQuestion(w.debate(models.ResultsAfterClose, models.DebateClosed), w.space, goldenResults()),
		"petition_question":               petition,
		"petition_question_answered":      PetitionToQuestion(peAnswered, gNow),
		"petition_response_note":          PetitionResponseToNote(peAnswered),
		"petition_update_note":            PetitionUpdateToNote(pe, upd),
		"update_petition_update_edited":   UpdateCivic(w.alice, PetitionUpdateToNote(pe, &updEdited), edited),
		"update_petition_response_edited": UpdateCivic(w.mayor, PetitionResponseToNote(peEdited), edited),
		"comment_argument_note":           argNote,
		"comment_reply_note":              CommentToNote(reply, target, w.alice),
		"news_note":                       NewsToNote(news, w.space),
		"synthesis_note":                  SynthesisToNote(syn, cons, w.space, []string{gBase + "/p/7", gBase + "/d/3"}),
		"consultation_collection":         collection,
		"debate_question_consultation":    inCons,
		"debate_question_pending":         pending,
		"create_proposal":                 create,
		"announce_create_proposal":        AnnounceDoc(w.space.Actor, bare(create), idOf(create["id"])),
		"announce_proposal":               AnnounceDoc(w.space.Actor, idOf(note["id"]), idOf(note["id"])+"#object"),
		"update_debate_results":           UpdateCivic(w.mod, question, gNow),
		"update_consultation":             UpdateConsultation(w.space.Actor, collection, gNow),
		"create_argument":                 CreateCivic(w.alice, argNote),
		"delete_proposal":                 DeleteCivic(w.alice, gBase+"/p/7", "Note", gNow, w.space),
		"flag_report":                     FlagDoc(&models.Actor{ID: 9, URI: gBase + "/actor", Type: models.ActorApplication}, &models.ForwardedReport{ID: 4, ObjectURI: "https://far.example/p/1", Author: &models.Actor{URI: "https://far.example/users/zoe"}, Reason: "Copied spam.", Attempt: 1}),
	}
}

// TestGoldenCivicDocuments diffs every document against its golden file.
func TestGoldenCivicDocuments(t *testing.T) {
	dir := filepath.Join("testdata", "golden")
	for name, d := range goldenDocs() {
		t.Run(name, func(t *testing.T) {
			got, err := encodeDoc(d)
			if err != nil {
				t.Fatal(err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, got, "", "  "); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			path := filepath.Join(dir, name+".json")
			if *updateGolden {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./federation -run Golden -update, then review)", err)
			}
			if !bytes.Equal(want, pretty.Bytes()) {
				t.Errorf("%s differs from the golden file; got:\n%s", path, pretty.String())
			}
		})
	}
}

// mastodonHTML matches the tags Mastodon keeps (INTEROP.md).
var anyTag = regexp.MustCompile(`</?([a-zA-Z0-9]+)`)

var mastodonTags = map[string]bool{"p": true, "br": true, "span": true, "a": true, "del": true, "pre": true, "code": true,
	"em": true, "strong": true, "b": true, "i": true, "u": true, "ul": true, "ol": true, "li": true, "blockquote": true}

// objectOf returns the civic object of a document: itself, or the object
// of an activity.
func objectOf(d doc) doc {
	if o, ok := d["object"].(doc); ok && o["type"] != "Tombstone" {
		if inner, ok := o["object"].(doc); ok {
			return inner
		}
		return o
	}
	if _, isActivity := d["actor"]; isActivity {
		return nil
	}
	return d
}

// TestCivicDocumentsForMastodon checks what Mastodon needs of every object
// and that each document round-trips through go-fed.
func TestCivicDocumentsForMastodon(t *testing.T) {
	for name, d := range goldenDocs() {
		t.Run(name, func(t *testing.T) {
			raw, err := encodeDoc(d)
			if err != nil {
				t.Fatal(err)
			}
			typ, m, err := ParseActivity(context.Background(), raw)
			if err != nil {
				t.Fatalf("go-fed cannot read it: %v", err)
			}
			if typ.GetTypeName() != d["type"] {
				t.Errorf("go-fed type %s, sent %s", typ.GetTypeName(), d["type"])
			}
			ctx, _ := m["@context"].([]any)
			if len(ctx) != 3 || ctx[0] != ActivityStreamsContext || ctx[1] != SecurityContext {
				t.Errorf("@context = %v", m["@context"])
			} else if ext, _ := ctx[2].(map[string]any); ext["odn"] != ODNNamespace || ext["votersCount"] == nil || ext["odn:stance"] == nil {
				t.Errorf("extension context lacks odn terms: %v", ext)
			}
			if m["id"] == "" || strings.Contains(idOf(objectOf(m)), "#") {
				t.Errorf("object id %q must be fragment-free", idOf(objectOf(m)))
			}
			obj := objectOf(d)
			if obj == nil || obj["type"] == "OrderedCollection" {
				return // an activity, or a consultation: served, never sent
			}
			checkMastodonObject(t, obj)
		})
	}
}

func checkMastodonObject(t *testing.T, obj doc) {
	t.Helper()
	typ, _ := obj["type"].(string)
	if typ != "Note" && typ != "Question" {
		t.Errorf("type %s: Mastodon shows only Note and Question fully", typ)
	}
	for _, k := range []string{"id", "attributedTo", "content", "url", "published"} {
		if s, _ := obj[k].(string); s == "" {
			t.Errorf("missing %s", k)
		}
	}
	to, _ := obj["to"].([]string)
	cc, _ := obj["cc"].([]string)
	if len(to) != 1 || to[0] != PublicCollection {
		t.Errorf("to = %v, want Public", to)
	}
	hasFollowers := false
	for _, c := range cc {
		hasFollowers = hasFollowers || strings.HasSuffix(c, "/followers")
	}
	if !hasFollowers {
		t.Errorf("cc = %v: no followers collection", cc)
	}
	if _, err := time.Parse(time.RFC3339, obj["published"].(string)); err != nil {
		t.Errorf("published: %v", err)
	}
	content := obj["content"].(string)
	for _, m := range anyTag.FindAllStringSubmatch(content, -1) {
		if !mastodonTags[strings.ToLower(m[1])] {
			t.Errorf("content has <%s>, outside Mastodon's HTML", m[1])
		}
	}
	if strings.Contains(content, "alert(1)") {
		t.Error("script content leaked")
	}
	if url, _ := obj["url"].(string); !strings.Contains(content, `href="`+url+`"`) && obj[PropODNType] != ODNTypeComment && obj[PropODNType] != ODNTypeArgument {
		t.Errorf("content does not link to the permalink %s", url)
	}
	if typ != "Question" && obj[PropODNOneOf] == nil && obj[PropODNAnyOf] == nil {
		return // not a poll, nor one before its consultation's contribution phase (a Note: pollOpensAt)
	}
	opts, _ := obj["oneOf"].([]any)
	if opts == nil {
		opts, _ = obj["anyOf"].([]any)
	}
	if opts == nil { // its consultation takes no votes yet: no poll, the options for odn peers (pollOpensAt)
		if opts, _ = obj[PropODNOneOf].([]any); opts == nil {
			opts, _ = obj[PropODNAnyOf].([]any)
		}
	}
	if len(opts) == 0 {
		t.Fatal("a Question without oneOf/anyOf (or, before its consultation's contribution phase, odn:oneOf/anyOf)")
	}
	_, counted := obj[PropVotersCount]
	for _, o := range opts {
		od := o.(doc)
		if od["type"] != "Note" || od["name"] == "" {
			t.Errorf("option %v", od)
		}
		replies, _ := od["replies"].(doc)
		if _, ok := replies["totalItems"]; counted && !ok {
			t.Errorf("option %v without replies.totalItems", od["name"])
		}
	}
	if _, ok := obj["endTime"].(string); !ok {
		t.Error("no endTime")
	}
}

// TestGoldenHiddenResults: results shown after the close are not on the
// wire before it.
func TestGoldenHiddenResults(t *testing.T) {
	q := goldenDocs()["debate_question_hidden"]
	raw, _ := json.Marshal(q) // without @context, which names the terms
	for _, k := range []string{"votersCount", "totalItems", "odn:byInstance"} {
		if bytes.Contains(raw, []byte(k)) {
			t.Errorf("hidden results leak %s: %s", k, raw)
		}
	}
	closed := goldenDocs()["debate_question_closed"]
	if closed["closed"] == nil || closed[PropVotersCount] != 7 {
		t.Errorf("closed debate: closed=%v votersCount=%v", closed["closed"], closed[PropVotersCount])
	}
	pe := goldenDocs()["petition_question"]
	opts := pe["anyOf"].([]any)
	if len(opts) != 1 || opts[0].(doc)["name"] != SignOption {
		t.Errorf("petition options %v", opts)
	}
}
