package main

import (
	"context"
	"errors"
)

// benchRemoteVotes will count Mastodon poll votes (signed Create{Note{name}}
// answering a Question) end to end once the federation door maps them to
// models.AddVoteOption.
func benchRemoteVotes(_ context.Context, _ *bench) error {
	return errors.New("pending: poll votes (Create{Note{name}}) are not federated yet")
}
