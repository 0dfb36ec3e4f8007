package web

import (
	"context"
	"strings"

	"github.com/opendemocracynow/odn/models"
)

// The notification digest (models/digest.go): a member who turned it on
// in their settings receives, at most once a day, an e-mail listing their
// unread notifications new since the previous one, each as the
// notifications page words it, with its link. The outbox worker queues
// the due ones on each pass (queueDigestMails), as the synthesis e-mails.

// queueDigestMails moves the due digests to the outbox, written in each
// member's language (English when it follows the browser), 100 at a time
// until none is left.
func (s *Server) queueDigestMails(ctx context.Context) {
	const batch = 100
	site := s.store.InstanceName(ctx)
	compose := func(d models.Digest) models.Mail { return s.digestMail(site, d) }
	for ctx.Err() == nil {
		n, err := s.store.QueueNotificationDigests(ctx, batch, compose)
		if err != nil {
			if ctx.Err() == nil {
				s.log.ErrorContext(ctx, "queue notification digests", "err", err)
			}
			return
		}
		if n < batch {
			return
		}
	}
}

// digestMail is the plain-text digest of d, for the instance named site:
// one line per notification (notificationText) with its absolute link
// below, how many more there are when the list is cut, and how to stop
// it (the account settings).
func (s *Server) digestMail(site string, d models.Digest) models.Mail {
	l := s.mailLocale(d.Locale, s.locales["en"])
	var b strings.Builder
	b.WriteString(l.T("mail.digest.hello", d.Username))
	b.WriteString("\n\n")
	b.WriteString(l.N("mail.digest.intro", d.Total, site))
	b.WriteString("\n\n")
	for i := range d.Notifications {
		n := &d.Notifications[i]
		b.WriteString("- ")
		b.WriteString(strings.Join(strings.Fields(notificationText(l, n)), " "))
		b.WriteString("\n")
		if n.Object != nil && n.Object.URL != "" {
			b.WriteString("  ")
			b.WriteString(s.absoluteURL(n.Object.URL))
			b.WriteString("\n")
		}
	}
	if more := d.Total - len(d.Notifications); more > 0 {
		b.WriteString("\n")
		b.WriteString(l.N("mail.digest.more", more))
		b.WriteString("\n")
	}
	b.WriteString("\n")
	b.WriteString(l.T("mail.digest.footer", s.opts.BaseURL+"/notifications", s.opts.BaseURL+"/account#settings-title"))
	return models.Mail{Kind: models.MailKindDigest, Subject: l.N("mail.digest.subject", d.Total, site), Body: b.String()}
}

// absoluteURL makes a link of this instance ("/petitions/3") absolute;
// another instance's is already.
func (s *Server) absoluteURL(u string) string {
	if strings.HasPrefix(u, "/") && !strings.HasPrefix(u, "//") {
		return s.opts.BaseURL + u
	}
	return u
}
