package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestSearchPage: the search page, linked from every page's navigation,
// finds things of every kind by folded words, previews each kind with a
// link to all of it, pages one kind, keeps the form filled, and refuses
// too short a search on its field (422), in English and French; comments
// are found too, linked by their permalink and named by their item.
func TestSearchPage(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	ctx := context.Background()
	alice, err := e.Store.AccountByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 25 {
		p, err := e.Store.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: fmt.Sprintf("Jardin partagé n° %d", i), Body: "Des légumes <b>pour tous</b>."})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, p.ID)
	}
	sacha, err := e.Store.AccountByUsername(ctx, "sacha")
	if err != nil {
		t.Fatal(err)
	}
	n, err := e.Store.PublishNews(ctx, sacha, "ville", models.NewsInput{Title: "Les jardins ouvrent", Body: "Samedi."})
	if err != nil {
		t.Fatal(err)
	}
	c := e.client()

	home := readBody(e.get(c, "/"))
	if !strings.Contains(home, `<a href="/search">Search</a>`) {
		t.Fatal("the navigation has no link to the search")
	}

	space := readBody(e.get(c, "/s/ville"))
	if !strings.Contains(space, `<input type="hidden" name="space" value="ville">`) || !strings.Contains(space, `<label for="f-space-q">Search in Ville</label>`) {
		t.Fatal("the space page has no search of its own")
	}

	res := e.get(c, "/search?q=JARDIN")
	body := readBody(res)
	for _, want := range []string{
		`<title>Search: JARDIN`, `value="JARDIN"`, "26 results.", `<h2 id="h-proposals">Proposals <span class="count">(25)</span></h2>`,
		fmt.Sprintf(`<a href="/p/%d">Jardin partagé n° 24</a>`, ids[24]), `<p class="excerpt">Des légumes pour tous.</p>`,
		fmt.Sprintf(`<a href="/news/%d">Les jardins ouvrent</a>`, n.ID), `href="/search?kind=proposals&amp;q=JARDIN"`, "See all 25 results: Proposals",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("results lack %q", want)
		}
	}
	if res.StatusCode != http.StatusOK || strings.Contains(body, fmt.Sprintf(`href="/p/%d"`, ids[21])) {
		t.Errorf("status %d; the preview must stop at %d proposals", res.StatusCode, models.SearchPreview)
	}

	// One kind, paged by 20: by relevance (equal here: newest first), by
	// offset; newest first (sort=new) by id, as a link from before
	// relevance (before= without sort) still is.
	body = readBody(e.get(c, "/search?kind=proposals&q=jardin"))
	if !strings.Contains(body, fmt.Sprintf(`href="/p/%d"`, ids[5])) || strings.Contains(body, fmt.Sprintf(`href="/p/%d"`, ids[4])) {
		t.Fatal("the first page of proposals is not the 20 first")
	}
	if !strings.Contains(body, `<option value="relevance" selected>Most relevant first</option>`) {
		t.Error("the order field does not show relevance")
	}
	for _, tc := range []struct{ page, next, last string }{
		{"/search?kind=proposals&q=jardin", `href="/search?kind=proposals&amp;offset=20&amp;q=jardin" rel="next"`, "/search?kind=proposals&offset=20&q=jardin"},
		{"/search?kind=proposals&q=jardin&sort=new", fmt.Sprintf(`href="/search?before=%d&amp;kind=proposals&amp;q=jardin&amp;sort=new" rel="next"`, ids[5]),
			fmt.Sprintf("/search?before=%d&kind=proposals&q=jardin&sort=new", ids[5])},
		{"/search?kind=proposals&q=jardin&sort=new", "", fmt.Sprintf("/search?before=%d&kind=proposals&q=jardin", ids[5])},
	} {
		if body := readBody(e.get(c, tc.page)); !strings.Contains(body, tc.next) {
			t.Errorf("%s: no next page link %s", tc.page, tc.next)
		}
		body := readBody(e.get(c, tc.last))
		if !strings.Contains(body, fmt.Sprintf(`href="/p/%d"`, ids[0])) || strings.Contains(body, fmt.Sprintf(`href="/p/%d"`, ids[5])) || strings.Contains(body, `rel="next"`) {
			t.Errorf("%s: the last page of proposals is wrong", tc.last)
		}
	}

	// Refusals, on their fields.
	res = e.get(c, "/search?q=j")
	body = readBody(res)
	if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Type at least two letters to search.") ||
		!strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("a one-letter search: %d", res.StatusCode)
	}
	for path, msg := range map[string]string{
		"/search?q=jardin&sort=popular":                           "The order must be relevance or new.",
		"/search?q=jardin&kind=proposals&sort=new&offset=20":      "This page link is not valid.",
		"/search?q=jardin&kind=proposals&offset=5000":             "Pages by relevance stop at the 1,000th hit",
		"/search?q=jardin&kind=proposals&sort=relevance&before=3": "This page link is not valid.",
	} {
		if res := e.get(c, path); res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(readBody(res), msg) {
			t.Errorf("%s: %d, want 422 saying %q", path, res.StatusCode, msg)
		}
	}
	if res := e.get(c, "/search?q=jardin&space=nowhere"); res.StatusCode != http.StatusNotFound {
		t.Fatalf("an unknown space: %d", res.StatusCode)
	}

	// In French.
	req, _ := http.NewRequest(http.MethodGet, e.URL+"/search?q=jardins", nil)
	req.Header.Set("Accept-Language", "fr")
	body = readBody(e.do(c, req))
	for _, want := range []string{"Mots à chercher", "1 résultat.", "Actualités"} {
		if !strings.Contains(body, want) {
			t.Errorf("French results lack %q:\n%s", want, body)
		}
	}

	// Comments, linked by their permalink and named by their item.
	cm, err := e.Store.CreateComment(ctx, alice.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: ids[0], Body: "Des **potagers** aussi."})
	if err != nil {
		t.Fatal(err)
	}
	body = readBody(e.get(c, "/search?q=potagers"))
	for _, want := range []string{`<h2 id="h-comments">Comments <span class="count">(1)</span></h2>`,
		fmt.Sprintf(`<a href="/c/%d">Comment on “Jardin partagé n° 0”</a>`, cm.ID), `<p class="excerpt">Des <mark>potagers</mark> aussi.</p>`} {
		if !strings.Contains(body, want) {
			t.Errorf("comment results lack %q", want)
		}
	}
	req, _ = http.NewRequest(http.MethodGet, e.URL+"/search?q=potagers&kind=comments", nil)
	req.Header.Set("Accept-Language", "fr")
	body = readBody(e.do(c, req))
	for _, want := range []string{`<option value="comments" selected>Commentaires</option>`,
		fmt.Sprintf("<a href=\"/c/%d\">Commentaire sur «\u00a0Jardin partagé n° 0\u00a0»</a>", cm.ID)} {
		if !strings.Contains(body, want) {
			t.Errorf("French comment results lack %q", want)
		}
	}
}

// TestSearchExcerptAroundMatch: a hit's excerpt is the part of its text
// around the first searched word, found case and accents aside, cut at
// words with "…"; the page marks the words (escaping the text around),
// the API's excerpt is plain. Before, the excerpt was the text's start,
// which did not hold the word.
func TestSearchExcerptAroundMatch(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	alice, err := e.Store.AccountByUsername(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	filler := strings.Repeat("Des bancs & des arbres. ", 20)
	if _, err := e.Store.CreateProposal(context.Background(), alice.Actor, "ville", models.ProposalInput{Title: "La place",
		Body: filler + "Une FONTAINE à 1 < 2 €, près de l'ÉCOLE. " + filler}); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	body := readBody(e.get(c, "/search?q=fontaine+ecole"))
	want := `<p class="excerpt">…arbres. Des bancs &amp; des arbres. Des bancs &amp; des arbres. Une <mark>FONTAINE</mark> à 1 &lt; 2 €, près de l&#39;<mark>ÉCOLE</mark>. Des bancs`
	if !strings.Contains(body, want) {
		t.Errorf("the page's excerpt is not around the words:\n%s", body)
	}
	var out struct {
		Items []struct {
			Excerpt string `json:"excerpt"`
		} `json:"items"`
	}
	res := e.get(c, "/api/v1/search?q=fontaine+ecole")
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if len(out.Items) != 1 || !strings.Contains(out.Items[0].Excerpt, "Une FONTAINE à 1 < 2 €, près de l'ÉCOLE.") ||
		!strings.HasPrefix(out.Items[0].Excerpt, "…") || !strings.HasSuffix(out.Items[0].Excerpt, "…") || strings.Contains(out.Items[0].Excerpt, "mark") {
		t.Errorf("the API's excerpt: %+v", out.Items)
	}
	// Words only in the title: the text's start.
	body = readBody(e.get(c, "/search?q=place"))
	if !strings.Contains(body, `<p class="excerpt">Des bancs &amp; des arbres. Des bancs`) {
		t.Errorf("a title-only match does not show the text's start:\n%s", body)
	}
}

// TestSearchRateLimited: an address searches at most 30 times a minute,
// page and API together (a search ranks every match of six kinds); the next
// gets 429 with Retry-After, and the empty form still opens.
func TestSearchRateLimited(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	c := e.client()
	for i := range 30 {
		path := "/search?q=jardin"
		if i%2 == 1 {
			path = "/api/v1/search?q=jardin"
		}
		if res := e.get(c, path); res.StatusCode != http.StatusOK {
			t.Fatalf("search %d: %d", i+1, res.StatusCode)
		}
	}
	for _, path := range []string{"/search?q=jardin", "/api/v1/search?q=jardin"} {
		res := e.get(c, path)
		readBody(res)
		if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" {
			t.Errorf("%s past the limit: %d, Retry-After %q; want 429 with Retry-After", path, res.StatusCode, res.Header.Get("Retry-After"))
		}
	}
	if res := e.get(c, "/search"); res.StatusCode != http.StatusOK {
		t.Errorf("the empty form past the limit: %d", res.StatusCode)
	}
}

// TestAPISearchPages: next_cursor pages through every match once, by
// relevance ("o" and an offset) and newest first (an id), and an id
// cursor without sort (as the API gave before relevance) is newest first.
func TestAPISearchPages(t *testing.T) {
	e := newEnv(t)
	civicEnv(t, e)
	ctx := context.Background()
	alice, err := e.Store.AccountByUsername(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	var newest []string
	for i := range 12 {
		title := fmt.Sprintf("Idée %d", i)
		if i%4 == 0 {
			title = fmt.Sprintf("Compost %d", i) // in the title: first
		}
		p, err := e.Store.CreateProposal(ctx, alice.Actor, "ville", models.ProposalInput{Title: title, Body: "Du compost au jardin."})
		if err != nil {
			t.Fatal(err)
		}
		newest = append([]string{strconv.FormatInt(p.ID, 10)}, newest...)
	}
	c := e.client()
	pages := func(path string) (ids, cursors []string) {
		t.Helper()
		for range 20 {
			var out struct {
				Items []struct {
					ID string `json:"id"`
				} `json:"items"`
				NextCursor string `json:"next_cursor"`
			}
			res := e.get(c, path)
			if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusOK {
				t.Fatalf("%s: %d %v", path, res.StatusCode, err)
			}
			res.Body.Close()
			for _, it := range out.Items {
				ids = append(ids, it.ID)
			}
			if out.NextCursor == "" {
				return ids, cursors
			}
			cursors = append(cursors, out.NextCursor)
			base, _, _ := strings.Cut(path, "&cursor=")
			path = base + "&cursor=" + url.QueryEscape(out.NextCursor)
		}
		t.Fatal("pages without end")
		return nil, nil
	}
	relevance, cursors := pages("/api/v1/search?q=compo&kind=proposals&limit=5")
	want := append([]string{newest[3], newest[7], newest[11]}, slices.DeleteFunc(slices.Clone(newest), func(id string) bool {
		return id == newest[3] || id == newest[7] || id == newest[11]
	})...)
	if !slices.Equal(relevance, want) || fmt.Sprint(cursors) != "[o5 o10]" {
		t.Errorf("by relevance: %v (cursors %v), want %v", relevance, cursors, want)
	}
	if got, _ := pages("/api/v1/search?q=compo&kind=proposals&limit=5&sort=new"); !slices.Equal(got, newest) {
		t.Errorf("sort=new: %v, want %v", got, newest)
	}
	if got, _ := pages("/api/v1/search?q=compo&kind=proposals&limit=5&cursor=" + newest[4]); !slices.Equal(got, newest[5:]) {
		t.Errorf("an id cursor without sort: %v, want %v", got, newest[5:])
	}
}
