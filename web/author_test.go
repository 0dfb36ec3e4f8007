package web_test

import (
	"context"
	"io"
	"net/http"
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

// TestErasedAddresseeIsNotNamed: once the decision-maker a petition is
// addressed to deletes their account, the petition's pages say, in each
// language, that it is addressed to a deleted account, without their
// name, handle or profile link, and the API says so too
// (addressee_deleted) instead of naming them.
func TestErasedAddresseeIsNotNamed(t *testing.T) {
	e := newDebateEnv(t)
	ctx := context.Background()
	boss, err := e.Store.AccountByUsername(ctx, "boss")
	if err != nil {
		t.Fatal(err)
	}
	mayor := e.user("mayor", models.RoleMember)
	if err := e.Store.SetDecider(ctx, boss, "mayor", true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Store.DB.NewUpdate().Model((*models.Actor)(nil)).Set("name = 'Mme Lemaire'").Where("id = ?", mayor.Actor.ID).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	pe, err := e.Store.CreatePetition(ctx, e.ann.Actor, "town", models.PetitionInput{Title: "A crossing", Body: "By the school.", Addressee: "mayor", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	id := strconv.FormatInt(pe.ID, 10)
	var before struct {
		Addressee        *struct{ Name string }
		AddresseeDeleted bool `json:"addressee_deleted"`
	}
	e.api("GET", "/api/v1/petitions/"+id, "", nil, &before)
	if before.Addressee == nil || before.Addressee.Name != "Mme Lemaire" || before.AddresseeDeleted {
		t.Fatalf("API before the erasure: %+v, want the addressee named", before)
	}
	if err := e.Store.DeleteAccount(ctx, mayor); err != nil {
		t.Fatal(err)
	}
	for _, lang := range []struct{ code, says string }{{"en", "to deleted account"}, {"fr", "à compte supprimé"}} {
		for _, path := range []string{"/pe/" + id, "/s/town/petitions"} {
			req, _ := http.NewRequest("GET", e.URL+path, nil)
			req.Header.Set("Accept-Language", lang.code)
			res := e.do(e.client(), req)
			page := readBody(res)
			for _, leak := range []string{"Lemaire", ">mayor<", "@mayor@", "/@mayor"} {
				if strings.Contains(page, leak) {
					t.Errorf("%s (%s, status %d) still shows %q", path, lang.code, res.StatusCode, leak)
				}
			}
			if !strings.Contains(page, lang.says) {
				t.Errorf("%s (%s) does not say %q", path, lang.code, lang.says)
			}
		}
	}
	var after map[string]any
	e.api("GET", "/api/v1/petitions/"+id, "", nil, &after)
	if after["addressee"] != nil || after["addressee_deleted"] != true {
		t.Errorf("API after the erasure: addressee %v, addressee_deleted %v; want none, and true", after["addressee"], after["addressee_deleted"])
	}
}
