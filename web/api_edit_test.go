package web_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// apiFieldErrors is the body of a 422.
type apiFieldErrors struct {
	Error  string
	Fields map[string]string
}

// TestAPIEditsAuthorised: each edit and deletion the pages offer, on the
// API, answers as its page does: 401 without a token, 403 to who may not
// (another member, a moderator where admins decide), and the change to who
// may (the author, a moderator, an administrator).
func TestAPIEditsAuthorised(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	bobTok, bossTok := e.token("bob"), e.token("boss")
	p, err := e.Store.CreateProposal(ctx, e.ann.Actor, "town", models.ProposalInput{Title: "Plant trees", Body: "On the square."})
	if err != nil {
		t.Fatal(err)
	}
	comment := func(by *models.Account) string {
		t.Helper()
		c, err := e.Store.CreateComment(ctx, by.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Yes."})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(c.ID)
	}
	consultation := func() string {
		t.Helper()
		t0 := e.Now.Add(-24 * time.Hour)
		c, err := e.Store.CreateConsultation(ctx, e.mod, "town", models.ConsultationInput{Title: "The square", OpensAt: t0,
			ContributionAt: t0, SynthesisAt: t0.Add(24 * time.Hour), ClosesAt: t0.Add(48 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(c.ID)
	}
	cid := consultation()
	themes := 0
	theme := func() string {
		t.Helper()
		var n int64
		fmt.Sscan(cid, &n)
		themes++
		th, err := e.Store.AddTheme(ctx, e.mod, n, models.ThemeInput{Name: fmt.Sprint("Theme ", themes)})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(th.ID)
	}
	var wc struct{ ID string }
	if res := e.api("POST", "/api/v1/consultations/"+cid+"/workshop-contributions", e.modTok, map[string]any{"title": "Evening", "body": "Shade.",
		"held_at": e.Now.Add(-time.Hour), "place": "Town hall", "participants": 12}, &wc); res.StatusCode != http.StatusCreated {
		t.Fatalf("workshop: %d %s", res.StatusCode, readBody(res))
	}
	n, err := e.Store.PublishNews(ctx, e.mod, "town", models.NewsInput{Title: "Workshop", Body: "Tonight."})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, method, path string
		body               any
		wrong, right       string
		ok                 int
	}{
		{"proposal, its author", "PATCH", fmt.Sprintf("/api/v1/proposals/%d", p.ID), map[string]string{"body": "On the square, in May."}, bobTok, e.annTok, 200},
		{"proposal, not a moderator's", "PATCH", fmt.Sprintf("/api/v1/proposals/%d", p.ID), map[string]string{"body": "Moderated."}, e.modTok, e.annTok, 200},
		{"comment edit, its author", "PATCH", "/api/v1/comments/" + comment(e.ann), map[string]string{"body": "Yes, twice."}, bobTok, e.annTok, 200},
		{"comment edit, not a moderator's", "PATCH", "/api/v1/comments/" + comment(e.ann), map[string]string{"body": "Moderated."}, e.modTok, e.annTok, 200},
		{"comment deletion, its author", "DELETE", "/api/v1/comments/" + comment(e.ann), nil, bobTok, e.annTok, 204},
		{"comment deletion, a moderator", "DELETE", "/api/v1/comments/" + comment(e.ann), nil, bobTok, e.modTok, 204},
		{"space, an administrator", "PATCH", "/api/v1/spaces/town", map[string]string{"title": "Our town"}, e.modTok, bossTok, 200},
		{"consultation edit, a moderator", "PATCH", "/api/v1/consultations/" + consultation(), map[string]string{"summary": "Tell us."}, e.annTok, e.modTok, 200},
		{"consultation deletion, a moderator", "DELETE", "/api/v1/consultations/" + consultation(), nil, e.annTok, e.modTok, 204},
		{"theme, a moderator", "POST", "/api/v1/consultations/" + cid + "/themes", map[string]string{"name": "Mobility"}, e.annTok, e.modTok, 201},
		{"theme deletion, a moderator", "DELETE", "/api/v1/consultations/" + cid + "/themes/" + theme(), nil, e.annTok, e.modTok, 204},
		{"workshop contribution deletion, a moderator", "DELETE", "/api/v1/workshop-contributions/" + wc.ID, nil, e.annTok, e.modTok, 204},
		{"role, an administrator", "POST", "/api/v1/accounts/bob/role", map[string]string{"role": "moderator"}, e.modTok, bossTok, 204},
		{"decision-maker, an administrator", "POST", "/api/v1/accounts/bob/decider", map[string]bool{"decider": true}, e.modTok, bossTok, 204},
		{"registration mode, an administrator", "PATCH", "/api/v1/instance", map[string]string{"registration": "invite"}, e.modTok, bossTok, 200},
		{"invitation, an administrator", "POST", "/api/v1/invites", nil, e.modTok, bossTok, 201},
		{"domain block, an administrator", "POST", "/api/v1/domain-blocks", map[string]string{"domain": "spam.example"}, e.modTok, bossTok, 201},
		{"domain unblock, an administrator", "DELETE", "/api/v1/domain-blocks/spam.example", nil, e.modTok, bossTok, 204},
		{"news deletion, a moderator", "DELETE", fmt.Sprintf("/api/v1/news/%d", n.ID), nil, e.annTok, e.modTok, 204},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, try := range []struct {
				who, token string
				want       int
			}{{"anonymous", "", http.StatusUnauthorized}, {"wrong account", tc.wrong, http.StatusForbidden}, {"right account", tc.right, tc.ok}} {
				if res := e.api(tc.method, tc.path, try.token, tc.body, nil); res.StatusCode != try.want {
					t.Errorf("%s %s, %s: %d, want %d: %s", tc.method, tc.path, try.who, res.StatusCode, try.want, readBody(res))
				}
			}
		})
	}
}

// TestAPIUpdateProposal: the fields sent replace the proposal's, the
// others stay; invalid ones are 422 naming them, a consultation or theme
// other than its own too; once supported it is not edited (409).
func TestAPIUpdateProposal(t *testing.T) {
	e := newDebateEnv(t)
	type proposal struct {
		Title, Body string
		Tags        []string
	}
	var p struct{ ID string }
	if res := e.api("POST", "/api/v1/spaces/town/proposals", e.annTok, map[string]any{"title": "Plant trees", "body": "On the square.", "tags": []string{"green"}}, &p); res.StatusCode != http.StatusCreated {
		t.Fatalf("create: %d", res.StatusCode)
	}
	path := "/api/v1/proposals/" + p.ID
	var got proposal
	if res := e.api("PATCH", path, e.annTok, map[string]string{"body": "On the square, by the fountain."}, &got); res.StatusCode != http.StatusOK {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	if got.Title != "Plant trees" || got.Body != "On the square, by the fountain." || !slices.Equal(got.Tags, []string{"green"}) {
		t.Errorf("after sending the body alone: %+v; title and tags should stay", got)
	}
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"title": ""}, "title"},
		{map[string]any{"theme": "7"}, "theme"},
		{map[string]any{"consultation": "x"}, "consultation"},
	} {
		var fe apiFieldErrors
		if res := e.api("PATCH", path, e.annTok, tc.body, &fe); res.StatusCode != http.StatusUnprocessableEntity || fe.Fields[tc.field] == "" {
			t.Errorf("PATCH %v: %d %+v, want 422 naming %s", tc.body, res.StatusCode, fe, tc.field)
		}
	}
	if res := e.api("POST", path+"/support", e.token("bob"), nil, nil); res.StatusCode != http.StatusOK {
		t.Fatalf("support: %d", res.StatusCode)
	}
	if res := e.api("PATCH", path, e.annTok, map[string]string{"title": "Plant oaks"}, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("edit of a supported proposal: %d, want 409", res.StatusCode)
	}
	if res := e.api("PATCH", "/api/v1/proposals/99999", e.annTok, map[string]string{"title": "Plant oaks"}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("edit of no proposal: %d, want 404", res.StatusCode)
	}
}

// TestAPIEditComment: the body sent replaces the comment's (edited_at
// set); an empty one is a 422; past the edit window it is a 409, and a
// deleted comment is erased for all.
func TestAPIEditComment(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	p, err := e.Store.CreateProposal(ctx, e.ann.Actor, "town", models.ProposalInput{Title: "Plant trees", Body: "On the square."})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Store.CreateComment(ctx, e.ann.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Yes."})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprint("/api/v1/comments/", c.ID)
	var got struct {
		Body     string
		EditedAt *time.Time `json:"edited_at"`
		Deleted  bool
	}
	if res := e.api("PATCH", path, e.annTok, map[string]string{"body": "Yes, **twice**."}, &got); res.StatusCode != http.StatusOK || got.Body != "Yes, **twice**." || got.EditedAt == nil {
		t.Fatalf("edit: %d %+v", res.StatusCode, got)
	}
	var fe apiFieldErrors
	if res := e.api("PATCH", path, e.annTok, map[string]string{"body": " "}, &fe); res.StatusCode != http.StatusUnprocessableEntity || fe.Fields["body"] == "" {
		t.Errorf("empty body: %d %+v, want 422 naming body", res.StatusCode, fe)
	}
	e.Now = e.Now.Add(models.CommentEditWindow + time.Minute)
	if res := e.api("PATCH", path, e.annTok, map[string]string{"body": "Later."}, nil); res.StatusCode != http.StatusConflict {
		t.Errorf("edit past the window: %d, want 409", res.StatusCode)
	}
	if res := e.api("DELETE", path, e.annTok, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if res := e.api("GET", path, "", nil, &got); res.StatusCode != http.StatusOK || !got.Deleted || got.Body != "" {
		t.Errorf("after deletion: %d %+v", res.StatusCode, got)
	}
}

// TestAPIUpdateSpace: the fields sent replace the space's, the others
// stay; its name does not change (422 naming it), nor do invalid values.
func TestAPIUpdateSpace(t *testing.T) {
	e := newDebateEnv(t)
	boss := e.token("boss")
	type space struct {
		Name, Title, Description, Policy, Licence string
		AllowedHosts                              []string `json:"allowed_hosts"`
		SupportThreshold                          int      `json:"support_threshold"`
	}
	var got space
	body := map[string]any{"policy": "network", "allowed_hosts": []string{"partner.example"}, "support_threshold": 50, "licence": "CC-BY-4.0"}
	if res := e.api("PATCH", "/api/v1/spaces/town", boss, body, &got); res.StatusCode != http.StatusOK {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	if res := e.api("PATCH", "/api/v1/spaces/town", boss, map[string]string{"description": "Our *town*."}, &got); res.StatusCode != http.StatusOK {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	want := space{Name: "town", Title: "Town", Description: "Our *town*.", Policy: "network", Licence: "CC-BY-4.0", AllowedHosts: []string{"partner.example"}, SupportThreshold: 50}
	if got.Name != want.Name || got.Title != want.Title || got.Description != want.Description || got.Policy != want.Policy ||
		got.Licence != want.Licence || !slices.Equal(got.AllowedHosts, want.AllowedHosts) || got.SupportThreshold != want.SupportThreshold {
		t.Errorf("after sending the description alone: %+v, want %+v", got, want)
	}
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"name": "city"}, "name"},
		{map[string]any{"kind": "castle"}, "kind"},
		{map[string]any{"support_threshold": -1}, "support_threshold"},
	} {
		var fe apiFieldErrors
		if res := e.api("PATCH", "/api/v1/spaces/town", boss, tc.body, &fe); res.StatusCode != http.StatusUnprocessableEntity || fe.Fields[tc.field] == "" {
			t.Errorf("PATCH %v: %d %+v, want 422 naming %s", tc.body, res.StatusCode, fe, tc.field)
		}
	}
	if res := e.api("PATCH", "/api/v1/spaces/nowhere", boss, map[string]string{"title": "No"}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("edit of no space: %d, want 404", res.StatusCode)
	}
}

// TestAPIUpdateConsultation: the fields sent replace the consultation's,
// its dates staying unless phases is sent, which gives them all again;
// invalid input is a 422 naming the field; a withdrawn one is gone (404).
func TestAPIUpdateConsultation(t *testing.T) {
	e := newDebateEnv(t)
	t0 := e.Now.Add(24 * time.Hour).Truncate(time.Second)
	c, err := e.Store.CreateConsultation(context.Background(), e.mod, "town", models.ConsultationInput{Title: "The square", Summary: "What next?",
		OpensAt: t0, ContributionAt: t0.Add(24 * time.Hour), SynthesisAt: t0.Add(48 * time.Hour), ClosesAt: t0.Add(72 * time.Hour), MapEnabled: true})
	if err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprint("/api/v1/consultations/", c.ID)
	type consultation struct {
		Title, Summary string
		Map            bool
		Phases         []models.Phase
	}
	var before, got consultation
	e.api("GET", path, "", nil, &before)
	if res := e.api("PATCH", path, e.modTok, map[string]string{"summary": "What should it become?"}, &got); res.StatusCode != http.StatusOK {
		t.Fatalf("edit: %d", res.StatusCode)
	}
	if got.Title != "The square" || got.Summary != "What should it become?" || !got.Map || !phasesEqual(got.Phases, before.Phases) {
		t.Errorf("after sending the summary alone: %+v, was %+v", got, before)
	}
	end := t0.Add(96 * time.Hour)
	phases := []map[string]any{{"name": "contribution", "starts_at": t0, "ends_at": end}}
	if res := e.api("PATCH", path, e.modTok, map[string]any{"phases": phases}, &got); res.StatusCode != http.StatusOK {
		t.Fatalf("edit of the phases: %d", res.StatusCode)
	}
	if last := got.Phases[len(got.Phases)-1]; got.Summary != "What should it become?" || !last.StartsAt.Equal(end) {
		t.Errorf("after sending the phases: %+v, want the last phase from %s", got, end)
	}
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"title": ""}, "title"},
		{map[string]any{"phases": []any{}}, "phases"},
	} {
		var fe apiFieldErrors
		if res := e.api("PATCH", path, e.modTok, tc.body, &fe); res.StatusCode != http.StatusUnprocessableEntity || fe.Fields[tc.field] == "" {
			t.Errorf("PATCH %v: %d %+v, want 422 naming %s", tc.body, res.StatusCode, fe, tc.field)
		}
	}
	if res := e.api("DELETE", path, e.modTok, nil, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %d", res.StatusCode)
	}
	if res := e.api("PATCH", path, e.modTok, map[string]string{"summary": "Again?"}, nil); res.StatusCode != http.StatusNotFound {
		t.Errorf("edit of a withdrawn consultation: %d, want 404", res.StatusCode)
	}
}

func phasesEqual(a, b []models.Phase) bool {
	return slices.EqualFunc(a, b, func(x, y models.Phase) bool { return x.Name == y.Name && x.StartsAt.Equal(y.StartsAt) })
}

// TestAPIAccountRoles: an administrator sets a member's role and makes
// them a decision-maker; not their own role; a body without decider is
// refused rather than read as false.
func TestAPIAccountRoles(t *testing.T) {
	e := newDebateEnv(t)
	boss := e.token("boss")
	if res := e.api("POST", "/api/v1/accounts/bob/role", boss, map[string]string{"role": "moderator"}, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("role: %d", res.StatusCode)
	}
	if res := e.api("POST", "/api/v1/accounts/bob/decider", boss, map[string]bool{"decider": true}, nil); res.StatusCode != http.StatusNoContent {
		t.Fatalf("decider: %d", res.StatusCode)
	}
	if acc, err := e.Store.AccountByUsername(context.Background(), "bob"); err != nil || acc.Role != models.RoleModerator || !acc.Decider {
		t.Fatalf("bob after the calls: %v %+v", err, acc)
	}
	var fe apiFieldErrors
	if res := e.api("POST", "/api/v1/accounts/boss/role", boss, map[string]string{"role": "member"}, &fe); res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("own role: %d %+v, want 422", res.StatusCode, fe)
	}
	fe = apiFieldErrors{}
	if res := e.api("POST", "/api/v1/accounts/bob/decider", boss, map[string]any{}, &fe); res.StatusCode != http.StatusUnprocessableEntity || fe.Fields["decider"] == "" {
		t.Errorf("no decider: %d %+v, want 422 naming decider", res.StatusCode, fe)
	}
	if acc, _ := e.Store.AccountByUsername(context.Background(), "bob"); !acc.Decider {
		t.Errorf("a body without decider changed it")
	}
	// A moderator is refused before the body is read, as on /admin.
	if res := e.api("POST", "/api/v1/accounts/ann/role", e.modTok, map[string]string{"role": "king"}, nil); res.StatusCode != http.StatusForbidden {
		t.Errorf("a moderator's invalid role: %d, want 403", res.StatusCode)
	}
}

// TestAPIAdminSettings: the registration mode set through the API is the
// instance's; an invitation's link carries its code; a domain blocked
// through the API is blocked, and no longer once unblocked.
func TestAPIAdminSettings(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	boss := e.token("boss")
	var inst struct{ Registration string }
	if res := e.api("PATCH", "/api/v1/instance", boss, map[string]string{"registration": "closed"}, &inst); res.StatusCode != http.StatusOK || inst.Registration != "closed" {
		t.Fatalf("registration: %d %+v", res.StatusCode, inst)
	}
	if mode, err := e.Store.Setting(ctx, models.SettingRegistration, models.RegistrationOpen); err != nil || mode != models.RegistrationClosed {
		t.Errorf("registration setting: %q %v", mode, err)
	}
	var inv struct{ Code, URL string }
	if res := e.api("POST", "/api/v1/invites", boss, nil, &inv); res.StatusCode != http.StatusCreated || inv.Code == "" || inv.URL != e.URL+"/signup?invite="+inv.Code {
		t.Errorf("invite: %d %+v", res.StatusCode, inv)
	}
	blocked := func() bool {
		ok, err := e.Store.IsDomainBlocked(ctx, "spam.example")
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if res := e.api("POST", "/api/v1/domain-blocks", boss, map[string]string{"domain": "Spam.Example", "reason": "Spam."}, nil); res.StatusCode != http.StatusCreated || !blocked() {
		t.Fatalf("block: %d, blocked %t", res.StatusCode, blocked())
	}
	var fe apiFieldErrors
	if res := e.api("POST", "/api/v1/domain-blocks", boss, map[string]string{"domain": "not a domain"}, &fe); res.StatusCode != http.StatusUnprocessableEntity || fe.Fields["domain"] == "" {
		t.Errorf("invalid domain: %d %+v", res.StatusCode, fe)
	}
	if res := e.api("DELETE", "/api/v1/domain-blocks/spam.example", boss, nil, nil); res.StatusCode != http.StatusNoContent || blocked() {
		t.Errorf("unblock: %d, blocked %t", res.StatusCode, blocked())
	}
}
