package fedtest_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/opendemocracynow/odn/federation/fedtest"
	"github.com/opendemocracynow/odn/models"
)

// TestPetitionCloseReachesCopies: alice closes her petition on A before
// its deadline; B's copy reads closed, keeps bob's signature, and
// refuses another signature of B's members.
func TestPetitionCloseReachesCopies(t *testing.T) {
	n := startCivicNet(t)
	follow(t, n.b, n.bobTok, n.bob, n.a.Handle("ville"), n.ville.Actor.URI)
	pet, err := n.a.Store.CreatePetition(n.ctx, n.alice.Actor, "ville", models.PetitionInput{Title: "Save the hall", Body: "Please.", Addressee: "alice", Goal: 10})
	if err != nil {
		t.Fatal(err)
	}
	atB := copyOf(t, n.b, "petition", pet.URI, petitionID(n.b))
	if st := n.b.API("POST", fmt.Sprintf("/api/v1/petitions/%d/signatures", atB), n.bobTok, nil, nil); st >= 300 {
		t.Fatalf("sign: status %d", st)
	}
	fedtest.Eventually(t, wait, "A to count bob's signature", func() bool {
		p, _ := n.a.Store.PetitionByID(n.ctx, pet.ID)
		return p.SignaturesCount == 1
	})
	if _, err := n.a.Store.ClosePetition(n.ctx, n.alice, pet.ID); err != nil {
		t.Fatal(err)
	}
	var p struct {
		State      string
		Signatures int
	}
	fedtest.Eventually(t, wait, "B's copy to read closed", func() bool {
		if st := n.b.API("GET", fmt.Sprintf("/api/v1/petitions/%d", atB), n.bobTok, nil, &p); st != http.StatusOK {
			t.Fatalf("B's petition API: status %d", st)
		}
		return p.State == models.PetitionClosed
	})
	if p.Signatures != 1 {
		t.Errorf("B's closed copy counts %d signatures, want bob's", p.Signatures)
	}
	_, carolTok := n.b.User("carol", false)
	if st := n.b.API("POST", fmt.Sprintf("/api/v1/petitions/%d/signatures", atB), carolTok, nil, nil); st != http.StatusConflict {
		t.Errorf("signing B's closed copy: status %d, want 409", st)
	}
}
