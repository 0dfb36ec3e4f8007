package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"mime"
	"net"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strings"
	"time"

	"github.com/VictoriaMetrics/metrics"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/web"
)

func init() { wirings = append(wirings, wireConsultations) }

// wireConsultations gives the store its data directory (uploads under
// DATA/uploads), the web door its map tiles and, when SMTP is configured,
// its mailer: the web door's mail outbox worker sends every e-mail
// through it (links, notices, published syntheses).
func wireConsultations(ctx context.Context, cfg *Config, st *models.Store, log *slog.Logger, ms *metrics.Set, opts *web.Options, a *app) error {
	st.SetDataDir(cfg.Data)
	if cfg.MapTiles != "" {
		u, err := url.Parse(strings.NewReplacer("{z}", "0", "{x}", "0", "{y}", "0").Replace(cfg.MapTiles))
		if err != nil || (u.Scheme != "https" && !(u.Scheme == "http" && cfg.DevInsecure)) || u.Host == "" ||
			!strings.Contains(cfg.MapTiles, "{z}") || !strings.Contains(cfg.MapTiles, "{x}") || !strings.Contains(cfg.MapTiles, "{y}") {
			return usagef("invalid --map-tiles %q: use an https URL with {z}, {x} and {y}", cfg.MapTiles)
		}
		opts.MapTiles = cfg.MapTiles
	}
	if cfg.SMTP == "" {
		return nil
	}
	m, err := newMailer(cfg)
	if err != nil {
		return err
	}
	opts.Mailer = m
	return nil
}

// mailer sends the e-mails the web door's outbox hands it (SendMail)
// through SMTP (STARTTLS when the server offers it; net/smtp refuses plain-text auth
// without TLS except on localhost).
type mailer struct {
	addr, from, host string
	auth             smtp.Auth
	timeout          time.Duration // one message, from dial to QUIT
}

// mailTimeout bounds one message: a mail server that accepts the
// connection and then says nothing must not hold the worker.
const mailTimeout = time.Minute

func newMailer(cfg *Config) (*mailer, error) {
	u, err := url.Parse(cfg.SMTP)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return nil, usagef("invalid --smtp: use smtp://user:password@host:587")
	}
	host, port, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, port = u.Host, "587"
	}
	m := &mailer{addr: net.JoinHostPort(host, port), from: cfg.SMTPFrom, host: host, timeout: mailTimeout}
	if m.from == "" {
		bu, _ := url.Parse(cfg.BaseURL)
		m.from = "odn@" + bu.Hostname()
	}
	if u.User != nil {
		pw, _ := u.User.Password()
		m.auth = smtp.PlainAuth("", u.User.Username(), pw, host)
	}
	return m, nil
}

// send delivers one message to one address within m.timeout. It is
// smtp.SendMail (STARTTLS when offered, then AUTH when configured) on a
// connection with a deadline: SendMail has none, and a server that went
// silent held the worker, and every later e-mail, forever.
// ctx may end it sooner.
func (m *mailer) send(ctx context.Context, to string, msg []byte) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout)
	defer cancel()
	conn, err := new(net.Dialer).DialContext(ctx, "tcp", m.addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline, _ := ctx.Deadline()
	if err := conn.SetDeadline(deadline); err != nil {
		return err
	}
	c, err := smtp.NewClient(conn, m.host)
	if err != nil {
		return err
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: m.host, MinVersion: tls.VersionTLS12}); err != nil {
			return err
		}
	}
	if m.auth != nil {
		if ok, _ := c.Extension("AUTH"); !ok {
			return errors.New("smtp: the server offers no AUTH, and credentials are configured")
		}
		if err := c.Auth(m.auth); err != nil {
			return err
		}
	}
	if err := c.Mail(m.from); err != nil {
		return err
	}
	if err := c.Rcpt(to); err != nil {
		return recipientError(err)
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// SendMail sends one plain-text e-mail (the web door's: password reset
// links, the notice of a changed address) within the mailer's timeout.
func (m *mailer) SendMail(ctx context.Context, to, subject, body string) error {
	return m.send(ctx, to, m.compose(to, subject, body))
}

// oneLine joins s's lines and runs of spaces into single spaces.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// compose is a plain-text message: header values single-line and
// encoded, the body's lines ended by CRLF as SMTP wants.
func (m *mailer) compose(to, subject, body string) []byte {
	var b strings.Builder
	b.WriteString("From: " + m.from + "\r\n")
	b.WriteString("To: " + oneLine(to) + "\r\n")
	b.WriteString("Subject: " + mime.QEncoding.Encode("utf-8", oneLine(subject)) + "\r\n")
	b.WriteString("Date: " + time.Now().UTC().Format(time.RFC1123Z) + "\r\n")
	b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n")
	b.WriteString("Auto-Submitted: auto-generated\r\n\r\n")
	b.WriteString(strings.ReplaceAll(strings.ReplaceAll(body, "\r\n", "\n"), "\n", "\r\n"))
	return []byte(b.String())
}

// recipientError marks the server's answer to RCPT as a refusal of the
// recipient for good (web.ErrRecipientRefused) when it is about the
// address: a 5xx whose enhanced status (RFC 3463) is 5.1.x (no such
// mailbox or domain) or 5.2.1 (mailbox disabled), or, without an
// enhanced status, 550, 551 or 553. Other refusals at RCPT (5.7.1
// relaying denied, a policy, a full mailbox) concern odn's setup or pass:
// the outbox tries them again.
func recipientError(err error) error {
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code < 500 || te.Code > 599 {
		return err
	}
	status, _, _ := strings.Cut(te.Msg, " ")
	var class, subject, detail int
	if n, _ := fmt.Sscanf(status, "%d.%d.%d", &class, &subject, &detail); n == 3 {
		if class == 5 && (subject == 1 || subject == 2 && detail == 1) {
			return fmt.Errorf("%w: %w", web.ErrRecipientRefused, err)
		}
		return err
	}
	switch te.Code {
	case 550, 551, 553:
		return fmt.Errorf("%w: %w", web.ErrRecipientRefused, err)
	}
	return err
}
