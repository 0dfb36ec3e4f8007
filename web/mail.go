package web

import (
	"context"
	"fmt"
	"regexp"
	"time"
)

// Mailer sends one plain-text e-mail; cmd/odn fills Options.Mailer with
// its SMTP mailer, so that this package knows no SMTP. A nil Mailer means
// the instance sends no e-mail.
type Mailer interface {
	SendMail(ctx context.Context, to, subject, body string) error
}

// Bounds of the e-mails sent in the background (sendInBackground): at
// most maxMailJobs at once, each within mailJobTimeout. Past the bound a
// job is dropped and logged: a flood of reset requests must not pile up
// goroutines.
const (
	maxMailJobs    = 8
	mailJobTimeout = 2 * time.Minute
)

// sendInBackground runs job (finding whom to write to, then sending)
// after the response, so that its duration, which differs when an
// account matches, says nothing to the requester. The job's context
// keeps the request's values (its id, for the logs) but not its end.
func (s *Server) sendInBackground(ctx context.Context, what string, job func(ctx context.Context) error) {
	select {
	case s.mailJobs <- struct{}{}:
	default:
		s.log.WarnContext(ctx, "e-mail dropped: too many in flight", "what", what)
		return
	}
	s.mailWG.Add(1)
	go func() {
		defer s.mailWG.Done()
		defer func() { <-s.mailJobs }()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), mailJobTimeout)
		defer cancel()
		if err := job(ctx); err != nil {
			s.log.WarnContext(ctx, "send e-mail", "what", what, "err", err)
		}
	}()
}

// sendTo sends one e-mail to the address to of the account named name.
// A failure's error names the account, never the address, which SMTP
// servers often echo ("550 <to>: user unknown"): the logs, where
// sendInBackground writes it, keep no e-mail address.
func (s *Server) sendTo(ctx context.Context, name, to, subject, body string) error {
	err := s.opts.Mailer.SendMail(ctx, to, subject, body)
	if err == nil {
		return nil
	}
	msg := err.Error()
	if to != "" {
		msg = regexp.MustCompile("(?i)"+regexp.QuoteMeta(to)).ReplaceAllLiteralString(msg, "[address]")
	}
	return fmt.Errorf("to @%s: %s", name, msg)
}

// Wait returns once the e-mails sent in the background are sent (or have
// failed): the server calls it at shutdown, after the last request, and
// tests before they look at what was sent.
func (s *Server) Wait() { s.mailWG.Wait() }

// mailLocale is the catalog of an e-mail to an account whose language is
// lang ("" follows the browser: the requester's, r's).
func (s *Server) mailLocale(lang string, fallback *Locale) *Locale {
	if l, ok := s.locales[lang]; ok {
		return l
	}
	return fallback
}
