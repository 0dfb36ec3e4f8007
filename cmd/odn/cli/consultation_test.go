package cli

import (
	"strings"
	"testing"
)

// TestMailIsOneLineHeaders: a subject or address holding line breaks
// (a title from another instance) cannot add a header.
func TestMailIsOneLineHeaders(t *testing.T) {
	m, err := newMailer(&Config{SMTP: "smtp://u:p@mail.example:2525", BaseURL: "https://town.example"})
	if err != nil || m.addr != "mail.example:2525" || m.from != "odn@town.example" {
		t.Fatalf("mailer %+v %v", m, err)
	}
	msg := string(m.compose("ana@example.org\r\nCc: other@example.org", "Place\r\nBcc: victim@example.org", "Line one\nLine two\n"))
	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	if strings.Contains(head, "\r\nBcc:") || strings.Contains(head, "\r\nCc:") || body != "Line one\r\nLine two\r\n" {
		t.Errorf("message:\n%s", msg)
	}
	if _, err := newMailer(&Config{SMTP: "http://mail.example"}); err == nil {
		t.Error("non-smtp URL accepted")
	}
}
