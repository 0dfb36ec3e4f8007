package cli

import (
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

func TestSynthesisMailIsOneLineHeaders(t *testing.T) {
	m, err := newMailer(&Config{SMTP: "smtp://u:p@mail.example:2525", BaseURL: "https://town.example"})
	if err != nil || m.addr != "mail.example:2525" || m.from != "odn@town.example" {
		t.Fatalf("mailer %+v %v", m, err)
	}
	msg := string(m.message(models.SynthesisEmail{Email: "ana@example.org", Username: "ana", ConsultationID: 3, Locale: "fr",
		Title: "Place\r\nBcc: victim@example.org"}))
	head, body, _ := strings.Cut(msg, "\r\n\r\n")
	if strings.Contains(head, "\r\nBcc:") || !strings.Contains(body, "https://town.example/consultations/3#synthesis") || !strings.Contains(body, "Bonjour ana") {
		t.Errorf("message:\n%s", msg)
	}
	// Another instance's synthesis links to its consultation there.
	msg = string(m.message(models.SynthesisEmail{Email: "bob@example.org", Username: "bob", RemoteSynthesisID: 1, Title: "Budget",
		URL: "https://city.example/consultations/9"}))
	if _, body, _ := strings.Cut(msg, "\r\n\r\n"); !strings.Contains(body, "is published:\r\nhttps://city.example/consultations/9\r\n") {
		t.Errorf("remote synthesis message:\n%s", msg)
	}
	if _, err := newMailer(&Config{SMTP: "http://mail.example"}); err == nil {
		t.Error("non-smtp URL accepted")
	}
}
