package fedtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestPetitionAddresseeReachesCopies: a petition's addressee whom B has
// never seen (not its author, no post of theirs reached B) is named on
// B's copy, and so is the decision-maker a moderator re-addresses it to:
// B fetches the actor its origin mentions instead of keeping none, or
// the former one.
func TestPetitionAddresseeReachesCopies(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	maire, _ := n.a.User("maire", false)
	adjointe, _ := n.a.User("adjointe", false)
	for _, name := range []string{"maire", "adjointe"} {
		if err := n.a.Store.SetDecider(n.ctx, nil, name, true); err != nil {
			t.Fatal(err)
		}
	}
	pet, err := n.a.Store.CreatePetition(n.ctx, n.alice.Actor, "ville", models.PetitionInput{Title: "A crossing", Body: "By the school.", Addressee: "maire", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	atB := copyOf(t, n.b, "petition", pet.URI, petitionID(n.b))
	addressee := func() string {
		var p struct{ Addressee *struct{ URI string } }
		if st := n.b.API("GET", fmt.Sprintf("/api/v1/petitions/%d", atB), n.bobTok, nil, &p); st != http.StatusOK {
			t.Fatalf("B's petition API: status %d", st)
		}
		if p.Addressee == nil {
			return ""
		}
		return p.Addressee.URI
	}
	fedtest.Eventually(t, wait, "B's copy to name the addressee", func() bool { return addressee() == maire.Actor.URI })

	if err := n.a.Store.SetDecider(n.ctx, nil, "maire", false); err != nil {
		t.Fatal(err)
	}
	if _, err := n.a.Store.ReaddressPetition(n.ctx, n.alice, pet.ID, "adjointe"); err != nil {
		t.Fatal(err)
	}
	fedtest.Eventually(t, wait, "B's copy to name the new addressee", func() bool { return addressee() == adjointe.Actor.URI })
}
