package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

func TestAccountExport(t *testing.T) {
	eachOpenData(t, func(t *testing.T, d *openData) {
		ctx := context.Background()
		data, err := d.s.AccountExport(ctx, d.users["bob"])
		if err != nil {
			t.Fatal(err)
		}
		raw, err := json.Marshal(data)
		if err != nil {
			t.Fatal(err)
		}
		got := string(raw)
		want := map[string]int{"accounts": 1, "actors": 1, "supports": 1, "signatures": 1, "debate_votes": 1, "debate_ballots": 1}
		for table, n := range want {
			if len(data.Tables[table]) != n {
				t.Errorf("%s: %d rows, want %d: %v", table, len(data.Tables[table]), n, data.Tables[table])
			}
		}
		if _, ok := data.Tables["sessions"]; ok {
			t.Error("bob has no session, yet sessions are listed")
		}
		for _, must := range []string{"bob@mail.example", "receipt", "https://town.example/actors/bob"} {
			if !strings.Contains(got, must) {
				t.Errorf("own data lacks %q", must)
			}
		}
		for _, never := range []string{"$argon2id", "PRIVATE KEY", "ann@mail.example", "cyd@mail.example", "password_hash", "ballot_secret"} {
			if strings.Contains(got, never) {
				t.Errorf("download contains %q", never)
			}
		}

		// A session shows its metadata, never its secret; a mail waiting
		// to be sent (a reset link's token) is not in the download.
		secret, err := d.s.CreateSession(ctx, d.users["ann"], "TestBrowser/1.0")
		if err != nil {
			t.Fatal(err)
		}
		if err := d.s.QueueMail(ctx, models.Mail{AccountID: d.users["ann"].ID, Username: "ann", Kind: "password reset",
			Address: "ann@mail.example", Subject: "Reset", Body: "/password/reset?token=queued-secret"}); err != nil {
			t.Fatal(err)
		}
		data, err = d.s.AccountExport(ctx, d.users["ann"])
		if err != nil {
			t.Fatal(err)
		}
		raw, _ = json.Marshal(data)
		if !strings.Contains(string(raw), "TestBrowser/1.0") || strings.Contains(string(raw), secret) || strings.Contains(string(raw), "queued-secret") {
			t.Errorf("sessions: %v", data.Tables["sessions"])
		}
		if len(data.Tables["proposals"]) != 3 || len(data.Tables["comments"]) != 0 || len(data.Tables["petitions"]) != 1 {
			t.Errorf("ann's writings: %d proposals, %d comments, %d petitions", len(data.Tables["proposals"]), len(data.Tables["comments"]), len(data.Tables["petitions"]))
		}
		if _, err := d.s.AccountExport(ctx, nil); err == nil {
			t.Error("nil account exported")
		}
		_ = models.ErrUnauthorized
	})
}

// TestAccountExportNotifications: a notification belongs to the account
// it is addressed to, not to whoever triggered it. The addressee who
// answers a petition notifies every signer, anonymous ones included, and
// a reply notifies the answered author: the triggerer's download holds
// none of those rows, each addressee's holds theirs.
func TestAccountExportNotifications(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		if err := f.s.SetDecider(ctx, nil, "boss", true); err != nil {
			t.Fatal(err)
		}
		ann, bob, cyd := f.users[0], f.users[1], f.users[2]
		p, err := f.s.CreatePetition(ctx, ann.Actor, "town", models.PetitionInput{Title: "A bench by the school", Body: "Parents stand.", Addressee: "boss", Goal: 10})
		if err != nil {
			t.Fatal(err)
		}
		for signer, public := range map[*models.Account]bool{bob: true, cyd: false} {
			if _, _, err := f.s.Sign(ctx, signer.Actor, p.ID, public); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := f.s.RespondPetition(ctx, f.admin, p.ID, "The bench is ordered."); err != nil {
			t.Fatal(err)
		}
		c, err := f.s.CreateComment(ctx, ann.Actor, models.CommentInput{ObjectType: "petition", ObjectID: p.ID, Body: "Thanks!"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.CreateComment(ctx, bob.Actor, models.CommentInput{ObjectType: "petition", ObjectID: p.ID, ParentID: c.ID, Body: "Indeed."}); err != nil {
			t.Fatal(err)
		}

		for _, tc := range []struct {
			name  string
			acc   *models.Account
			kinds []string // of the account's own notifications, in any order
		}{
			{"the answerer", f.admin, nil},
			{"the author", ann, []string{models.NotifyPetitionAnswered, models.NotifyCommentReply}},
			{"a public signer who replied", bob, []string{models.NotifyPetitionAnswered}},
			{"an anonymous signer", cyd, []string{models.NotifyPetitionAnswered}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				data, err := f.s.AccountExport(ctx, tc.acc)
				if err != nil {
					t.Fatal(err)
				}
				rows := data.Tables["notifications"]
				var kinds []string
				for _, r := range rows {
					if fmt.Sprint(r["account_id"]) != fmt.Sprint(tc.acc.ID) {
						t.Errorf("someone else's notification: %v", r)
					}
					kinds = append(kinds, fmt.Sprint(r["kind"]))
				}
				if len(kinds) != len(tc.kinds) {
					t.Errorf("notifications %v, want %v", kinds, tc.kinds)
				}
				for _, k := range tc.kinds {
					if !strings.Contains(strings.Join(kinds, " "), k) {
						t.Errorf("lacks its %s notification: %v", k, kinds)
					}
				}
			})
		}
	})
}

// TestAccountExportActsAndLinks: a download holds, besides the rows an
// account owns, what it did on others' rows (a moderator's answer to a
// proposal, the note closing a report, the message forwarding one, an
// administrator's domain block) with only the columns of that act, never
// the reporter's reason; and the rows tied to it through what it wrote
// (its proposal's map location and tags) or about its account (the audit
// entries naming it).
func TestAccountExportActsAndLinks(t *testing.T) {
	eachCivic(t, func(t *testing.T, f *civicFixture) {
		ctx := context.Background()
		ann, bob := f.users[0], f.users[1]
		day := 24 * time.Hour
		cons, err := f.s.CreateConsultation(ctx, f.mod, "town", models.ConsultationInput{Title: "Market", Summary: "x", MapEnabled: true,
			OpensAt: f.now.Add(-day), ContributionAt: f.now.Add(-time.Hour), SynthesisAt: f.now.Add(2 * day), ClosesAt: f.now.Add(3 * day)})
		if err != nil {
			t.Fatal(err)
		}
		p, err := f.s.CreateProposal(ctx, ann.Actor, "town", models.ProposalInput{Title: "Trees", Body: "x", Tags: []string{"shade"}, Consultation: cons.ID})
		if err != nil {
			t.Fatal(err)
		}
		lat, lon := 45.7597, 4.8422
		if err := f.s.LocateContribution(ctx, ann, models.ObjectTypeProposal, p.ID, &lat, &lon); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.SetProposalStatus(ctx, f.mod, p.ID, models.ProposalAccepted, "Planted in spring, says modo."); err != nil {
			t.Fatal(err)
		}
		bo := f.remote(t, "bo", "masto.example")
		theirs, err := f.s.CreateRemoteComment(ctx, bo, models.RemoteComment{URI: "https://masto.example/users/bo/statuses/1",
			InReplyToURI: p.URI, ContentHTML: "<p>rude</p>"})
		if err != nil {
			t.Fatal(err)
		}
		var reports []*models.Report
		for _, by := range []*models.Account{bob, ann} {
			r, err := f.s.CreateReport(ctx, by.Actor, models.ReportInput{ObjectType: models.ObjectTypeComment, ObjectID: theirs.ID,
				Reason: "Reported by " + by.Username + " in confidence"})
			if err != nil {
				t.Fatal(err)
			}
			reports = append(reports, r)
		}
		if err := f.s.ForwardReport(ctx, f.mod, reports[0].ID, "Forwarded by modo, have a look"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.DismissReport(ctx, f.mod, reports[1].ID, "Dismissed by modo: not rude"); err != nil {
			t.Fatal(err)
		}
		if _, err := f.s.BlockDomain(ctx, f.admin, "spam.example", "Blocked by boss: spam wave"); err != nil {
			t.Fatal(err)
		}
		if err := f.s.SetDecider(ctx, f.admin, "ann", true); err != nil {
			t.Fatal(err)
		}
		download := func(acc *models.Account) (*models.AccountData, string) {
			t.Helper()
			data, err := f.s.AccountExport(ctx, acc)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := json.Marshal(data)
			if err != nil {
				t.Fatal(err)
			}
			return data, string(raw)
		}
		for _, tc := range []struct {
			name        string
			acc         *models.Account
			must, never []string
			tables      []string
		}{
			{"the moderator", f.mod,
				[]string{"Planted in spring, says modo.", "Forwarded by modo, have a look", "Dismissed by modo: not rude"},
				[]string{"Reported by bob in confidence", "Reported by ann in confidence"}, nil},
			{"the administrator", f.admin, []string{"Blocked by boss: spam wave"}, nil, []string{"domain_blocks"}},
			{"the author", ann, []string{"shade", "45.7597", "set_decider:true"}, []string{"Reported by bob in confidence"},
				[]string{"contribution_locations", "proposal_tags"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				data, got := download(tc.acc)
				for _, s := range tc.must {
					if !strings.Contains(got, s) {
						t.Errorf("download lacks %q", s)
					}
				}
				for _, s := range tc.never {
					if strings.Contains(got, s) {
						t.Errorf("download holds someone else's %q", s)
					}
				}
				for _, table := range tc.tables {
					if len(data.Tables[table]) == 0 {
						t.Errorf("no %s", table)
					}
				}
			})
		}
	})
}
