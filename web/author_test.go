package web_test

import (
	"context"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/opendemocracynow/odn/models"
)

// TestDeletedAuthorIsNotNamed: once ann deletes her account, her proposal,
// her petition and her comment stay, shown as by a "deleted account": her
// name, her handle and the link to her (gone) profile leave the pages and
// the API, as the deletion form promises.
func TestDeletedAuthorIsNotNamed(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	p, err := e.Store.CreateProposal(ctx, e.ann.Actor, "town", models.ProposalInput{Title: "Plant trees", Body: "Shade!"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.Store.CreateComment(ctx, e.ann.Actor, models.CommentInput{ObjectType: models.ObjectTypeProposal, ObjectID: p.ID, Body: "Oaks, please."})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Store.DeleteAccount(ctx, e.ann); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/p/" + strconv.FormatInt(p.ID, 10), "/s/town/proposals", "/c/" + strconv.FormatInt(c.ID, 10)} {
		res := e.get(e.loggedIn("bob"), path)
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		page := string(b)
		for _, leak := range []string{">ann<", "@ann@", "/@ann"} {
			if strings.Contains(page, leak) {
				t.Errorf("%s (status %d) still shows %q", path, res.StatusCode, leak)
			}
		}
		if !strings.Contains(page, "deleted account") {
			t.Errorf("%s does not say the author's account was deleted", path)
		}
	}
	var prop struct{ Author *struct{ Name string } }
	e.api("GET", "/api/v1/proposals/"+strconv.FormatInt(p.ID, 10), "", nil, &prop)
	if prop.Author != nil {
		t.Errorf("API proposal author = %+v, want null", prop.Author)
	}
	var com struct{ Author, Body string }
	e.api("GET", "/api/v1/comments/"+strconv.FormatInt(c.ID, 10), "", nil, &com)
	if com.Author != "" || com.Body != "Oaks, please." {
		t.Errorf("API comment = %+v, want its body without its author", com)
	}
}
