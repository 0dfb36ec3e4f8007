package main

import (
	"context"
	"fmt"
	"time"
)

// benchRemoteVotes: Mastodon poll votes — a signed Create{Note{name,
// inReplyTo: the Question}} per voter, as Mastodon sends them — from n
// remote accounts on 100 hosts, 32 senders. The time runs from the first
// POST until the debate counts every voter: the inbox verifies and
// stores, the worker parses, authorises and counts through the same
// models.AddVoteOption as a vote on the web.
func benchRemoteVotes(ctx context.Context, b *bench) error {
	in, err := newInstance(ctx, b, "", nil)
	if err != nil {
		return err
	}
	defer in.close()
	c, err := seedDebate(ctx, in.Store, 0)
	if err != nil {
		return err
	}
	n := b.scale(3000, 800)
	peers, err := seedPeersOn(ctx, in.Store, n, 100)
	if err != nil {
		return err
	}
	phase("seeded %d remote voters", n)
	if err := in.start(ctx); err != nil {
		return err
	}
	inbox := in.Base + "/inbox"
	posts, err := signVotes(peers, inbox, c.debate.URI, c.space.Actor.URI)
	if err != nil {
		return err
	}
	start := time.Now()
	received, err := sendAll(ctx, inbox, posts, 32)
	if err != nil {
		return err
	}
	for {
		d, err := in.Store.DebateByID(ctx, c.debate.ID)
		if err != nil {
			return err
		}
		if d.Voters == n {
			break
		}
		if d.Voters > n || time.Since(start) > 5*time.Minute || ctx.Err() != nil {
			return fmt.Errorf("the debate counts %d voters of %d after %s", d.Voters, n, time.Since(start).Round(time.Millisecond))
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := time.Since(start)
	b.add(figure{Name: "remote_votes", Value: float64(n) / d.Seconds(), Unit: "votes/s", Limit: 1 / b.floors.SQLiteInsert.Seconds(), Min: 0.15,
		Note: fmt.Sprintf("%d signed Create{Note{name}} poll votes from %d actors on 100 hosts, 32 senders, until all are counted (all received after %d ms)",
			n, n, received.Milliseconds())})
	return nil
}

// signVotes signs one Mastodon poll vote per peer actor on question.
func signVotes(peers *remotePeers, inbox, question, space string) ([]signedPost, error) {
	return peers.signEach(inbox, len(peers.actors), func(i int) (int, []byte) {
		a := peers.actors[i]
		return i, pollVote(a.URI, a.URI+"#votes/1", question, []string{"Oui", "Non"}[i%2], space)
	})
}

// pollVote is a vote as Mastodon sends it: a Note with only a name,
// answering the Question, addressed to its author.
func pollVote(actor, id, question, option, to string) []byte {
	return fmt.Appendf(nil, `{"@context":"https://www.w3.org/ns/activitystreams","id":%q,"type":"Create","actor":%q,"to":%q,`+
		`"object":{"id":%q,"type":"Note","name":%q,"attributedTo":%q,"to":%q,"inReplyTo":%q}}`,
		id+"/activity", actor, to, id, option, actor, to, question)
}
