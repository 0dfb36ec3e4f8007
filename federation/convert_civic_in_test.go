package federation

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

func TestStanceOf(t *testing.T) {
	mention := `<span class="h-card"><a href="https://town.example/@ville" class="u-url mention">@<span>ville</span></a></span> `
	for _, c := range []struct{ content, want string }{
		{"<p>For: more trees</p>", StanceFor},
		{"<p>" + mention + "pour : plus d'arbres</p>", StanceFor},
		{"<p>" + mention + "Pour\u00a0: plus d'arbres</p>", StanceFor},
		{"<p>+1 good idea</p>", StanceFor},
		{"<p>CONTRE: trop cher</p>", StanceAgainst},
		{"<p>" + mention + mention + "against: too costly</p>", StanceAgainst},
		{"<p>-1 no</p>", StanceAgainst},
		{"<p>I am for it</p>", ""},
		{"<p>+10 points</p>", ""},
		{"<p>pourquoi pas ?</p>", ""},
		{"", ""},
	} {
		if got := stanceOf(map[string]any{"content": c.content}); got != c.want {
			t.Errorf("stanceOf(%q) = %q, want %q", c.content, got, c.want)
		}
	}
	if got := stanceOf(map[string]any{"content": "<p>hello</p>", PropODNStance: "against"}); got != StanceAgainst {
		t.Errorf("odn:stance ignored: %q", got)
	}
}

func TestVoteOf(t *testing.T) {
	for _, c := range []struct {
		obj map[string]any
		ok  bool
	}{
		{map[string]any{"name": "Yes", "inReplyTo": "https://a.example/d/1"}, true},
		{map[string]any{"name": "Yes", "inReplyTo": "https://a.example/d/1", "content": ""}, true},
		{map[string]any{"name": "Yes", "inReplyTo": "https://a.example/d/1", "content": "<p>a reply with a title</p>"}, false},
		{map[string]any{"name": "Yes"}, false},
		{map[string]any{"inReplyTo": "https://a.example/d/1", "content": "<p>hi</p>"}, false},
	} {
		if _, _, ok := voteOf(c.obj); ok != c.ok {
			t.Errorf("voteOf(%v) = %v, want %v", c.obj, ok, c.ok)
		}
	}
}

// TestQuestionToRemoteDebate reads Mastodon's own poll shape.
func TestQuestionToRemoteDebate(t *testing.T) {
	raw, err := os.ReadFile("testdata/mastodon/question.json")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	d := questionToRemoteDebate(m)
	if d.Question != "<p>Should the Saturday market move to the riverside?</p>" || d.Multiple || len(d.Options) != 2 ||
		d.Counts[0] != 5 || d.Counts[1] != 2 || d.Voters != 7 || d.ClosesAt == nil || d.Closed || d.Updated.IsZero() {
		t.Errorf("debate = %+v", d)
	}
	if civicKind(m) != "" {
		t.Error("a Mastodon poll has no odn:type: it is not copied")
	}
	m["anyOf"], m["oneOf"] = m["oneOf"], nil
	m["closed"] = "2026-03-14T08:00:00Z"
	if d := questionToRemoteDebate(m); !d.Multiple || !d.Closed {
		t.Errorf("anyOf, closed: %+v", d)
	}
}

func TestRemotePetitionAndProposal(t *testing.T) {
	p := questionToRemotePetition(map[string]any{
		"id": "https://a.example/pe/1", "type": "Question", "name": "Save the hall", "content": "<p>Save it</p>",
		PropODNGoal: 100.0, PropODNSignatures: 42.0, PropVotersCount: 40.0, PropODNStatus: "answered",
		"anyOf": []any{map[string]any{"type": "Note", "name": SignOption}},
	})
	if p.Goal != 100 || p.Signatures != 42 || !p.Answered || p.Title != "Save the hall" {
		t.Errorf("petition = %+v", p)
	}
	pr := noteToRemoteProposal(map[string]any{
		"id": "https://a.example/p/1", "type": "Note", "name": "Trees & benches",
		"content": "<p><strong>Trees &amp; benches</strong></p><p>Body</p>", "likes": map[string]any{"totalItems": 3.0},
		"tag": []any{map[string]any{"type": "Hashtag", "name": "#vert"}, map[string]any{"type": "Mention", "name": "@x"},
			map[string]any{"type": "Hashtag", "name": "#écologie"}},
	})
	if pr.Supports != 3 || pr.ContentHTML != "<p>Body</p>" || strings.Join(pr.Tags, ",") != "vert,écologie" {
		t.Errorf("proposal = %+v", pr)
	}
}

// FuzzCivicIn runs the incoming civic conversions on arbitrary JSON.
func FuzzCivicIn(f *testing.F) {
	for _, b := range fixtures(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := decodeObject(raw)
		if err != nil {
			return
		}
		obj, _ := m["object"].(map[string]any)
		for _, x := range []map[string]any{m, obj} {
			stanceOf(x)
			voteOf(x)
			questionToRemoteDebate(x)
			questionToRemotePetition(x)
			noteToRemoteProposal(x)
		}
	})
}

// TestGoldenCivicIn reads back what the publish side writes
// (testdata/golden): the wire contract round-trips.
func TestGoldenCivicIn(t *testing.T) {
	read := func(name string) map[string]any {
		raw, err := os.ReadFile("testdata/golden/" + name)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	if m := read("proposal_note.json"); civicKind(m) != ODNTypeProposal {
		t.Errorf("proposal odn:type = %q", civicKind(m))
	} else if p := noteToRemoteProposal(m); p.Title != "Des bancs &lt;place&gt; Carnot" || p.Supports != 51 || p.Status != "threshold_reached" ||
		strings.Contains(p.ContentHTML, "<strong>Des bancs") || p.Updated.IsZero() {
		t.Errorf("proposal = %+v", p)
	}
	// A decision reads the same in the proposal and in its answer Note:
	// the copy tells its supporters once, by whichever comes first.
	if p, a := noteToRemoteProposal(read("proposal_note_answered.json")), read("proposal_answer_note.json"); p.Threshold != 50 ||
		p.AnsweredAt == nil || !p.AnsweredAt.Equal(updatedOf(a)) {
		t.Errorf("answered proposal: threshold %d, answered at %v; its answer Note at %v", p.Threshold, p.AnsweredAt, updatedOf(a))
	}
	if p := noteToRemoteProposal(read("proposal_note.json")); p.AnsweredAt != nil {
		t.Errorf("undecided proposal answered at %v", p.AnsweredAt)
	}
	if m := read("debate_question_open.json"); civicKind(m) != ODNTypeDebate {
		t.Errorf("debate odn:type = %q", civicKind(m))
	} else if d := questionToRemoteDebate(m); d.Question != "Quel aménagement pour la place ?" || len(d.Options) != 3 ||
		d.Counts[0] != 4 || d.Voters != 7 || d.Multiple || d.Closed || d.ClosesAt == nil {
		t.Errorf("debate = %+v", d)
	}
	if d := questionToRemoteDebate(read("debate_question_open.json")); d.Consultation != nil {
		t.Errorf("a debate of no consultation read with one: %+v", d.Consultation)
	}
	// A copy applies the origin's phases (models.RemoteConsultation).
	if c := questionToRemoteDebate(read("debate_question_consultation.json")).Consultation; c == nil ||
		c.URI != gBase+"/consultations/5" || c.URL != c.URI || c.Title != "Place Carnot" || !c.OpensAt.Equal(gT0) ||
		!c.ContributionAt.Equal(gT0) || !c.SynthesisAt.Equal(gClosed) || !c.ClosesAt.Equal(gClose.Add(7*24*time.Hour)) ||
		!c.UpdatedAt.Equal(gT1) || c.WithdrawnAt != nil {
		t.Errorf("debate's consultation = %+v", c)
	}
	if d := questionToRemoteDebate(read("debate_question_closed.json")); !d.Closed {
		t.Errorf("closed debate read as open: %+v", d)
	}
	if d := questionToRemoteDebate(read("debate_question_hidden.json")); d.Counts[0] != 0 || d.Voters != 0 {
		t.Errorf("hidden results read as counts: %+v", d)
	}
	if m := read("petition_question.json"); civicKind(m) != ODNTypePetition {
		t.Errorf("petition odn:type = %q", civicKind(m))
	} else if p := questionToRemotePetition(m); p.Goal != 1000 || p.Signatures != 250 || p.Answered || p.ClosesAt == nil {
		t.Errorf("petition = %+v", p)
	}
	if p := questionToRemotePetition(read("petition_question_answered.json")); !p.Answered {
		t.Errorf("answered petition = %+v", p)
	}
	vote, _ := read("update_debate_results.json")["object"].(map[string]any)
	if _, _, ok := voteOf(vote); ok {
		t.Error("a results Update read as a vote")
	}
	arg, _ := read("create_argument.json")["object"].(map[string]any)
	if st := stanceOf(arg); st == "" {
		t.Errorf("argument stance not read: %v", arg)
	}
}

// TestCivicBodyFromGoldenDocuments: a copy's description is the origin's
// own, not the content odn writes for Mastodon (title, addressee, status
// line, hashtags, permalink): from the Markdown source, and from the
// content when the source is missing (odn before 2026-12-07).
func TestCivicBodyFromGoldenDocuments(t *testing.T) {
	docs := goldenDocs()
	for _, tc := range []struct {
		name, fromSource, fromContent string
	}{
		{"proposal_note", strings.TrimSpace(models.RenderMarkdown("Il manque des *bancs*.\n\n## Pourquoi")), "<p>Il manque des <em>bancs</em>.</p><p><strong>Pourquoi</strong></p>"},
		{"debate_question_open", "<p>Trois projets.</p>", "<p>Trois projets.</p>"},
		{"petition_question", "<p>Le marché doit rester le samedi.</p>", "<p>Le marché doit rester le samedi.</p>"},
		{"petition_question_answered", "<p>Le marché doit rester le samedi.</p>", "<p>Le marché doit rester le samedi.</p>"},
		{"debate_question_closed", "<p>Trois projets.</p>", "<p>Trois projets.</p>"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := onWire(t, docs[tc.name])
			if got := strings.TrimSpace(civicBody(m)); got != tc.fromSource {
				t.Errorf("from source: %q, want %q", got, tc.fromSource)
			}
			delete(m, "source")
			if got := civicBody(m); got != tc.fromContent {
				t.Errorf("from content: %q, want %q", got, tc.fromContent)
			}
		})
	}
}
