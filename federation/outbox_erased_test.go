package federation

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestErasedAuthorsByline: what went out before its author's erasure
// stays theirs (the copies hold it), while a draft debate opened after
// its creator's erasure, and the comment written on it, go out as the
// space's: its Group signs their Creates and is their attributedTo, the
// same at their ids.
func TestErasedAuthorsByline(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	newPeerInbox(t).follower(t, a, "fan", ville.Actor)
	mo, mo2, ada := moderator(t, a, "mo"), moderator(t, a, "mo2"), a.user(t, "ada")
	prop, err := a.st.CreateProposal(ctx, ada.Actor, "ville", models.ProposalInput{Title: "A fountain", Body: "On the square."})
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.st.CreateDebate(ctx, mo, ville, models.DebateInput{Question: "A market hall?", Options: []string{"Yes", "No"}})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.st.CreateComment(ctx, mo.Actor, models.CommentInput{ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, Body: "Background."})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	for _, acc := range []*models.Account{ada, mo} {
		if err := a.st.DeleteAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.st.OpenDebate(ctx, mo2, d.ID); err != nil {
		t.Fatal(err)
	}
	created := map[string]bool{}
	for _, o := range runEvents(t, a) {
		var m map[string]any
		if err := json.Unmarshal(o.Body, &m); err != nil {
			t.Fatal(err)
		}
		if m["type"] != "Create" {
			continue
		}
		obj, _ := m["object"].(map[string]any)
		created[idOf(obj)] = true
		if o.SignerID != ville.Actor.ID || m["actor"] != ville.Actor.URI || obj["attributedTo"] != ville.Actor.URI {
			t.Errorf("Create of %v signed by %d, actor %v, attributedTo %v; want all the space's (%s)",
				obj["id"], o.SignerID, m["actor"], obj["attributedTo"], ville.Actor.URI)
		}
	}
	if !created[d.URI] || !created[c.URI] {
		t.Errorf("Creates of %v, want the debate and its draft comment", created)
	}
	for _, tc := range []struct {
		kind string
		id   int64
		want string
	}{
		{models.ObjectTypeProposal, prop.ID, ada.Actor.URI}, // went out before the erasure
		{models.ObjectTypeDebate, d.ID, ville.Actor.URI},
		{models.ObjectTypeComment, c.ID, ville.Actor.URI},
	} {
		st, m := serveAS(a, tc.kind, strconv.FormatInt(tc.id, 10))
		if st != 200 || m["attributedTo"] != tc.want {
			t.Errorf("GET %s %d: %d, attributedTo %v, want %s", tc.kind, tc.id, st, m["attributedTo"], tc.want)
		}
	}
}

// TestErasedBeforeTheOutboxRan: an account erased after writing, before
// the outbox built the Creates of what it wrote (it runs after the
// commit, later when it is behind), through the outbox worker's path: no
// activity queued after the erasure names the account (its id, its name,
// its user name), but for its own Delete, which still goes to its
// followers. What the account wrote is not sent (sentByErased says why),
// while the others' activities still go.
func TestErasedBeforeTheOutboxRan(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	peer := newPeerInbox(t)
	peer.follower(t, a, "fan", ville.Actor)
	ada, bob := a.user(t, "ada"), a.user(t, "bob")
	peer.follower(t, a, "adafan", ada.Actor)
	if _, err := a.st.DB.ExecContext(ctx, "UPDATE actors SET name = 'Ada Lovelace' WHERE id = ?", ada.Actor.ID); err != nil {
		t.Fatal(err)
	}
	fountain, err := a.st.CreateProposal(ctx, bob.Actor, "ville", models.ProposalInput{Title: "A fountain", Body: "On the square."})
	if err != nil {
		t.Fatal(err)
	}
	drainOutbox(t, a)

	mine, err := a.st.CreateProposal(ctx, ada.Actor, "ville", models.ProposalInput{Title: "A bench", Body: "In the shade."})
	if err != nil {
		t.Fatal(err)
	}
	comment, err := a.st.CreateComment(ctx, ada.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: fountain.ID, Body: "Yes, with drinking water."})
	if err != nil {
		t.Fatal(err)
	}
	other, err := a.st.CreateComment(ctx, bob.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: fountain.ID, Body: "A small one."})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.DeleteAccount(ctx, ada); err != nil {
		t.Fatal(err)
	}
	drainOutbox(t, a)

	var bodies []string
	if err := a.st.DB.NewSelect().Table("delivery_bodies").Column("body").Scan(ctx, &bodies); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, body := range bodies {
		var m map[string]any
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Fatal(err)
		}
		seen[idOf(m["id"])] = true
		if m["type"] == "Delete" && idOf(m["object"]) == ada.Actor.URI {
			continue // the erasure's own notice
		}
		for _, trace := range []string{ada.Actor.URI, "Ada Lovelace", `"ada"`, "@ada"} {
			if strings.Contains(body, trace) {
				t.Errorf("%s %s, queued after ada's erasure, carries %q: %s", m["type"], idOf(m["id"]), trace, body)
			}
		}
	}
	for _, id := range []string{other.URI + "#create", ada.Actor.URI + "#delete"} {
		if !seen[id] {
			t.Errorf("%s not queued; queued: %v", id, seen)
		}
	}
	for _, id := range []string{mine.URI + "#create", comment.URI + "#create"} {
		if seen[id] {
			t.Errorf("%s, written by ada before her erasure, queued after it", id)
		}
	}
}

// drainOutbox runs the outbox worker's batches until no event is left:
// the activities are queued for delivery, as in production.
func drainOutbox(t *testing.T, n *node) {
	t.Helper()
	for {
		k, err := n.s.outboxBatch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 {
			return
		}
	}
}

// TestRepliesDoNotMentionErased: a reply to what an erased account
// wrote, and the official answer to its proposal, go out (and read at
// their ids) without mentioning it: its user name is no longer shown,
// and its actor answers 410.
func TestRepliesDoNotMentionErased(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	newPeerInbox(t).follower(t, a, "fan", ville.Actor)
	ada, bob, mo := a.user(t, "ada"), a.user(t, "bob"), moderator(t, a, "mo")
	prop, err := a.st.CreateProposal(ctx, ada.Actor, "ville", models.ProposalInput{Title: "A bench", Body: "In the shade."})
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.st.CreateComment(ctx, ada.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: prop.ID, Body: "Two, even."})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	if err := a.st.DeleteAccount(ctx, ada); err != nil {
		t.Fatal(err)
	}
	reply, err := a.st.CreateComment(ctx, bob.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: prop.ID, ParentID: c.ID, Body: "One is enough."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.SetProposalStatus(ctx, mo, prop.ID, models.ProposalAccepted, "Two benches are ordered."); err != nil {
		t.Fatal(err)
	}
	sent := map[string]string{}
	for _, o := range runEvents(t, a) {
		sent[o.ActivityID] = string(o.Body)
		var m map[string]any
		if err := json.Unmarshal(o.Body, &m); err != nil {
			t.Fatal(err)
		}
		if inner, ok := m["object"].(map[string]any); ok && m["type"] == "Announce" {
			sent[idOf(inner)] = string(o.Body) // an Announce{Create}
		}
	}
	_, got := serveAS(a, models.ObjectTypeComment, strconv.FormatInt(reply.ID, 10))
	served, _ := json.Marshal(got)
	for what, body := range map[string]string{
		"the reply's Create":  sent[reply.URI+"#create"],
		"the answer's Create": sent[prop.URI+AnswerSuffix+"#create"],
		"the reply at its id": string(served),
	} {
		if body == "" || body == "null" {
			t.Errorf("%s: none; sent %v", what, sent)
			continue
		}
		if strings.Contains(body, "@ada") || strings.Contains(body, ada.Actor.URI) {
			t.Errorf("%s mentions the erased ada: %s", what, body)
		}
	}
}

// sentActivity is an activity runEvents returned, bare or inside the
// space's Announce, with who signed the POST that carried it.
type sentActivity struct {
	m      map[string]any
	signer int64
	body   string
}

// activitiesOf indexes outs by activity type and object id.
func activitiesOf(t *testing.T, outs []models.Outgoing) map[string][]sentActivity {
	t.Helper()
	got := map[string][]sentActivity{}
	for _, o := range outs {
		var m map[string]any
		if err := json.Unmarshal(o.Body, &m); err != nil {
			t.Fatal(err)
		}
		if inner, ok := m["object"].(map[string]any); ok && m["type"] == "Announce" && inner["type"] != nil {
			if _, isActivity := inner["object"]; isActivity {
				m = inner
			}
		}
		key := m["type"].(string) + " " + idOf(m["object"])
		got[key] = append(got[key], sentActivity{m, o.SignerID, string(o.Body)})
	}
	return got
}

// TestOfficialAnswerOfErasedAnswerer: an official answer is the space's
// act. Its first answerer erased before the outbox sent it, the answer
// still goes out, as the space's (attributedTo and signer), and a later
// answer by another moderator is an Update of that Note, the space's
// too, as its id reads; nothing names the erased moderator. The same for
// a petition's response whose addressee was erased before it went out.
func TestOfficialAnswerOfErasedAnswerer(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	newPeerInbox(t).follower(t, a, "fan", ville.Actor)
	mo, mo2, ada := moderator(t, a, "mo"), moderator(t, a, "mo2"), a.user(t, "ada")
	maire := a.user(t, "maire")
	if _, err := a.st.DB.NewUpdate().Model((*models.Account)(nil)).Set("decider = ?", true).Where("id = ?", maire.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	prop, err := a.st.CreateProposal(ctx, ada.Actor, "ville", models.ProposalInput{Title: "A bench", Body: "In the shade."})
	if err != nil {
		t.Fatal(err)
	}
	pe, err := a.st.CreatePetition(ctx, ada.Actor, "ville", models.PetitionInput{Title: "A crossing", Body: "By the school.", Addressee: "maire", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	if _, err := a.st.SetProposalStatus(ctx, mo, prop.ID, models.ProposalAccepted, "Ordered."); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.RespondPetition(ctx, maire, pe.ID, "It will be painted."); err != nil {
		t.Fatal(err)
	}
	for _, acc := range []*models.Account{mo, maire} {
		if err := a.st.DeleteAccount(ctx, acc); err != nil {
			t.Fatal(err)
		}
	}
	answer, response := prop.URI+AnswerSuffix, pe.URI+ResponseSuffix
	first := activitiesOf(t, runEvents(t, a))
	if _, err := a.st.SetProposalStatus(ctx, mo2, prop.ID, models.ProposalAccepted, "Ordered: two benches."); err != nil {
		t.Fatal(err)
	}
	later := activitiesOf(t, runEvents(t, a))
	updates := 0
	for key, list := range later {
		if strings.HasPrefix(key, "Update "+answer) {
			updates += len(list)
		}
	}
	if len(later["Create "+answer]) != 0 || updates == 0 {
		t.Errorf("the later answer sent %d Creates and %d Updates of the answer, want an Update", len(later["Create "+answer]), updates)
	}
	for what, list := range map[string][]sentActivity{
		"the answer's Create":   first["Create "+answer],
		"the response's Create": first["Create "+response],
		"the answer's Update":   later["Update "+answer],
	} {
		if len(list) == 0 {
			t.Errorf("%s: none sent", what)
		}
		for _, act := range list {
			obj, _ := act.m["object"].(map[string]any)
			if act.signer != ville.Actor.ID || act.m["actor"] != ville.Actor.URI || obj["attributedTo"] != ville.Actor.URI {
				t.Errorf("%s signed by %d, actor %v, attributedTo %v; want the space's (%s)", what, act.signer, act.m["actor"], obj["attributedTo"], ville.Actor.URI)
			}
		}
	}
	for _, sent := range []map[string][]sentActivity{first, later} {
		for key, list := range sent {
			for _, act := range list {
				for _, gone := range []string{mo.Actor.URI, maire.Actor.URI} {
					if strings.Contains(act.body, gone) {
						t.Errorf("%s, built after the erasure, names %s: %s", key, gone, act.body)
					}
				}
			}
		}
	}
	for kind, id := range map[string]int64{kindProposalAnswer: prop.ID, kindPetitionResponse: pe.ID} {
		st, m := serveAS(a, kind, strconv.FormatInt(id, 10))
		if st != 200 || m["attributedTo"] != ville.Actor.URI {
			t.Errorf("GET %s %d: %d, attributedTo %v, want the space's", kind, id, st, m["attributedTo"])
		}
	}
}

// TestErasedAddresseeNotNamed: once the decision-maker a petition is
// addressed to is erased, the petition no longer carries their id (no
// Mention tag, cc or mention link), at its id and in what is built after
// the erasure (a Create the outbox had not sent yet, a count Update); it
// says it is addressed to a deleted account.
func TestErasedAddresseeNotNamed(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	newPeerInbox(t).follower(t, a, "fan", ville.Actor)
	ada, maire := a.user(t, "ada"), a.user(t, "maire")
	if _, err := a.st.DB.NewUpdate().Model((*models.Account)(nil)).Set("decider = ?", true).Where("id = ?", maire.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	sent, err := a.st.CreatePetition(ctx, ada.Actor, "ville", models.PetitionInput{Title: "A crossing", Body: "By the school.", Addressee: "maire", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	mentioned := false
	for _, o := range runEvents(t, a) {
		mentioned = mentioned || strings.Contains(string(o.Body), `"id":"`+sent.URI+`#create"`) && strings.Contains(string(o.Body), maire.Actor.URI)
	}
	if !mentioned {
		t.Fatal("the petition's Create before the erasure does not mention its addressee")
	}
	queued, err := a.st.CreatePetition(ctx, ada.Actor, "ville", models.PetitionInput{Title: "A bus stop", Body: "Here.", Addressee: "maire", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.st.DeleteAccount(ctx, maire); err != nil {
		t.Fatal(err)
	}
	docs := map[string]string{}
	for _, o := range runEvents(t, a) {
		docs[o.ActivityID] = string(o.Body)
	}
	update, _, err := a.s.countUpdate(ctx, models.CountUpdate{ObjectType: models.ObjectTypePetition, ObjectID: sent.ID})
	if err != nil || len(update) == 0 {
		t.Fatalf("count Update: %v, %d sent", err, len(update))
	}
	docs["the count Update"] = string(update[0].Body)
	for _, pe := range []*models.Petition{sent, queued} {
		st, m := serveAS(a, models.ObjectTypePetition, strconv.FormatInt(pe.ID, 10))
		served, _ := json.Marshal(m)
		if st != 200 || !strings.Contains(string(served), "deleted account") {
			t.Errorf("GET petition %d: %d, does not say its addressee's account was deleted: %s", pe.ID, st, served)
		}
		docs["GET "+pe.URI] = string(served)
	}
	var created bool
	for what, body := range docs {
		created = created || strings.Contains(what, queued.URI) || strings.Contains(body, `"id":"`+queued.URI+`#create"`)
		for _, trace := range []string{maire.Actor.URI, maire.Actor.URL, "@maire", `"Mention"`} {
			if strings.Contains(body, trace) {
				t.Errorf("%s, after the addressee's erasure, carries %q: %s", what, trace, body)
			}
		}
	}
	if !created {
		t.Errorf("the Create of the petition queued before the erasure was not sent; sent %v", docs)
	}
}

// TestAnswerSentBeforeItsAnswerersErasure: an answer that went out as its
// moderator's, who was then erased (Mastodon deletes an erased account's
// statuses on its Delete{Person}), is the space's from then on; the next
// answer, by another moderator, is therefore the space's Create of it
// (with an id of its own: the first Create's is taken), and the one after
// an Update.
func TestAnswerSentBeforeItsAnswerersErasure(t *testing.T) {
	ctx := context.Background()
	a := newNode(t, nil)
	ville := a.space(t, "ville")
	newPeerInbox(t).follower(t, a, "fan", ville.Actor)
	mo, mo2, ada := moderator(t, a, "mo"), moderator(t, a, "mo2"), a.user(t, "ada")
	prop, err := a.st.CreateProposal(ctx, ada.Actor, "ville", models.ProposalInput{Title: "A bench", Body: "In the shade."})
	if err != nil {
		t.Fatal(err)
	}
	answer := prop.URI + AnswerSuffix
	answerWith := func(by *models.Account, text string) map[string][]sentActivity {
		t.Helper()
		if _, err := a.st.SetProposalStatus(ctx, by, prop.ID, models.ProposalAccepted, text); err != nil {
			t.Fatal(err)
		}
		return activitiesOf(t, runEvents(t, a))
	}
	runEvents(t, a)
	first := answerWith(mo, "Ordered.")
	if len(first["Create "+answer]) == 0 || first["Create "+answer][0].m["actor"] != mo.Actor.URI {
		t.Fatalf("the first answer: %v, want mo's Create", first)
	}
	if err := a.st.DeleteAccount(ctx, mo); err != nil {
		t.Fatal(err)
	}
	runEvents(t, a)
	second := answerWith(mo2, "Ordered: two.")
	third := answerWith(mo2, "Ordered: three.")
	for _, tc := range []struct {
		what   string
		sent   map[string][]sentActivity
		create bool // else an Update
	}{
		{"the first answer after the erasure", second, true},
		{"the next one", third, false},
	} {
		var updates []sentActivity
		for key, list := range tc.sent {
			if strings.HasPrefix(key, "Update "+answer) {
				updates = append(updates, list...)
			}
		}
		creates := tc.sent["Create "+answer]
		if tc.create != (len(creates) > 0) || tc.create == (len(updates) > 0) {
			t.Errorf("%s: %d Creates, %d Updates of the answer; want a Create: %v", tc.what, len(creates), len(updates), tc.create)
		}
		for _, act := range append(creates, updates...) {
			obj, _ := act.m["object"].(map[string]any)
			if act.signer != ville.Actor.ID || act.m["actor"] != ville.Actor.URI || obj["attributedTo"] != ville.Actor.URI || idOf(act.m["id"]) == answer+"#create" {
				t.Errorf("%s: %s %s signed by %d, actor %v, attributedTo %v; want the space's, with an id of its own",
					tc.what, act.m["type"], idOf(act.m["id"]), act.signer, act.m["actor"], obj["attributedTo"])
			}
		}
	}
}
