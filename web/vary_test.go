package web_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestPublicAnswersVaryOnTheLanguageCookie: feeds and widgets are public
// and kept by shared caches, worded in the reader's language, which the
// language cookie chooses before Accept-Language: their Vary names both,
// so that a cache does not hand one reader's French to the next. (It
// named Accept-Language only.)
func TestPublicAnswersVaryOnTheLanguageCookie(t *testing.T) {
	e := newDebateEnv(t)
	d, err := e.Store.CreateDebate(context.Background(), e.mod, e.space, models.DebateInput{Question: "A fountain?", Options: []string{"Yes", "No"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.OpenDebate(context.Background(), e.mod, d.ID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/embed/debates/" + strconv.FormatInt(d.ID, 10), "/s/" + e.space.Name + "/feed.atom"} {
		req, _ := http.NewRequest("GET", e.URL+path, nil)
		req.Header.Set("Accept-Language", "en")
		req.AddCookie(&http.Cookie{Name: "odn_lang", Value: "fr"})
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body := readBody(res)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, `lang="fr"`) && !strings.Contains(body, `xml:lang="fr"`) {
			t.Errorf("%s: %d, not in the cookie's French: %.300s", path, res.StatusCode, body)
		}
		vary := strings.ToLower(strings.Join(res.Header.Values("Vary"), ", "))
		if !strings.Contains(vary, "accept-language") || !strings.Contains(vary, "cookie") || !strings.Contains(vary, "accept-encoding") {
			t.Errorf("%s: Vary %q, want Accept-Language, Cookie and Accept-Encoding", path, vary)
		}
	}
}
