package fold

import (
	"sync"
	"testing"
)

func TestText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"École", "ecole"},
		{"ÉCOLE publique", "ecole publique"},
		{"Piste cyclable rue de l’Été", "piste cyclable rue de l’ete"},
		{"Ça déménage", "ca demenage"},
		{"naïve coöperation", "naive cooperation"},
		{"", ""},
		{"日本語", "日本語"},
	} {
		if got := Text(tc.in); got != tc.want {
			t.Errorf("Text(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestTextConcurrent: writers fold texts at once. A transform.Chain keeps
// state between calls; shared between goroutines (as models once did),
// outputs came back mixed.
func TestTextConcurrent(t *testing.T) {
	in := []string{"Élection municipale à Évry", "Budget participatif : végétalisation", "Crèche et école"}
	want := make([]string, len(in))
	for i, s := range in {
		want[i] = Text(s)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				k := (g + i) % len(in)
				if got := Text(in[k]); got != want[k] {
					t.Errorf("concurrent Text(%q) = %q, want %q", in[k], got, want[k])
					return
				}
			}
		})
	}
	wg.Wait()
}
