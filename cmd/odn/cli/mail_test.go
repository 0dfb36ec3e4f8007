package cli

import (
	"context"
	"errors"
	"io"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/opendemocracynow/odn/web"
)

// mailServer is a real SMTP server on loopback (go-smtp) that keeps what
// it is given; it asks for AUTH PLAIN with user "u", password "p".
type mailServer struct {
	addr       string
	mu         sync.Mutex
	got        []mailIn
	refuse     error // answer RCPT with this while set
	refuseMail error // answer MAIL FROM with this while set
	sessions   int
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
	s.ms.mu.Lock()
	defer s.ms.mu.Unlock()
	if s.ms.refuseMail != nil {
		return s.ms.refuseMail
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

// TestMailerSendsThroughSMTP: an e-mail goes through a real SMTP server
// (AUTH PLAIN) from the instance's address, its subject encoded on one
// line, its body's lines ended by CRLF; a refused recipient is an error
// (the outbox tries it again), and nothing is received.
func TestMailerSendsThroughSMTP(t *testing.T) {
	ctx := context.Background()
	ms := newMailServer(t)
	m, err := newMailer(&Config{SMTP: "smtp://u:p@" + ms.addr, BaseURL: "https://town.example"})
	if err != nil {
		t.Fatal(err)
	}
	ms.mu.Lock()
	ms.refuse = &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}
	ms.mu.Unlock()
	if err := m.SendMail(ctx, "ana@example.org", "Synthèse publiée : la place", "Bonjour ana,\n\nC’est publié.\n"); err == nil || !strings.Contains(err.Error(), "try later") {
		t.Fatalf("refused: %v, want the server's answer", err)
	}
	if got := ms.received(); len(got) != 0 {
		t.Fatalf("%d messages while the server refused", len(got))
	}
	ms.mu.Lock()
	ms.refuse = nil
	ms.mu.Unlock()
	if err := m.SendMail(ctx, "ana@example.org", "Synthèse publiée : la place", "Bonjour ana,\n\nC’est publié.\n"); err != nil {
		t.Fatal(err)
	}
	got := ms.received()
	if len(got) != 1 {
		t.Fatalf("%d messages, want 1", len(got))
	}
	in := got[0]
	if in.from != "odn@town.example" || in.to != "ana@example.org" || !strings.Contains(in.data, "To: ana@example.org\r\n") ||
		!strings.Contains(in.data, "Subject: =?utf-8?q?") || !strings.Contains(in.data, "\r\n\r\nBonjour ana,\r\n\r\nC’est publié.\r\n") {
		t.Errorf("message from %q to %q:\n%s", in.from, in.to, in.data)
	}
}

// TestMailerSilentServer: a server that accepts the connection and never
// answers costs one timeout, not the worker: SendMail gives up.
func TestMailerSilentServer(t *testing.T) {
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
	done := make(chan error, 1)
	go func() { done <- m.SendMail(context.Background(), "ana@example.org", "Subject", "Body") }()
	select {
	case err := <-done:
		if err == nil {
			t.Error("a silent server took the e-mail")
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the mailer is stuck on a silent server")
	}
}

// TestMailerAnswersCarryTheirCode: a refusal reaches the web door as the
// server's answer, a *textproto.Error with its code; only a refusal of
// the recipient for good (an unknown or disabled mailbox at RCPT) is
// marked web.ErrRecipientRefused, which the outbox drops; a refusal of
// odn itself (its sender address at MAIL FROM, relaying denied) or a
// temporary one is tried again.
func TestMailerAnswersCarryTheirCode(t *testing.T) {
	ms := newMailServer(t)
	m, err := newMailer(&Config{SMTP: "smtp://u:p@" + ms.addr, BaseURL: "https://town.example"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		atMail  bool // refused at MAIL FROM, else at RCPT
		refusal *smtp.SMTPError
		refused bool
	}{
		{"temporary", false, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try later"}, false},
		{"unknown mailbox", false, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "no such user"}, true},
		{"disabled mailbox", false, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 2, 1}, Message: "disabled"}, true},
		{"no enhanced status, 550", false, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "no such user"}, true},
		{"relaying denied", false, &smtp.SMTPError{Code: 554, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "relay access denied"}, false},
		{"mailbox full", false, &smtp.SMTPError{Code: 552, EnhancedCode: smtp.EnhancedCode{5, 2, 2}, Message: "over quota"}, false},
		{"sender refused", true, &smtp.SMTPError{Code: 553, EnhancedCode: smtp.EnhancedCode{5, 7, 1}, Message: "sender not owned"}, false},
		{"sender refused, no enhanced status", true, &smtp.SMTPError{Code: 550, EnhancedCode: smtp.NoEnhancedCode, Message: "no"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ms.mu.Lock()
			ms.refuse, ms.refuseMail = nil, nil
			if tc.atMail {
				ms.refuseMail = tc.refusal
			} else {
				ms.refuse = tc.refusal
			}
			ms.mu.Unlock()
			err := m.SendMail(context.Background(), "ana@example.org", "Subject", "Body")
			var te *textproto.Error
			if !errors.As(err, &te) || te.Code != tc.refusal.Code {
				t.Errorf("answer %d: %v (%T)", tc.refusal.Code, err, err)
			}
			if got := errors.Is(err, web.ErrRecipientRefused); got != tc.refused {
				t.Errorf("recipient refused %v, want %v (%v)", got, tc.refused, err)
			}
		})
	}
}
