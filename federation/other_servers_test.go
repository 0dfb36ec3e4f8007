package federation

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// pollRules are what other servers require of a debate or petition
// before they show it, read from their source (docs/FEDERATION.md,
// "Other servers"); each returns what it would refuse, or "".
var pollRules = map[string]func(q map[string]any) string{
	// Pleroma and Akkoma, ObjectValidators.QuestionValidator.validate_data
	// and QuestionOptionsValidator.changeset: a Question needs oneOf or
	// anyOf, each option type Note with a name, replies a Collection;
	// closed a date string; to or cc; the actor on the id's host.
	"pleroma": func(q map[string]any) string {
		if q["type"] != "Question" {
			return ""
		}
		opts := pollItems(q)
		if len(opts) == 0 {
			return "a Question without oneOf or anyOf"
		}
		for _, o := range opts {
			od, _ := o.(map[string]any)
			if od["type"] != "Note" || str(od, "name") == "" {
				return "an option without type Note and a name"
			}
			if r, ok := od["replies"].(map[string]any); ok && r["type"] != "Collection" {
				return "an option's replies not a Collection"
			}
		}
		if c, ok := q["closed"]; ok && !isDate(c) {
			return "closed not a date"
		}
		if len(idsOf(q["to"])) == 0 && len(idsOf(q["cc"])) == 0 {
			return "neither to nor cc"
		}
		if hostOf(idOf(q["attributedTo"])) != hostOf(idOf(q["id"])) {
			return "attributedTo on another host than the id"
		}
		return ""
	},
	// GoToSocial, ap.ExtractPoll and GetClosed: options with a name,
	// closed read only as a date.
	"gotosocial": func(q map[string]any) string {
		for _, o := range pollItems(q) {
			if od, _ := o.(map[string]any); str(od, "name") == "" {
				return "an option without a name"
			}
		}
		if c, ok := q["closed"]; ok && !isDate(c) {
			return "closed not a date: the poll would look open"
		}
		return ""
	},
	// Misskey, ApNoteService.validateNote: the id and attributedTo on the
	// same host, a readable published.
	"misskey": func(q map[string]any) string {
		if hostOf(idOf(q["attributedTo"])) != hostOf(idOf(q["id"])) {
			return "attributedTo on another host than the id"
		}
		if !isDate(q["published"]) {
			return "published not a date"
		}
		return ""
	},
}

// pollItems are a Question's options, as Mastodon's PollParser reads them.
func pollItems(q map[string]any) []any {
	if opts, ok := q["anyOf"].([]any); ok {
		return opts
	}
	opts, _ := q["oneOf"].([]any)
	return opts
}

func isDate(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	_, err := time.Parse(time.RFC3339, s)
	return err == nil
}

// TestGoldenPollsPassOtherServersRules checks every debate and petition
// odn sends (the golden documents) against what Pleroma/Akkoma,
// GoToSocial and Misskey refuse. Before, the debate waiting for its
// consultation's contribution phase was a Question without options,
// which Pleroma and Akkoma dropped.
func TestGoldenPollsPassOtherServersRules(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no golden documents: %v", err)
	}
	seen := 0
	for _, path := range paths {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		for obj, ok := m["object"].(map[string]any); ok; obj, ok = m["object"].(map[string]any) {
			m = obj // the object of a Create, Update or Announce{Create}
		}
		if k := str(m, PropODNType); k != ODNTypeDebate && k != ODNTypePetition {
			continue
		}
		seen++
		for server, rule := range pollRules {
			if why := rule(m); why != "" {
				t.Errorf("%s: %s refuses it: %s", filepath.Base(path), server, why)
			}
		}
	}
	if seen < 5 {
		t.Fatalf("only %d debates and petitions among the golden documents", seen)
	}
	if !strings.Contains(strings.Join(paths, " "), "debate_question_pending") {
		t.Error("no golden debate waiting for its contribution phase")
	}
}
