package web_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// forwardQueue is a debate env with three reports: ann's of other.example's
// debate, not asking to forward it; bob's of it, asking; ann's of a local
// debate. Ids by name.
type forwardQueue struct {
	*debateEnv
	notAsked, asked, local int64
}

func newForwardQueue(t *testing.T) *forwardQueue {
	t.Helper()
	e := newDebateEnv(t)
	remote := strconv.FormatInt(e.remoteDebate(t).ID, 10)
	local := e.openDebate(t, map[string]any{"question": "Ours?", "options": []string{"Yes", "No"}})
	for _, r := range []struct{ who, id, forward string }{{"ann", remote, ""}, {"bob", remote, "1"}, {"ann", local, ""}} {
		form := url.Values{"type": {"debate"}, "id": {r.id}, "reason": {"spam from " + r.who}, "forward": {r.forward}}
		if res := e.postForm(e.loggedIn(r.who), "/report", form); res.StatusCode != http.StatusSeeOther {
			t.Fatalf("%s's report: %d", r.who, res.StatusCode)
		}
	}
	q := &forwardQueue{debateEnv: e}
	reports, err := e.Store.ListReports(context.Background(), e.mod, models.ReportFilter{})
	if err != nil || len(reports) != 3 {
		t.Fatalf("reports %v %v", reports, err)
	}
	q.local, q.asked, q.notAsked = reports[0].ID, reports[1].ID, reports[2].ID // newest first
	return q
}

// rowOf is the moderation page's row of report id.
func rowOf(t *testing.T, page string, id int64) string {
	t.Helper()
	_, row, ok := strings.Cut(page, `<tr id="report-`+strconv.FormatInt(id, 10)+`"`)
	if !ok {
		t.Fatalf("no row for report %d", id)
	}
	row, _, _ = strings.Cut(row, "</tr>")
	return row
}

// TestModerationQueueForward: the queue says, in English and French,
// which reports went to the content's server (at the reporter's request,
// or by which moderator) and which did not; a report of another server's
// content not yet forwarded offers "Forward to <server>", a
// cross-site-protected form for moderators only, after which the row says
// who forwarded it and offers it no more.
func TestModerationQueueForward(t *testing.T) {
	q := newForwardQueue(t)
	modo := q.loggedIn("modo")
	action := `action="/moderation/reports/` + strconv.FormatInt(q.notAsked, 10) + `/forward"`
	page := func(lang string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", q.URL+"/moderation", nil)
		req.Header.Set("Accept-Language", lang)
		res, err := modo.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("queue: %d", res.StatusCode)
		}
		return body
	}
	for _, l := range []struct{ lang, asked, notAsked, button string }{
		{"en", "Forwarded to other.example at the reporter’s request", "Not forwarded to other.example (the reporter did not ask)", "Forward to other.example"},
		{"fr", "Transmis à other.example à la demande de la personne qui l’a fait", "Non transmis à other.example (la personne qui l’a fait ne l’a pas demandé)", "Transmettre à other.example"},
	} {
		body := page(l.lang)
		if row := rowOf(t, body, q.asked); !strings.Contains(row, l.asked) || strings.Contains(row, "/forward\"") {
			t.Errorf("%s: the row of the report asking to forward: %s", l.lang, row)
		}
		if row := rowOf(t, body, q.notAsked); !strings.Contains(row, l.notAsked) || !strings.Contains(row, action) || !strings.Contains(row, l.button) {
			t.Errorf("%s: the row of the report not asking to forward: %s", l.lang, row)
		}
		if row := rowOf(t, body, q.local); strings.Contains(row, "other.example") || strings.Contains(row, "/forward\"") {
			t.Errorf("%s: the row of the report of local content: %s", l.lang, row)
		}
	}

	path := "/moderation/reports/" + strconv.FormatInt(q.notAsked, 10) + "/forward"
	var sent *models.ForwardedReport
	forwarded := func() bool {
		t.Helper()
		fr, err := q.Store.ReportToForward(context.Background(), models.Event{Kind: models.EventReportForwarded, ObjectID: q.notAsked})
		sent = fr
		return err == nil && fr != nil
	}
	// From another site (with a moderator's session), and by a member.
	req, _ := http.NewRequest(http.MethodPost, q.URL+path, strings.NewReader("status=open"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "http://evil.example")
	if res := q.do(modo, req); res.StatusCode != http.StatusForbidden || forwarded() {
		t.Fatalf("cross-site forward: %d, forwarded %v", res.StatusCode, forwarded())
	}
	if res := q.postForm(q.loggedIn("ann"), path, url.Values{"status": {"open"}}); res.StatusCode != http.StatusForbidden || forwarded() {
		t.Fatalf("a member's forward: %d, forwarded %v", res.StatusCode, forwarded())
	}
	if row := rowOf(t, page("en"), q.notAsked); !strings.Contains(row, `name="comment"`) || !strings.Contains(row, "Your message to the moderators of other.example") {
		t.Errorf("the forward form has no message box: %s", row)
	}
	res := q.postForm(modo, path, url.Values{"status": {"open"}, "comment": {"Please have a look."}})
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/moderation?status=open") || !forwarded() {
		t.Fatalf("the moderator's forward: %d to %q, forwarded %v", res.StatusCode, res.Header.Get("Location"), forwarded())
	}
	if sent.Reason != "Please have a look." {
		t.Errorf("the Flag would carry %q, want the moderator's message only", sent.Reason)
	}
	if row := rowOf(t, page("en"), q.notAsked); !strings.Contains(row, "Forwarded to other.example by modo") || strings.Contains(row, action) {
		t.Errorf("the row once forwarded: %s", row)
	}
	if res := q.postForm(modo, path, url.Values{"status": {"open"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("forwarding again: %d, want 409", res.StatusCode)
	}
	if res := q.postForm(modo, "/moderation/reports/"+strconv.FormatInt(q.local, 10)+"/forward", nil); res.StatusCode != http.StatusConflict {
		t.Errorf("forwarding the report of local content: %d, want 409", res.StatusCode)
	}
}

// TestModerationAPIForward: report objects say whether the reporter asked
// to forward them, where to and when they went, and who forwarded them;
// POST /reports/{id}/forward forwards one, for moderators, once, and only
// for another server's content; each answer as docs/openapi.yaml says.
func TestModerationAPIForward(t *testing.T) {
	q := newForwardQueue(t)
	doc := loadOpenAPI(t)
	schemas := schemaCompiler(t, doc)
	list, err := schemas.Compile("https://odn.example/openapi.json#/components/schemas/ReportList")
	if err != nil {
		t.Fatal(err)
	}
	type item struct {
		ID               string
		ForwardRequested bool       `json:"forward_requested"`
		ForwardTo        string     `json:"forward_to"`
		ForwardedAt      *time.Time `json:"forwarded_at"`
		ForwardedBy      string     `json:"forwarded_by"`
	}
	reports := func() map[int64]item {
		t.Helper()
		res := q.api("GET", "/api/v1/reports", q.modTok, nil, nil)
		raw := readBody(res)
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("list: %d %v", res.StatusCode, err)
		}
		if err := list.Validate(v); err != nil {
			t.Fatalf("the list does not match ReportList: %v", err)
		}
		var page struct{ Items []item }
		if err := json.Unmarshal([]byte(raw), &page); err != nil {
			t.Fatal(err)
		}
		out := map[int64]item{}
		for _, it := range page.Items {
			id, _ := strconv.ParseInt(it.ID, 10, 64)
			out[id] = it
		}
		return out
	}
	before := reports()
	if it := before[q.asked]; !it.ForwardRequested || it.ForwardTo != "other.example" || it.ForwardedAt == nil || it.ForwardedBy != "" {
		t.Errorf("the report asking to forward: %+v", it)
	}
	if it := before[q.notAsked]; it.ForwardRequested || it.ForwardTo != "other.example" || it.ForwardedAt != nil {
		t.Errorf("the report not asking to forward: %+v", it)
	}
	if it := before[q.local]; it.ForwardRequested || it.ForwardTo != "" || it.ForwardedAt != nil {
		t.Errorf("the report of local content: %+v", it)
	}

	paths := doc["paths"].(map[string]any)
	op, _ := paths["/reports/{id}/forward"].(map[string]any)["post"].(map[string]any)
	if op == nil {
		t.Fatal("POST /reports/{id}/forward is not documented")
	}
	forward := func(id int64, token string, want int) {
		t.Helper()
		res := q.api("POST", "/api/v1/reports/"+strconv.FormatInt(id, 10)+"/forward", token, nil, nil)
		if res.StatusCode != want {
			t.Fatalf("forward %d: %d, want %d: %s", id, res.StatusCode, want, readBody(res))
		}
		if op["responses"].(map[string]any)[strconv.Itoa(want)] == nil {
			t.Fatalf("forward: %d is not documented", want)
		}
	}
	forward(q.notAsked, q.annTok, http.StatusForbidden)
	forward(q.local, q.modTok, http.StatusConflict)
	forward(q.asked, q.modTok, http.StatusConflict)
	forward(9999, q.modTok, http.StatusNotFound)
	forward(q.notAsked, q.modTok, http.StatusNoContent)
	forward(q.notAsked, q.modTok, http.StatusConflict)
	if it := reports()[q.notAsked]; it.ForwardRequested || it.ForwardTo != "other.example" || it.ForwardedAt == nil || it.ForwardedBy != "modo" {
		t.Errorf("the report forwarded by the moderator: %+v", it)
	}
}

// TestForwardCommentLength: the message box takes 1,000 characters as a
// browser counts them (a line break is one, sent as CRLF), and a longer
// one is refused in the reader's language, naming the field.
func TestForwardCommentLength(t *testing.T) {
	q := newForwardQueue(t)
	post := func(comment string) (int, string) {
		req, _ := http.NewRequest(http.MethodPost, q.URL+"/moderation/reports/"+strconv.FormatInt(q.notAsked, 10)+"/forward",
			strings.NewReader(url.Values{"comment": {comment}, "status": {"open"}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", q.URL)
		req.Header.Set("Accept-Language", "fr")
		res := q.do(q.loggedIn("modo"), req)
		return res.StatusCode, readBody(res)
	}
	if st, body := post(strings.Repeat("x", 1001)); st != http.StatusUnprocessableEntity || strings.Contains(body, "field.comment") || !strings.Contains(body, "Votre message") {
		t.Errorf("a 1,001-character message: %d, want 422 naming the field in French", st)
	}
	if st, _ := post(strings.Repeat("spam spam\r\n", 100)); st != http.StatusSeeOther {
		t.Errorf("1,000 characters as the browser counts them: %d, want 303", st)
	}
}

// settleFlag has the delivery queue settle a Flag of report id, as the
// delivery worker would: the content's server answered 2xx
// (delivered), or refused it for good (the dead letters).
func (q *forwardQueue) settleFlag(t *testing.T, id int64, attempt int, delivered bool) {
	t.Helper()
	ctx := context.Background()
	activity := q.URL + "/actor#flags/" + strconv.FormatInt(id, 10) + "/" + strconv.Itoa(attempt)
	if _, err := q.Store.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: activity, Body: []byte("{}"), SignerID: q.mod.Actor.ID,
		Inboxes: []string{"https://other.example/actors/modo/inbox"}, ReportID: id}); err != nil {
		t.Fatal(err)
	}
	jobs, err := q.Store.ClaimDeliveries(ctx, "test", 10, time.Minute)
	if err != nil || len(jobs) != 1 || jobs[0].ReportID != id {
		t.Fatalf("the Flag's job: %+v %v", jobs, err)
	}
	j := jobs[0]
	if delivered {
		_, err = q.Store.CompleteDeliveries(ctx, "test", []models.Delivered{{ID: j.ID, Host: j.Host, Status: 202, ReportID: j.ReportID}})
	} else {
		err = q.Store.FailDelivery(ctx, j.ID, "test", 403, "status 403", time.Time{}, models.ForwardErrorRefused)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// TestModerationQueueForwardOutcome: the queue says what became of a
// forwarded report, in English and French: waiting to be delivered, then
// received (with the day) once the content's server answered, or not
// delivered when the Flag was refused; a failed forward offers "Forward
// to <server> again", once: after it the row waits again, without the
// button, and a second try is refused. A report forwarded before odn
// followed deliveries says its outcome is not known.
func TestModerationQueueForwardOutcome(t *testing.T) {
	q := newForwardQueue(t)
	modo := q.loggedIn("modo")
	page := func(lang string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", q.URL+"/moderation", nil)
		req.Header.Set("Accept-Language", lang)
		res, err := modo.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(res)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("queue: %d", res.StatusCode)
		}
		return body
	}
	today := time.Now().UTC()
	type words struct{ queued, delivered, failed, sent, again string }
	langs := map[string]words{
		"en": {"Waiting for delivery to other.example", "Received by other.example, <time datetime=\"" + today.Format("2006-01-02"),
			"Refused by other.example", "Whether other.example received it is not known", "Forward to other.example again"},
		"fr": {"En attente de remise à other.example", "Reçu par other.example, <time datetime=\"" + today.Format("2006-01-02"),
			"Refusé par other.example", "On ne sait pas si other.example l’a reçu", "Transmettre de nouveau à other.example"},
	}
	check := func(what string, id int64, state func(w words) string, button bool) {
		t.Helper()
		for lang, w := range langs {
			row := rowOf(t, page(lang), id)
			if !strings.Contains(row, state(w)) {
				t.Errorf("%s, %s: the row does not say %q: %s", what, lang, state(w), row)
			}
			if strings.Contains(row, "/forward\"") != button || strings.Contains(row, w.again) != button {
				t.Errorf("%s, %s: forward again offered %v, want %v: %s", what, lang, !button, button, row)
			}
		}
	}
	check("filed asking to forward", q.asked, func(w words) string { return w.queued }, false)
	q.settleFlag(t, q.asked, 1, true)
	check("delivered", q.asked, func(w words) string { return w.delivered }, false)

	if err := q.Store.ForwardReport(context.Background(), q.mod, q.notAsked, ""); err != nil {
		t.Fatal(err)
	}
	q.settleFlag(t, q.notAsked, 1, false)
	check("refused", q.notAsked, func(w words) string { return w.failed }, true)
	path := "/moderation/reports/" + strconv.FormatInt(q.notAsked, 10) + "/forward"
	if res := q.postForm(modo, path, url.Values{"status": {"open"}, "comment": {"Again, please."}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("forwarding again: %d", res.StatusCode)
	}
	check("forwarded again", q.notAsked, func(w words) string { return w.queued }, false)
	if res := q.postForm(modo, path, url.Values{"status": {"open"}}); res.StatusCode != http.StatusConflict {
		t.Errorf("forwarding again while it waits: %d, want 409", res.StatusCode)
	}

	if _, err := q.Store.DB.NewRaw("UPDATE reports SET forward_status = 'sent', forward_delivered_at = NULL WHERE id = ?", q.asked).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("forwarded before deliveries were followed", q.asked, func(w words) string { return w.sent }, false)

	// Why it failed: its domain blocked while the second Flag waited,
	// and no forward offered while it stays blocked.
	ctx := context.Background()
	if _, err := q.Store.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: q.URL + "/actor#flags/" + strconv.FormatInt(q.notAsked, 10) + "/2",
		Body: []byte("{}"), SignerID: q.mod.Actor.ID, Inboxes: []string{"https://other.example/actors/modo/inbox"}, ReportID: q.notAsked}); err != nil {
		t.Fatal(err)
	}
	if _, err := q.Store.BlockDomain(ctx, q.user("root_admin", models.RoleAdmin), "other.example", "spam"); err != nil {
		t.Fatal(err)
	}
	for lang, blocked := range map[string]string{"en": "Not sent to other.example: that server is blocked here", "fr": "Non envoyé à other.example : ce serveur est bloqué ici"} {
		w := langs[lang]
		w.failed = blocked
		langs[lang] = w
	}
	check("blocked since", q.notAsked, func(w words) string { return w.failed }, false)
}

// TestModerationAPIForwardOutcome: report objects say what became of a
// forward (forward_status queued, delivered with forward_delivered_at,
// failed with forward_error, sent), forwarded_at staying when it went to
// the outbox; a failed one may be forwarded again, once; each answer as
// docs/openapi.yaml says.
func TestModerationAPIForwardOutcome(t *testing.T) {
	q := newForwardQueue(t)
	doc := loadOpenAPI(t)
	list, err := schemaCompiler(t, doc).Compile("https://odn.example/openapi.json#/x-closed/ReportList")
	if err != nil {
		t.Fatal(err)
	}
	type item struct {
		ID                 string
		ForwardedAt        *time.Time `json:"forwarded_at"`
		ForwardStatus      string     `json:"forward_status"`
		ForwardDeliveredAt *time.Time `json:"forward_delivered_at"`
		ForwardError       string     `json:"forward_error"`
	}
	get := func(id int64) item {
		t.Helper()
		res := q.api("GET", "/api/v1/reports", q.modTok, nil, nil)
		raw := readBody(res)
		var v any
		if err := json.Unmarshal([]byte(raw), &v); err != nil || res.StatusCode != http.StatusOK {
			t.Fatalf("list: %d %v", res.StatusCode, err)
		}
		if err := list.Validate(v); err != nil {
			t.Fatalf("the list does not match ReportList: %v", err)
		}
		var page struct{ Items []item }
		if err := json.Unmarshal([]byte(raw), &page); err != nil {
			t.Fatal(err)
		}
		for _, it := range page.Items {
			if it.ID == strconv.FormatInt(id, 10) {
				return it
			}
		}
		t.Fatalf("no report %d", id)
		return item{}
	}
	want := func(what string, id int64, status string, delivered bool) {
		t.Helper()
		it := get(id)
		if it.ForwardStatus != status || (it.ForwardDeliveredAt != nil) != delivered || (it.ForwardedAt != nil) != (status != "") {
			t.Errorf("%s: %+v, want forward_status %q, delivered %v", what, it, status, delivered)
		}
	}
	want("not forwarded", q.notAsked, "", false)
	want("filed asking to forward", q.asked, "queued", false)
	q.settleFlag(t, q.asked, 1, true)
	want("delivered", q.asked, "delivered", true)

	forward := func(want int) {
		t.Helper()
		if res := q.api("POST", "/api/v1/reports/"+strconv.FormatInt(q.notAsked, 10)+"/forward", q.modTok, nil, nil); res.StatusCode != want {
			t.Fatalf("forward: %d, want %d", res.StatusCode, want)
		}
	}
	forward(http.StatusNoContent)
	want("forwarded", q.notAsked, "queued", false)
	q.settleFlag(t, q.notAsked, 1, false)
	want("refused", q.notAsked, "failed", false)
	if it := get(q.notAsked); it.ForwardError != "refused" {
		t.Errorf("refused: forward_error %q, want refused", it.ForwardError)
	}
	forward(http.StatusNoContent)
	forward(http.StatusConflict)
	want("forwarded again", q.notAsked, "queued", false)
	if it := get(q.notAsked); it.ForwardError != "" {
		t.Errorf("forwarded again: forward_error %q, want none", it.ForwardError)
	}

	if _, err := q.Store.DB.NewRaw("UPDATE reports SET forward_status = 'sent', forward_delivered_at = NULL WHERE id = ?", q.asked).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	want("forwarded before deliveries were followed", q.asked, "sent", false)
}
