package federation

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/go-fed/activity/streams/vocab"
)

// fixtures returns every peer payload under testdata, keyed by its path.
func fixtures(tb testing.TB) map[string][]byte {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "*", "*.json"))
	if err != nil || len(paths) == 0 {
		tb.Fatalf("no fixtures: %v", err)
	}
	out := make(map[string][]byte, len(paths))
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		out[filepath.ToSlash(p)] = b
	}
	return out
}

func TestFixturesParse(t *testing.T) {
	for path, raw := range fixtures(t) {
		t.Run(path, func(t *testing.T) {
			typed, m, err := ParseActivity(context.Background(), raw)
			if err != nil {
				t.Fatalf("ParseActivity: %v", err)
			}
			id, typ, actor, err := PeekType(raw)
			if err != nil {
				t.Fatalf("PeekType: %v", err)
			}
			if typ != typed.GetTypeName() || id != m["id"] {
				t.Errorf("PeekType = %q %q, go-fed = %q %v", id, typ, typed.GetTypeName(), m["id"])
			}
			if a, ok := m["actor"].(string); ok && a != actor {
				t.Errorf("PeekType actor = %q, want %q", actor, a)
			}
			if pk, ok := m["publicKey"].(map[string]any); ok {
				checkPublicKey(t, m, pk)
			}
		})
	}
}

// checkPublicKey checks an actor's key: parseable PEM, owner is the actor
// and KeyIDToActor finds the actor from the key id.
func checkPublicKey(t *testing.T, actor, pk map[string]any) {
	t.Helper()
	pemText, _ := pk["publicKeyPem"].(string)
	if _, err := ParsePublicKeyPEM(pemText); err != nil {
		t.Errorf("publicKeyPem: %v", err)
	}
	keyID, _ := pk["id"].(string)
	if pk["owner"] != actor["id"] || KeyIDToActor(keyID) != actor["id"] {
		t.Errorf("key %q owner %v, actor %v", keyID, pk["owner"], actor["id"])
	}
}

// TestFixtureDetails checks what odn will read from specific payloads.
func TestFixtureDetails(t *testing.T) {
	all := fixtures(t)
	parse := func(path string) (vocab.Type, map[string]any) {
		t.Helper()
		typed, m, err := ParseActivity(context.Background(), all[path])
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return typed, m
	}

	_, actor := parse("testdata/mastodon/person.json")
	if got := SharedInbox(actor); got != "https://mastodon.example/inbox" {
		t.Errorf("mastodon sharedInbox = %q", got)
	}
	if v, ok := BoolProperty(actor, PropIndexable); !ok || !v {
		t.Errorf("mastodon indexable = %v, %v", v, ok)
	}

	typed, q := parse("testdata/mastodon/question.json")
	question, ok := typed.(vocab.ActivityStreamsQuestion)
	if !ok {
		t.Fatalf("question is %T", typed)
	}
	var names []string
	for it := question.GetActivityStreamsOneOf().Begin(); it != nil; it = it.Next() {
		if n := it.GetActivityStreamsNote(); n != nil {
			names = append(names, n.GetActivityStreamsName().At(0).GetXMLSchemaString())
		}
	}
	if len(names) != 2 || names[0] != "Yes" {
		t.Errorf("poll options = %v", names)
	}
	if n, ok := IntProperty(q, PropVotersCount); !ok || n != 7 {
		t.Errorf("votersCount = %d, %v", n, ok)
	}

	typed, _ = parse("testdata/mastodon/vote.json")
	vote := typed.(vocab.ActivityStreamsCreate).GetActivityStreamsObject().At(0).GetActivityStreamsNote()
	if vote == nil || vote.GetActivityStreamsName().At(0).GetXMLSchemaString() != "Keep it in the old town" ||
		vote.GetActivityStreamsInReplyTo().At(0).GetIRI().String() != "https://odn.example/debates/42" {
		t.Errorf("vote not read as Create{Note{name, inReplyTo}}")
	}

	typed, _ = parse("testdata/lemmy/dislike_page.json")
	if _, ok := typed.(vocab.ActivityStreamsDislike); !ok {
		t.Errorf("lemmy dislike is %T", typed)
	}
	typed, _ = parse("testdata/mastodon/delete_note.json")
	del := typed.(vocab.ActivityStreamsDelete).GetActivityStreamsObject().At(0)
	if del.GetActivityStreamsTombstone() == nil {
		t.Errorf("delete object is not a Tombstone")
	}

	_, mk := parse("testdata/misskey/create_note.json")
	obj := mk["object"].(map[string]any)
	if obj[PropMisskeyContent] == "" || SanitizeIncomingHTML(obj["content"].(string)) == "" {
		t.Errorf("misskey content lost")
	}
	_, grp := parse("testdata/mobilizon/group.json")
	if SharedInbox(grp) != "https://mobilizon.example/inbox" || grp["openness"] != "open" {
		t.Errorf("mobilizon group extensions lost: %v", grp["endpoints"])
	}
}
