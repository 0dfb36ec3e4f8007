package web_test

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestDeadDeliveriesPaged: GET /api/v1/deliveries/dead pages as the
// other lists (?cursor=, ?limit=, next_cursor, 422 for a cursor no page
// gave), newest first, and /admin/federation lists them 100 a page with
// a link to the older ones: 103 dead letters are all reachable, each
// once. Both answered the latest 100 only.
func TestDeadDeliveriesPaged(t *testing.T) {
	p := newParitySite(t)
	ctx := context.Background()
	const activity, dead = "https://example.org/activities/lost", 103
	var inboxes []string
	for i := range dead {
		inboxes = append(inboxes, fmt.Sprintf("https://gone%d.example/inbox", i))
	}
	if _, err := p.Store.EnqueueDeliveries(ctx, models.Outgoing{ActivityID: activity, Body: []byte("{}"), SignerID: p.admin.Actor.ID,
		Inboxes: inboxes}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Store.DB.NewUpdate().Model((*models.Delivery)(nil)).Set("state = ?", models.DeliveryDead).
		Where("activity_id = ?", activity).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	t.Run("api", func(t *testing.T) {
		seen, last, pages := map[string]bool{}, int64(0), 0
		for cursor := ""; ; pages++ {
			out := p.call(t, "GET", "/api/v1/deliveries/dead?limit=50&cursor="+cursor, p.boss, nil, 200, "")
			items, _ := out["items"].([]any)
			for _, it := range items {
				id := it.(map[string]any)["id"].(string)
				n, _ := strconv.ParseInt(id, 10, 64)
				if seen[id] || last != 0 && n >= last {
					t.Fatalf("dead letter %s after %d: not newest first, or twice", id, last)
				}
				seen[id], last = true, n
			}
			next, _ := out["next_cursor"].(string)
			if next == "" {
				break
			}
			cursor = next
		}
		if len(seen) != dead || pages != 2 {
			t.Errorf("%d dead letters in %d pages, want %d in 3", len(seen), pages+1, dead)
		}
		if got := p.call(t, "GET", "/api/v1/deliveries/dead", p.boss, nil, 200, ""); len(got["items"].([]any)) != 20 {
			t.Errorf("default page: %d items, want 20", len(got["items"].([]any)))
		}
		p.call(t, "GET", "/api/v1/deliveries/dead?cursor=later", p.boss, nil, 422, "cursor")
	})
	t.Run("page", func(t *testing.T) {
		admin := p.loggedIn("boss")
		retry := regexp.MustCompile(`/admin/federation/deliveries/(\d+)/retry`)
		next := regexp.MustCompile(`href="(/admin/federation\?before=\d+)#fed-dead" rel="next"`)
		seen := map[string]bool{}
		path := "/admin/federation"
		for range 3 {
			body := readBody(p.get(admin, path))
			for _, m := range retry.FindAllStringSubmatch(body, -1) {
				if seen[m[1]] {
					t.Fatalf("dead letter %s listed twice", m[1])
				}
				seen[m[1]] = true
			}
			m := next.FindStringSubmatch(body)
			if m == nil {
				break
			}
			path = strings.ReplaceAll(m[1], "&amp;", "&")
		}
		if len(seen) != dead {
			t.Errorf("the page and its next page list %d dead letters, want %d", len(seen), dead)
		}
	})
}
