package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
)

// BenchmarkEnqueueDeliveries500 queues one 2 KB activity for 500 shared
// inboxes, as a new proposal in a space followed on 500 servers
// (fanout_10k in docs/BENCHMARKS.md): the last step before its first
// delivery can start.
func BenchmarkEnqueueDeliveries500(b *testing.B) {
	s, sp := benchSpace(b)
	ctx := context.Background()
	inboxes := make([]string, 500)
	for i := range inboxes {
		inboxes[i] = fmt.Sprintf("https://h%d.example/inbox", i)
	}
	body := []byte(`{"type":"Announce","content":"` + strings.Repeat("x", 2000) + `"}`)
	n := 0
	for b.Loop() {
		n++
		out := models.Outgoing{ActivityID: fmt.Sprintf("https://odn.example/activities/%d", n), Body: body, SignerID: sp.ActorID, Inboxes: inboxes}
		if got, err := s.EnqueueDeliveries(ctx, out); err != nil || got != len(inboxes) {
			b.Fatalf("%d jobs, want %d (%v)", got, len(inboxes), err)
		}
	}
}

// BenchmarkClaimDeliveries16 claims 16 due jobs among ~500 pending, as
// the delivery pool does through a fan-out, and acknowledges them.
func BenchmarkClaimDeliveries16(b *testing.B) {
	s, sp := benchSpace(b)
	ctx := context.Background()
	body := []byte(`{"type":"Announce","content":"` + strings.Repeat("x", 2000) + `"}`)
	queued := 0
	enqueue := func() {
		inboxes := make([]string, 500)
		for i := range inboxes {
			inboxes[i] = fmt.Sprintf("https://h%d.example/inbox", i)
		}
		queued++
		out := models.Outgoing{ActivityID: fmt.Sprintf("https://odn.example/activities/%d", queued), Body: body, SignerID: sp.ActorID, Inboxes: inboxes}
		if _, err := s.EnqueueDeliveries(ctx, out); err != nil {
			b.Fatal(err)
		}
	}
	enqueue()
	pending := 500
	for b.Loop() {
		if pending < 250 {
			b.StopTimer()
			enqueue()
			pending += 500
			b.StartTimer()
		}
		jobs, err := s.ClaimDeliveries(ctx, "node", 16, time.Minute)
		if err != nil || len(jobs) != 16 {
			b.Fatalf("claimed %d (%v)", len(jobs), err)
		}
		pending -= 16
		done := make([]models.Delivered, len(jobs))
		for i, j := range jobs {
			done[i] = models.Delivered{ID: j.ID, Host: j.Host, Status: 202}
		}
		if _, err := s.CompleteDeliveries(ctx, "node", done); err != nil {
			b.Fatal(err)
		}
	}
}
