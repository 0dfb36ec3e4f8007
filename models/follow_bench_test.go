package models_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/opendemocracynow/odn/models"
	"github.com/opendemocracynow/odn/models/dbtest"
)

// BenchmarkFollowerRecipients10k lists the inboxes of a space followed
// by 10,000 remote actors on 500 servers (20 per shared inbox), the
// first step of the fanout_10k figure (docs/BENCHMARKS.md).
func BenchmarkFollowerRecipients10k(b *testing.B) {
	s, sp := benchSpace(b)
	ctx := context.Background()
	const hosts, perHost = 500, 20
	now := time.Now().UTC()
	key := strings.Repeat("k", 450) // a PEM public key's length
	for h := range hosts {
		host := fmt.Sprintf("h%d.example", h)
		actors := make([]*models.Actor, perHost)
		for u := range actors {
			uri := fmt.Sprintf("https://%s/users/u%d", host, u)
			actors[u] = &models.Actor{URI: uri, Type: models.ActorPerson, Username: fmt.Sprintf("u%d", u), Host: host, URL: uri,
				Inbox: uri + "/inbox", SharedInbox: "https://" + host + "/inbox", PublicKeyID: uri + "#main-key", PublicKeyPEM: key,
				FetchedAt: &now, CreatedAt: now, UpdatedAt: now}
		}
		if _, err := s.DB.NewInsert().Model(&actors).Returning("id").Exec(ctx); err != nil {
			b.Fatal(err)
		}
		follows := make([]models.Follow, perHost)
		for i, a := range actors {
			follows[i] = models.Follow{URI: a.URI + "#follow", FollowerID: a.ID, FolloweeID: sp.ActorID, State: models.FollowAccepted, CreatedAt: now, UpdatedAt: now}
		}
		if _, err := s.DB.NewInsert().Model(&follows).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		rs, err := s.FollowerRecipients(ctx, sp.ActorID)
		if err != nil || len(rs) != hosts {
			b.Fatalf("%d recipients, want %d (%v)", len(rs), hosts, err)
		}
	}
}

// benchSpace opens a SQLite store with one space, "ville".
func benchSpace(b *testing.B) (*models.Store, *models.Space) {
	b.Helper()
	s := dbtest.Open(b, "sqlite", models.WithFastPasswordHashing())
	sp, err := s.CreateSpace(context.Background(), nil, models.SpaceInput{Name: "ville", Kind: models.KindCity, Title: "Ville"})
	if err != nil {
		b.Fatal(err)
	}
	return s, sp
}
