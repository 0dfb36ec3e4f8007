package models_test

import (
	"context"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// TestLinkAndItsMailAreOneTransaction: a password reset or confirmation
// link is stored with its e-mail in one transaction. When the e-mail
// cannot be queued (the outbox table made unreachable), no link is left
// behind either, so none is counted against the limits: once the outbox
// is back, the account still gets its MaxPasswordResets links, each with
// its e-mail naming it.
func TestLinkAndItsMailAreOneTransaction(t *testing.T) {
	for _, tc := range []struct {
		name, kind, table string
		request           func(ctx context.Context, s *models.Store, acc *models.Account, mail models.LinkMail) (int, error)
	}{
		{"password reset", models.LinkReset, "password_resets",
			func(ctx context.Context, s *models.Store, acc *models.Account, mail models.LinkMail) (int, error) {
				links, err := s.RequestPasswordReset(ctx, acc.Username, mail)
				return len(links), err
			}},
		{"e-mail confirmation", models.LinkConfirm, "email_confirmations",
			func(ctx context.Context, s *models.Store, acc *models.Account, mail models.LinkMail) (int, error) {
				link, err := s.RequestEmailConfirmation(ctx, acc.ID, mail)
				if link == nil {
					return 0, err
				}
				return 1, err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachMailStore(t, func(t *testing.T, s *models.Store, now *time.Time) {
				ctx := context.Background()
				acc, err := s.CreateAccount(ctx, models.NewAccount{Username: "ann", Email: "ann@example.org", Password: "correct horse battery", Role: models.RoleMember})
				if err != nil {
					t.Fatal(err)
				}
				if _, err := s.DB.NewRaw("UPDATE accounts SET pending_email = 'new@example.org' WHERE id = ?", acc.ID).Exec(ctx); err != nil {
					t.Fatal(err)
				}
				mail := func(l models.MailLink) models.Mail {
					return models.Mail{Kind: tc.name, Subject: "your link", Body: "open /x?token=" + models.LinkToken}
				}
				links := func() int {
					t.Helper()
					n, err := s.DB.NewSelect().TableExpr(tc.table).Count(ctx)
					if err != nil {
						t.Fatal(err)
					}
					return int(n)
				}
				rename := func(from, to string) {
					t.Helper()
					if _, err := s.DB.ExecContext(ctx, "ALTER TABLE "+from+" RENAME TO "+to); err != nil {
						t.Fatal(err)
					}
				}

				rename("mail_outbox", "mail_outbox_away")
				for range models.MaxPasswordResets + 1 {
					if n, err := tc.request(ctx, s, acc, mail); err == nil || n != 0 {
						t.Fatalf("queueing failed, yet %d link(s), err %v", n, err)
					}
				}
				if n := links(); n != 0 {
					t.Fatalf("%d link(s) left without their e-mail", n)
				}
				rename("mail_outbox_away", "mail_outbox")

				for i := range models.MaxPasswordResets {
					if n, err := tc.request(ctx, s, acc, mail); err != nil || n != 1 {
						t.Fatalf("request %d once the outbox is back: %d link(s), %v", i+1, n, err)
					}
				}
				rows := mailRows(t, s)
				if len(rows) != models.MaxPasswordResets || links() != models.MaxPasswordResets {
					t.Fatalf("%d mails for %d links, want %d of each", len(rows), links(), models.MaxPasswordResets)
				}
				for i, m := range rows {
					if m.LinkKind != tc.kind || m.LinkID == 0 || m.AccountID != acc.ID || m.Username != "ann" || m.Subject != "your link" ||
						!m.ExpiresAt.After(*now) || (i > 0 && m.LinkID == rows[i-1].LinkID) {
						t.Errorf("mail %d: %+v", i, m)
					}
				}
				if want := map[string]string{models.LinkReset: "ann@example.org", models.LinkConfirm: "new@example.org"}[tc.kind]; rows[0].Address != want {
					t.Errorf("mailed to %q, want %q", rows[0].Address, want)
				}
			})
		})
	}
}
