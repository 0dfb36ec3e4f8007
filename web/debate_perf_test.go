package web_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// seedComments adds n comments to a debate in bulk: threads of one
// top-level comment (some arguments for or against) and four replies to it.
func seedComments(t testing.TB, st *models.Store, debateID int64, authors []*models.Actor, n int) {
	t.Helper()
	ctx := context.Background()
	now := st.Now()
	body := "Un avis **argumenté** sur la question, avec [un lien](https://example.org) et assez de texte pour peser."
	html := models.RenderMarkdown(body)
	threads := n / 5
	tops := make([]models.Comment, threads)
	for i := range tops {
		stance := models.StanceNone
		switch i % 10 {
		case 0:
			stance = models.StanceFor
		case 1:
			stance = models.StanceAgainst
		}
		tops[i] = models.Comment{URI: fmt.Sprintf("https://bench.example/c/t%d", i), ObjectType: models.ObjectTypeDebate, ObjectID: debateID,
			AuthorID: authors[i%len(authors)].ID, Stance: stance, Body: body, BodyHTML: html, Local: true, CreatedAt: now, UpdatedAt: now}
	}
	insert := func(rows []models.Comment) {
		for len(rows) > 0 {
			chunk := rows[:min(len(rows), 400)]
			rows = rows[len(chunk):]
			if _, err := st.DB.NewInsert().Model(&chunk).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	insert(tops)
	var ids []int64
	if err := st.DB.NewSelect().Model((*models.Comment)(nil)).Column("c.id").Where("c.object_id = ? AND c.parent_id IS NULL", debateID).
		OrderExpr("c.id").Scan(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	var replies []models.Comment
	for i, root := range ids {
		for k := range 4 {
			replies = append(replies, models.Comment{URI: fmt.Sprintf("https://bench.example/c/r%d-%d", i, k), ObjectType: models.ObjectTypeDebate,
				ObjectID: debateID, AuthorID: authors[(i+k+1)%len(authors)].ID, ParentID: root, RootID: root, Depth: 1,
				Body: body, BodyHTML: html, Local: true, CreatedAt: now, UpdatedAt: now})
		}
	}
	insert(replies)
}

// TestDebatePage5000Comments renders a debate with 5,000 comments: the
// page shows 50 threads and 20 arguments per column with all their
// replies, in a bounded time (DESIGN.md §9 reports the figure).
func TestDebatePage5000Comments(t *testing.T) {
	if testing.Short() {
		t.Skip("seeds 5,000 comments")
	}
	e := newDebateEnv(t)
	id := e.openDebate(t, map[string]any{"question": "Une question très commentée ?", "options": []string{"Oui", "Non"}})
	var debateID int64
	fmt.Sscan(id, &debateID)
	seedComments(t, e.Store, debateID, []*models.Actor{e.ann.Actor, e.bob.Actor, e.mod.Actor}, 5000)
	if n, err := e.Store.CountComments(context.Background(), models.ObjectTypeDebate, debateID); err != nil || n != 5000 {
		t.Fatalf("%d comments, %v", n, err)
	}
	c := e.loggedIn("ann")
	e.get(c, "/d/"+id) // warm up
	const runs = 5
	var total time.Duration
	var size int
	for range runs {
		start := time.Now()
		res := e.get(c, "/d/"+id)
		total += time.Since(start)
		body := readBody(res)
		size = len(body)
		if res.StatusCode != http.StatusOK || !strings.Contains(body, "comments_after=") {
			t.Fatalf("%d", res.StatusCode)
		}
	}
	avg := total / runs
	t.Logf("debate page with 5,000 comments: %v average over %d runs, %d KB", avg, runs, size/1024)
	if avg > 2*time.Second {
		t.Fatalf("page too slow: %v", avg)
	}
}
