package federation

import (
	"context"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestOutboxBatchMemo: in one outbox batch, a burst of votes on a debate
// schedules its count Update once (the later events of the batch find it
// scheduled) and loads the debate once; another batch schedules again.
func TestOutboxBatchMemo(t *testing.T) {
	a := newNode(t, nil)
	ctx := context.Background()
	admin, err := a.st.CreateAccount(ctx, models.NewAccount{Username: "maire", Password: "correct horse battery", Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	sp := a.space(t, "ville")
	d, err := a.st.CreateDebate(ctx, admin, sp, models.DebateInput{Question: "Piétonniser ?", Options: []string{"Oui", "Non"}})
	if err != nil {
		t.Fatal(err)
	}
	if d, err = a.st.OpenDebate(ctx, admin, d.ID); err != nil {
		t.Fatal(err)
	}
	ev := models.Event{Kind: models.EventVoteCast, ObjectType: models.ObjectTypeDebate, ObjectID: d.ID, ActorID: admin.Actor.ID, Data: `{"options":["Oui"]}`}
	countRows := func() int64 {
		n, err := a.st.DB.NewSelect().Model((*models.CountUpdate)(nil)).Where("object_id = ?", d.ID).Count(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	batch := withBatchMemo(ctx)
	h := eventHandlers[models.EventVoteCast]
	if _, err := h(batch, a.s, ev); err != nil {
		t.Fatal(err)
	}
	if countRows() != 1 {
		t.Fatal("the first vote of the batch scheduled no count Update")
	}
	if _, err := a.st.DB.NewDelete().Model((*models.CountUpdate)(nil)).Where("object_id = ?", d.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := a.st.DB.NewDelete().Model((*models.Debate)(nil)).Where("id = ?", d.ID).Exec(ctx); err != nil {
		t.Fatal(err) // a second load of the debate would now fail
	}
	if _, err := h(batch, a.s, ev); err != nil {
		t.Fatalf("second vote of the batch loaded the debate again: %v", err)
	}
	if countRows() != 0 {
		t.Error("the second vote of the batch scheduled the count Update again")
	}
	if _, err := h(withBatchMemo(ctx), a.s, ev); err == nil {
		t.Error("a new batch reused the previous batch's debate")
	}
}

// TestInboxBatchMemo: the lanes of one inbox batch load a debate named by
// a burst of poll votes once; another batch, or no batch, loads it again.
func TestInboxBatchMemo(t *testing.T) {
	a := newNode(t, nil)
	ctx := context.Background()
	admin, err := a.st.CreateAccount(ctx, models.NewAccount{Username: "maire", Password: "correct horse battery", Role: models.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	d, err := a.st.CreateDebate(ctx, admin, a.space(t, "ville"), models.DebateInput{Question: "Piétonniser ?", Options: []string{"Oui", "Non"}})
	if err != nil {
		t.Fatal(err)
	}
	batch := withInboxMemo(ctx)
	if got, err := a.s.debateByURI(batch, d.URI); err != nil || got.ID != d.ID {
		t.Fatalf("first lookup: %v, %v", got, err)
	}
	if _, err := a.st.DB.NewDelete().Model((*models.Debate)(nil)).Where("id = ?", d.ID).Exec(ctx); err != nil {
		t.Fatal(err) // a second load of the debate would now fail
	}
	if got, err := a.s.debateByURI(batch, d.URI); err != nil || got.ID != d.ID {
		t.Errorf("the batch loaded the debate again: %v, %v", got, err)
	}
	if _, err := a.s.debateByURI(withInboxMemo(ctx), d.URI); err == nil {
		t.Error("a new batch reused the previous batch's debate")
	}
	if _, err := a.s.debateByURI(ctx, d.URI); err == nil {
		t.Error("a lookup outside any batch was memoised")
	}
}
