package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestModeratorCannotUndoAdminDisable: on the queue page, an account an
// administrator disabled offers moderators no "re-enable", and posting it
// anyway is refused with the reason; the administrator still has it.
func TestModeratorCannotUndoAdminDisable(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	if res := e.api("POST", "/api/v1/reports", e.annTok, map[string]any{"object_type": "account", "object_id": "bob", "reason": "spam"}, nil); res.StatusCode != http.StatusCreated {
		t.Fatalf("report: %d", res.StatusCode)
	}
	boss, err := e.Store.AccountByUsername(ctx, "boss")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetDisabled(ctx, boss, "bob", true, "spam"); err != nil {
		t.Fatal(err)
	}
	const enable = `action="/moderation/accounts/bob/enable"`
	modo, admin := e.loggedIn("modo"), e.loggedIn("boss")
	if body := readBody(e.get(modo, "/moderation?status=actioned")); strings.Contains(body, enable) {
		t.Error("the queue offers the moderator to re-enable an account the administrator disabled")
	}
	if body := readBody(e.get(admin, "/moderation?status=actioned")); !strings.Contains(body, enable) {
		t.Error("the queue offers the administrator no re-enable")
	}
	res := e.postForm(modo, "/moderation/accounts/bob/enable", nil)
	if body := readBody(res); res.StatusCode != http.StatusForbidden || !strings.Contains(body, "only an administrator can re-enable") {
		t.Errorf("the moderator re-enables: %d, want 403 with the reason", res.StatusCode)
	}
	if _, err := e.Store.Authenticate(ctx, "bob", testPassword); err == nil {
		t.Error("bob logs in: the moderator undid the administrator's disabling")
	}
	if res := e.postForm(admin, "/moderation/accounts/bob/enable", nil); res.StatusCode != http.StatusSeeOther {
		t.Errorf("the administrator re-enables: %d", res.StatusCode)
	}
}
