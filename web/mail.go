package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// Mailer sends one plain-text e-mail; cmd/odn fills Options.Mailer with
// its SMTP mailer, so that this package knows no SMTP. A nil Mailer means
// the instance sends no e-mail. An error wrapping ErrRecipientRefused is
// a refusal for good (the address); any other error is tried again later.
type Mailer interface {
	SendMail(ctx context.Context, to, subject, body string) error
}

// ErrRecipientRefused is what a Mailer's error wraps when the mail server
// refused the recipient for good (RFC 5321 5xx at RCPT, such as an
// unknown mailbox): the e-mail is dropped, not tried again. A refusal at
// any other step (the greeting, MAIL FROM, authentication, DATA) is about
// odn's own setup or the server's state (a wrong --smtp-from, an address
// on a block list, relaying denied) and refuses every e-mail until it is
// fixed: those are tried again, within MaxMailAttempts and their expiry.
var ErrRecipientRefused = errors.New("recipient refused")

// E-mails go through the mail outbox (models/mail_outbox.go): a request
// queues them (queueMail), after its response when the work of finding
// whom to write to would tell something (sendInBackground), and the
// outbox worker (RunMail) sends them, retries temporary failures with
// backoff and drops what the server refuses for good or what expired.
// A row is deleted as soon as its e-mail is sent: the link's token it
// carries is kept at rest no longer than needed.
//
// Bounds: at most maxMailJobs background jobs at once (past it a job is
// dropped and logged: a flood of reset requests must not pile up
// goroutines), each within mailJobTimeout; the worker sends one e-mail
// at a time, each within mailJobTimeout, claiming mailBatch at a time
// under a lease long enough for the batch (mailLease), and looks for
// due retries every mailTick besides being woken by each queueing.
const (
	maxMailJobs    = 8
	mailJobTimeout = 2 * time.Minute
	mailBatch      = 5
	mailLease      = mailBatch*mailJobTimeout + time.Minute
	mailTick       = time.Minute
)

// What a queued e-mail is (models.Mail.Kind), for the logs.
const (
	mailKindReset   = "password reset"
	mailKindConfirm = "e-mail confirmation"
	mailKindChanged = "e-mail changed"
)

// sendInBackground runs job (finding whom to write to, then queueing)
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
			s.log.WarnContext(ctx, "queue e-mail", "what", what, "err", err)
		}
	}()
}

// queueMail puts mails in the outbox and wakes the worker.
func (s *Server) queueMail(ctx context.Context, mails ...models.Mail) error {
	if err := s.store.QueueMail(ctx, mails...); err != nil {
		return err
	}
	s.wakeMail()
	return nil
}

// wakeMail tells the worker that e-mails were queued.
func (s *Server) wakeMail() {
	select {
	case s.mailWake <- struct{}{}:
	default: // already woken
	}
}

// RunMail sends the queued e-mails until ctx ends: at once when one is
// queued, and every mailTick for the retries that come due. cmd/odn runs
// it with the other workers when the instance has a mailer; several
// nodes may run it (the outbox's claim gives each e-mail to one).
func (s *Server) RunMail(ctx context.Context) {
	t := time.NewTicker(mailTick)
	defer t.Stop()
	for {
		s.sendDueMail(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.mailWake:
		}
	}
}

// sendDueMail drops the expired e-mails, then sends the due ones, a
// batch at a time, until none is due or ctx ends; the claimed ones not
// tried when it ends are given back.
func (s *Server) sendDueMail(ctx context.Context) {
	s.queueSynthesisMails(ctx)
	s.queueDigestMails(ctx)
	if n, err := s.store.DropExpiredMails(ctx); err != nil {
		s.log.ErrorContext(ctx, "drop expired e-mails", "err", err)
	} else if n > 0 {
		s.log.WarnContext(ctx, "e-mails expired unsent", "count", n)
		s.mailResult("expired", int(n))
	}
	for ctx.Err() == nil {
		mails, err := s.store.ClaimMails(ctx, s.mailOwner, mailBatch, mailLease)
		if err != nil {
			if ctx.Err() == nil {
				s.log.ErrorContext(ctx, "claim e-mails", "err", err)
			}
			return
		}
		if len(mails) == 0 {
			return
		}
		for i := range mails {
			if ctx.Err() != nil || !s.sendQueued(ctx, &mails[i]) {
				s.releaseMails(ctx, mails[i:])
				return
			}
		}
	}
}

// queueSynthesisMails moves the e-mails that tell contributors a
// consultation's synthesis is published (here, or at another instance
// they contributed to) to the outbox, written in each one's language
// (English when it follows the browser), 100 at a time until none is left.
func (s *Server) queueSynthesisMails(ctx context.Context) {
	const batch = 100
	for ctx.Err() == nil {
		n, err := s.store.QueueSynthesisEmails(ctx, batch, s.synthesisMail)
		if err != nil {
			if ctx.Err() == nil {
				s.log.ErrorContext(ctx, "queue synthesis e-mails", "err", err)
			}
			return
		}
		if n < batch {
			return
		}
	}
}

// synthesisMail is the e-mail telling e's recipient that a synthesis is
// published, with a link to it: here, the consultation's synthesis;
// another instance's, its consultation's page there.
func (s *Server) synthesisMail(e models.SynthesisEmail) models.Mail {
	link := s.opts.BaseURL + "/consultations/" + strconv.FormatInt(e.ConsultationID, 10) + "#synthesis"
	if e.RemoteSynthesisID != 0 {
		link = e.URL
	}
	l := s.mailLocale(e.Locale, s.locales["en"])
	title := strings.Join(strings.Fields(e.Title), " ")
	return models.Mail{Kind: "synthesis", Subject: l.T("mail.synthesis.subject", title), Body: l.T("mail.synthesis.body", e.Username, title, link)}
}

// sendQueued sends one claimed e-mail and records the outcome: deleted
// once sent, tried again after models.MailBackoff on a temporary failure,
// dropped (and logged, with the account's name, never the address) when
// refused for good, worn out or about to expire. It reports false when
// ctx ended before the mail server answered: the e-mail was not tried.
func (s *Server) sendQueued(ctx context.Context, m *models.Mail) bool {
	body := m.Body
	if m.LinkKind != "" {
		token, ok, err := s.store.MintLinkToken(ctx, m.LinkKind, m.LinkID)
		if err != nil {
			if ctx.Err() == nil {
				s.log.ErrorContext(ctx, "mint e-mail link", "what", m.Kind, "err", err)
			}
			return false // given back, tried again
		}
		if !ok { // used, expired or erased meanwhile: nothing to send
			if _, err := s.store.MailFailed(ctx, m, s.mailOwner, "link no longer valid", 0); err != nil {
				s.log.ErrorContext(ctx, "drop e-mail", "what", m.Kind, "err", err)
			}
			s.log.InfoContext(ctx, "e-mail dropped: its link is no longer valid", "what", m.Kind, "to", "@"+m.Username)
			return true
		}
		body = strings.ReplaceAll(body, models.LinkToken, url.QueryEscape(token))
	}
	sctx, cancel := context.WithTimeout(ctx, mailJobTimeout)
	err := s.sendTo(sctx, m.Username, m.Address, m.Subject, body)
	cancel()
	if err == nil {
		s.mailResult("sent", 1)
		if err := s.store.MailSent(context.WithoutCancel(ctx), m.ID); err != nil {
			s.log.ErrorContext(ctx, "forget sent e-mail", "what", m.Kind, "err", err)
		}
		return true
	}
	if ctx.Err() != nil {
		return false
	}
	retryIn := models.MailBackoff(m.Attempts)
	if permanentMailError(err) {
		retryIn = 0
	}
	dropped, ferr := s.store.MailFailed(ctx, m, s.mailOwner, err.Error(), retryIn)
	switch {
	case ferr != nil:
		s.log.ErrorContext(ctx, "record e-mail failure", "what", m.Kind, "err", ferr)
	case !dropped:
		s.mailResult("retried", 1)
		s.log.WarnContext(ctx, "send e-mail", "what", m.Kind, "attempts", m.Attempts, "retry_in", retryIn.String(), "err", err)
	case retryIn == 0:
		s.mailResult("refused", 1)
		s.log.WarnContext(ctx, "send e-mail: refused, not retried", "what", m.Kind, "err", err)
	default:
		s.mailResult("given_up", 1)
		s.log.WarnContext(ctx, "send e-mail: given up", "what", m.Kind, "attempts", m.Attempts, "err", err)
	}
	return true
}

// releaseMails gives back claimed e-mails not tried (the worker
// stopping), so that another node, or the next start, sends them at once.
func (s *Server) releaseMails(ctx context.Context, mails []models.Mail) {
	ids := make([]int64, len(mails))
	for i, m := range mails {
		ids[i] = m.ID
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := s.store.ReleaseMails(ctx, s.mailOwner, ids); err != nil {
		s.log.ErrorContext(ctx, "release e-mails", "err", err)
	}
}

// mailResult counts n e-mails by outcome in the metrics.
func (s *Server) mailResult(result string, n int) {
	s.metrics.GetOrCreateCounter(fmt.Sprintf(`odn_mail_total{result=%q}`, result)).Add(n)
}

// permanentMailError reports whether err is the mail server refusing
// the e-mail's recipient for good (ErrRecipientRefused).
func permanentMailError(err error) bool { return errors.Is(err, ErrRecipientRefused) }

// mailError is a failure to send to an account: its message names the
// account, never the address, which SMTP servers often echo ("550 <to>:
// user unknown"), so that the logs and the outbox keep no address; it
// still unwraps to the mailer's error, for permanentMailError.
type mailError struct {
	msg string
	err error
}

func (e *mailError) Error() string { return e.msg }
func (e *mailError) Unwrap() error { return e.err }

// sendTo sends one e-mail to the address to of the account named name;
// a failure is a *mailError.
func (s *Server) sendTo(ctx context.Context, name, to, subject, body string) error {
	err := s.opts.Mailer.SendMail(ctx, to, subject, body)
	if err == nil {
		return nil
	}
	msg := err.Error()
	if to != "" {
		msg = regexp.MustCompile("(?i)"+regexp.QuoteMeta(to)).ReplaceAllLiteralString(msg, "[address]")
	}
	return &mailError{msg: fmt.Sprintf("to @%s: %s", name, msg), err: err}
}

// Wait returns once the e-mails asked for so far are queued, and those
// due have been tried once (sent, or failed and left for a retry, or
// dropped): the server calls it at shutdown, after the last request, and
// tests before they look at what was sent.
func (s *Server) Wait() { s.Drain(context.Background()) }

// Drain is Wait until ctx ends (the shutdown's grace): then it stops,
// gives back the e-mails it claimed and did not try, and an e-mail being
// sent is cut short and given back too, so that none stays leased to a
// process that is gone.
func (s *Server) Drain(ctx context.Context) {
	queued := make(chan struct{})
	go func() { s.mailWG.Wait(); close(queued) }()
	select {
	case <-queued:
	case <-ctx.Done():
		return
	}
	if s.opts.Mailer == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, mailJobTimeout)
	defer cancel()
	s.sendDueMail(ctx)
}

// mailOwnerID names this process in the outbox's leases: host name and
// a random suffix (two processes on one host, tests).
func mailOwnerID() string {
	host, _ := os.Hostname()
	return host + "/" + rand.Text()[:10]
}

// mailLocale is the catalog of an e-mail to an account whose language is
// lang ("" follows the browser: the requester's, r's).
func (s *Server) mailLocale(lang string, fallback *Locale) *Locale {
	if l, ok := s.locales[lang]; ok {
		return l
	}
	return fallback
}

// mailGauges publish the outbox in the metrics: odn_mail_outbox
// {state="waiting"}, every e-mail queued, and {state="retrying"}, those
// that failed at least once. They are read from the database at scrape
// time, as the federation's queue gauges, so that every node reports the
// shared outbox; -1 when it cannot be read.
func (s *Server) mailGauges() {
	for _, state := range []string{"waiting", "retrying"} {
		s.metrics.GetOrCreateGauge(fmt.Sprintf(`odn_mail_outbox{state=%q}`, state), func() float64 {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			waiting, retrying, err := s.store.MailCounts(ctx)
			switch {
			case err != nil:
				return -1
			case state == "waiting":
				return float64(waiting)
			}
			return float64(retrying)
		})
	}
}
