package models

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"path/filepath"
	"testing"
)

func TestSmoke(t *testing.T) {
	ctx := context.Background()
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	s, err := Open(ctx, "sqlite://"+filepath.Join(t.TempDir(), "x.db"), WithKeyGenerator(func() (*rsa.PrivateKey, error) { return key, nil }))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	acc, err := s.CreateAccount(ctx, NewAccount{Username: "alice", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSpace(ctx, nil, SpaceInput{Name: "alice", Kind: "city"}); err == nil {
		t.Fatal("expected dup")
	} else {
		t.Log(err)
	}
	sp, err := s.CreateSpace(ctx, nil, SpaceInput{Name: "lyon", Kind: "city", Description: "**hi** <script>x</script>"})
	if err != nil {
		t.Fatal(err)
	}
	t.Log(sp.DescriptionHTML, sp.Actor.URI)
	if _, err := s.Authenticate(ctx, "alice", "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	a, err := s.UpsertRemoteActor(ctx, &Actor{URI: "https://x.example/u/bob", Type: "Person", Username: "bob", Host: "x.example"})
	if err != nil {
		t.Fatal(err)
	}
	a.Name = "Bob"
	a, err = s.UpsertRemoteActor(ctx, a)
	if err != nil || a.Name != "Bob" {
		t.Fatal(err, a)
	}
	if _, err := s.UpsertRemoteActor(ctx, &Actor{URI: acc.Actor.URI, Type: "Person", Name: "evil"}); err != nil {
		t.Fatal(err)
	}
	got, _ := s.ActorByURI(ctx, acc.Actor.URI)
	if got.Name == "evil" || !got.Local {
		t.Fatal("local overwritten")
	}
	if err := s.DeleteAccount(ctx, acc); err != nil {
		t.Fatal(err)
	}
	ia, err := s.InstanceActor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(ia.URI)
}
