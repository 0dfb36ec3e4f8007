package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

func TestCommentPermalinkSmoke(t *testing.T) {
	e := newEnv(t)
	admin := e.user("boss", models.RoleAdmin)
	alice := e.user("alice", models.RoleMember)
	sp, err := e.Store.CreateSpace(context.Background(), admin, models.SpaceInput{Name: "town", Kind: models.KindCity})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.Store.DB.NewRaw("INSERT INTO proposals (uri, space_id, author_id, title, created_at, updated_at) VALUES (?, ?, ?, 'T', ?, ?)",
		e.URL+"/p/1", sp.ID, alice.Actor.ID, e.Now, e.Now).Exec(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	c := e.loggedIn("alice")
	res := e.postForm(c, "/comments", url.Values{"object_type": {"proposal"}, "object_id": {"1"}, "body": {"<script>alert(1)</script> hi"}, "back": {"/p/1"}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("%d %s", res.StatusCode, readBody(res))
	}
	res = e.get(c, "/c/1")
	body := readBody(res)
	if res.StatusCode != 200 || strings.Contains(body, "<script>alert") {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	res = e.postForm(c, "/comments", url.Values{"object_type": {"proposal"}, "object_id": {"1"}, "body": {""}, "back": {"/p/1"}})
	if res.StatusCode != 422 {
		t.Fatalf("%d %s", res.StatusCode, readBody(res))
	}
}
