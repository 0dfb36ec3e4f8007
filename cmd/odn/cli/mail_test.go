package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// mailServer is a real SMTP server on loopback (go-smtp) that keeps what
// it is given; it asks for AUTH PLAIN with user "u", password "p".
type mailServer struct {
	addr     string
	mu       sync.Mutex
	got      []mailIn
	refuse   error // answer RCPT with this while set
	sessions int
}

type mailIn struct {
	from, to string
	data     string
}

func newMailServer(t *testing.T) *mailServer {
	t.Helper()
	ms := &mailServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &mailSession{ms: ms}, nil }))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // loopback; net/smtp sends PLAIN there only
	srv.ReadTimeout, srv.WriteTimeout = 5*time.Second, 5*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln) //nolint:errcheck // closed below
	t.Cleanup(func() { srv.Close() })
	ms.addr = ln.Addr().String()
	return ms
}

func (ms *mailServer) received() []mailIn {
	ms.mu.Lock()
	defer ms.mu.Unlock()
	return append([]mailIn(nil), ms.got...)
}

type mailSession struct {
	ms       *mailServer
	authed   bool
	from, to string
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != "u" || pass != "p" {
			return errors.New("bad credentials")
		}
		s.authed = true
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.authed {
		return smtp.ErrAuthRequired
	}
	s.from = from
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	if s.ms.refuse != nil {
		return s.ms.refuse
	}
	s.to = to
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.ms.mu.Lock()
	s.ms.got = append(s.ms.got, mailIn{from: s.from, to: s.to, data: string(b)})
	s.ms.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        { s.from, s.to = "", "" }
func (s *mailSession) Logout() error { return nil }

// synthesisToMail publishes a consultation's synthesis that two local
// contributors with an e-mail address are to be told about.
func synthesisToMail(t *testing.T) *models.Store {
	t.Helper()
	ctx := context.Background()
	var mu sync.Mutex
	now := time.Now().UTC()
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	st := dbtest.SQLite(t, models.WithClock(clock), models.WithDataDir(t.TempDir()), models.WithFastPasswordHashing())
	mod, err := st.CreateAccount(ctx, models.NewAccount{Username: "modo", Password: "long enough password", Role: models.RoleModerator})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateSpace(ctx, nil, models.SpaceInput{Name: "town", Kind: models.KindCity}); err != nil {
		t.Fatal(err)
	}
	day := 24 * time.Hour
	c, err := st.CreateConsultation(ctx, mod, "town", models.ConsultationInput{Title: "La place du marché", Summary: "Quelle place ?",
		OpensAt: now.Add(-2 * day), ContributionAt: now.Add(-day), SynthesisAt: now.Add(day), ClosesAt: now.Add(10 * day)})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []struct{ name, locale string }{{"ana", "fr"}, {"ben", "en"}} {
		acc, err := st.CreateAccount(ctx, models.NewAccount{Username: n.name, Password: "long enough password", Email: n.name + "@example.org", Locale: n.locale})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.CreateProposal(ctx, acc.Actor, "town", models.ProposalInput{Title: "Des arbres " + n.name, Body: "De l'ombre.", Consultation: c.ID}); err != nil {
			t.Fatal(err)
		}
	}
	mu.Lock()
	now = now.Add(2 * day) // the synthesis phase
	mu.Unlock()
	if _, err := st.PublishSynthesis(ctx, mod, c.ID, "Des arbres, partout."); err != nil {
		t.Fatal(err)
	}
	if pending, err := st.PendingSynthesisEmails(ctx, 100); err != nil || len(pending) != 2 {
		t.Fatalf("pending e-mails: %d %v", len(pending), err)
	}
	return st
}

// TestMailerSendsThroughSMTP: the e-mails of a published synthesis go
// through a real SMTP server (AUTH PLAIN), one per contributor in their
// language, each once; a refused recipient is tried again on the next
// round, not marked sent.
func TestMailerSendsThroughSMTP(t *testing.T) {
	ctx := context.Background()
	st := synthesisToMail(t)
	ms := newMailServer(t)
	m, err := newMailer(&Config{SMTP: "smtp://u:p@" + ms.addr, BaseURL: "https://town.example"})
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))

	ms.mu.Lock()
	ms.refuse = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	ms.mu.Unlock()
	m.sendPending(ctx, st, log)
	if got := ms.received(); len(got) != 0 {
		t.Fatalf("%d messages while the server refused", len(got))
	}
	if pending, _ := st.PendingSynthesisEmails(ctx, 100); len(pending) != 2 || !strings.Contains(logs.String(), "try later") {
		t.Fatalf("after a refusal: %d pending (want 2, kept for the next round); log %s", len(pending), logs.String())
	}

	ms.mu.Lock()
	ms.refuse = nil
	ms.mu.Unlock()
	m.sendPending(ctx, st, log)
	m.sendPending(ctx, st, log) // nothing left: nobody gets it twice
	got := ms.received()
	if len(got) != 2 {
		t.Fatalf("%d messages, want 2", len(got))
	}
	for _, in := range got {
		if in.from != "odn@town.example" {
			t.Errorf("from %q", in.from)
		}
		want := map[string]string{"ana@example.org": "Bonjour ana", "ben@example.org": "Hello ben"}[in.to]
		if want == "" || !strings.Contains(in.data, want) || !strings.Contains(in.data, "https://town.example/consultations/") ||
			!strings.Contains(in.data, "To: "+in.to+"\r\n") {
			t.Errorf("message to %q:\n%s", in.to, in.data)
		}
	}
	if pending, _ := st.PendingSynthesisEmails(ctx, 100); len(pending) != 0 {
		t.Errorf("%d e-mails still pending", len(pending))
	}
}

// TestMailerSilentServer: a server that accepts the connection and never
// answers costs one timeout, not the worker: the round ends, nothing is
// marked sent.
func TestMailerSilentServer(t *testing.T) {
	ctx := context.Background()
	st := synthesisToMail(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			defer c.Close() // held open, silent, until the test ends
		}
	}()
	m, err := newMailer(&Config{SMTP: "smtp://" + ln.Addr().String(), BaseURL: "https://town.example"})
	if err != nil {
		t.Fatal(err)
	}
	m.timeout = 300 * time.Millisecond
	done := make(chan struct{})
	go func() { m.sendPending(ctx, st, slog.New(slog.DiscardHandler)); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("the mail worker is stuck on a silent server")
	}
	if pending, _ := st.PendingSynthesisEmails(ctx, 100); len(pending) != 2 {
		t.Errorf("%d pending after a timeout, want 2", len(pending))
	}
}

// TestMailerAnswersCarryTheirCode: a refusal reaches the web door as the
// server's answer, a *textproto.Error with its code, which the mail
// outbox reads to retry a 4xx and drop a 5xx (web.Mailer).
func TestMailerAnswersCarryTheirCode(t *testing.T) {
	ms := newMailServer(t)
	m, err := newMailer(&Config{SMTP: "smtp://u:p@" + ms.addr, BaseURL: "https://town.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, code := range []int{451, 550} {
		ms.mu.Lock()
		ms.refuse = &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: "no"}
		ms.mu.Unlock()
		err := m.SendMail(context.Background(), "ana@example.org", "Subject", "Body")
		var te *textproto.Error
		if !errors.As(err, &te) || te.Code != code {
			t.Errorf("answer %d: %v (%T)", code, err, err)
		}
	}
}
