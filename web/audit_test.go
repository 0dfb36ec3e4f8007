package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestAuditLogWorded: the audit log and the report queue speak the
// reader's language: actions, targets (linked to their page), details
// and dates are worded, not shown as the codes the log stores.
func TestAuditLogWorded(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	p, err := e.Store.CreateProposal(ctx, e.ann.Actor, "town", models.ProposalInput{Title: "Plant trees", Body: "Shade!"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.SetProposalStatus(ctx, e.mod, p.ID, models.ProposalAccepted, "Yes."); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetDisabled(ctx, e.mod, "bob", true, "spam"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.CreateReport(ctx, e.ann.Actor, models.ReportInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Reason: "Off topic, I think."}); err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(p.ID, 10)
	for _, tc := range []struct {
		lang, path string
		want       []string
	}{
		{"fr", "/moderation/audit", []string{"Statut de la proposition : Accepté", `<a href="/p/` + id + `">proposition n° ` + id + `</a>`, "Compte désactivé", "compte bob", " UTC"}},
		{"en", "/moderation/audit", []string{"Proposal status: Accepted", ">proposal #" + id + "<", "Account disabled", "account bob"}},
		{"fr", "/moderation", []string{"Ouvert"}},
	} {
		req, _ := http.NewRequest("GET", e.URL+tc.path, nil)
		req.Header.Set("Accept-Language", tc.lang)
		body := readBody(e.do(e.loggedIn("modo"), req))
		for _, w := range tc.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s %s lacks %q", tc.lang, tc.path, w)
			}
		}
		for _, code := range []string{"proposal_status:", "set_disabled:", ">proposal " + id + "<", "Ouverts</td>"} {
			if strings.Contains(body, code) {
				t.Errorf("%s %s shows the code %q", tc.lang, tc.path, code)
			}
		}
	}
}
