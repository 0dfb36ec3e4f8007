package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opendemocracynow/odn/federation"
	"github.com/opendemocracynow/odn/models"
)

// remotePeers are 100 remote actors, each on a host of its own, whose
// keys the instance already has (cached in its actors table).
type remotePeers struct {
	actors  []*models.Actor
	signers []*federation.Signer
}

func seedPeers(ctx context.Context, st *models.Store, n int) (*remotePeers, error) {
	return seedPeersOn(ctx, st, n, n)
}

// seedPeersOn seeds n remote actors spread over the given number of
// hosts (actor i on host i mod hosts).
func seedPeersOn(ctx context.Context, st *models.Store, n, hosts int) (*remotePeers, error) {
	p := &remotePeers{}
	for i := range n {
		key := keyPool()[i%len(keyPool())]
		pem, err := federation.EncodePublicKeyPEM(&key.PublicKey)
		if err != nil {
			return nil, err
		}
		host := fmt.Sprintf("peer%d.example", i%hosts)
		user := "u"
		if n > hosts {
			user = fmt.Sprintf("u%d", i)
		}
		uri := "http://" + host + "/users/" + user
		a, err := st.UpsertRemoteActor(ctx, &models.Actor{URI: uri, Type: models.ActorPerson, Username: user, Host: host,
			URL: uri, Inbox: uri + "/inbox", SharedInbox: "http://" + host + "/inbox", PublicKeyID: uri + "#main-key", PublicKeyPEM: pem})
		if err != nil {
			return nil, err
		}
		sg, err := federation.NewSigner(a.PublicKeyID, key)
		if err != nil {
			return nil, err
		}
		p.actors, p.signers = append(p.actors, a), append(p.signers, sg)
	}
	return p, nil
}

// signedPost is a request signed in advance (signing costs the sender
// ~1 ms of CPU, which must not be charged to the server).
type signedPost struct {
	body   []byte
	header http.Header
}

func (p *remotePeers) sign(inbox string, n int, run string) ([]signedPost, error) {
	return p.signEach(inbox, n, func(i int) (int, []byte) {
		k := i % len(p.actors)
		return k, createNote(p.actors[k].URI, fmt.Sprintf("http://%s/acts/%s-%d", p.actors[k].Host, run, i))
	})
}

// signEach signs n POSTs to inbox on two cores; post(i) returns the
// index of the signing actor and the body of POST i.
func (p *remotePeers) signEach(inbox string, n int, post func(i int) (int, []byte)) ([]signedPost, error) {
	out := make([]signedPost, n)
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			for i := w; i < n; i += 2 {
				k, body := post(i)
				req, _ := http.NewRequest(http.MethodPost, inbox, bytes.NewReader(body))
				req.Header.Set("Content-Type", federation.ActivityJSONType)
				if err := p.signers[k].SignRequest(req, body); err != nil {
					errs <- err
					return
				}
				out[i] = signedPost{body: body, header: req.Header}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return out, nil
}

// sendAll POSTs every request with the given concurrency and returns the
// elapsed time; any answer other than 202 is an error.
func sendAll(ctx context.Context, inbox string, posts []signedPost, concurrency int) (time.Duration, error) {
	c := httpClient(concurrency)
	var next atomic.Int64
	var bad atomic.Int64
	var firstErr atomic.Value
	start := time.Now()
	var wg sync.WaitGroup
	for range concurrency {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(posts) || ctx.Err() != nil {
					return
				}
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, inbox, bytes.NewReader(posts[i].body))
				req.Header = posts[i].header.Clone()
				res, err := c.Do(req)
				if err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				drainClose(res)
				if res.StatusCode != http.StatusAccepted {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, fmt.Sprintf("status %d", res.StatusCode))
				}
			}
		})
	}
	wg.Wait()
	d := time.Since(start)
	if n := bad.Load(); n > 0 {
		return d, fmt.Errorf("%d of %d POSTs failed (first: %v)", n, len(posts), firstErr.Load())
	}
	return d, nil
}

func benchInboxPosts(ctx context.Context, b *bench) error {
	if err := inboxPosts(ctx, b, "", "inbox_signed_posts", b.floors.SQLiteInsert); err != nil {
		return err
	}
	if b.pgDSN == "" {
		return nil
	}
	dsn, drop, err := pgDatabase(ctx, b.pgDSN, "odnbench_inbox")
	if err != nil {
		return err
	}
	defer drop()
	return inboxPosts(ctx, b, dsn, "inbox_signed_posts_pg", b.floors.PGInsert)
}

func inboxPosts(ctx context.Context, b *bench, dsn, name string, insert time.Duration) error {
	in, err := newInstance(ctx, b, dsn, nil)
	if err != nil {
		return err
	}
	defer in.close()
	peers, err := seedPeers(ctx, in.Store, 100)
	if err != nil {
		return err
	}
	if err := in.start(ctx); err != nil {
		return err
	}
	n := b.scale(6000, 1500)
	warm, err := peers.sign(in.Base+"/inbox", 200, "warm")
	if err != nil {
		return err
	}
	if _, err := sendAll(ctx, in.Base+"/inbox", warm, 32); err != nil {
		return err
	}
	posts, err := peers.sign(in.Base+"/inbox", n, "run")
	if err != nil {
		return err
	}
	cpu0 := cpuTime()
	d, err := sendAll(ctx, in.Base+"/inbox", posts, 32)
	if err != nil {
		return err
	}
	cpu := cpuTime() - cpu0
	for _, p := range posts[:10] { // spot check: durably stored
		id := fmt.Sprintf("%v", peekID(p.body))
		if ok, err := in.Store.HasInboxActivity(ctx, id); err != nil || !ok {
			return fmt.Errorf("activity %s not stored (%v)", id, err)
		}
	}
	b.add(figure{Name: name, Value: float64(n) / d.Seconds(), Unit: "posts/s", Limit: 1 / insert.Seconds(), Min: 0.5,
		Note: fmt.Sprintf("%d signed Create{Note} from 100 actors, 32 senders; CPU %.0f µs/post (server and senders)", n, us(cpu)/float64(n))})
	return nil
}

func peekID(body []byte) string {
	id, _, _, _ := federation.PeekType(body)
	return id
}

// benchInboxApply stores activities in the inbox of a stopped instance,
// starts it and times the worker until the backlog is empty.
func benchInboxApply(ctx context.Context, b *bench) error {
	in, err := newInstance(ctx, b, "", nil)
	if err != nil {
		return err
	}
	defer in.close()
	peers, err := seedPeers(ctx, in.Store, 100)
	if err != nil {
		return err
	}
	n := b.scale(3000, 800)
	for i := range n {
		a := peers.actors[i%len(peers.actors)]
		id := fmt.Sprintf("http://%s/acts/apply-%d", a.Host, i)
		_, err := in.Store.StoreInboxItem(ctx, &models.InboxItem{ActivityID: id, Type: "Create", ActorURI: a.URI, KeyOwner: a.URI,
			Host: a.Host, Body: string(createNote(a.URI, id))})
		if err != nil {
			return err
		}
	}
	if err := in.start(ctx); err != nil {
		return err
	}
	start := time.Now()
	for {
		left, err := in.Store.InboxBacklog(ctx)
		if err != nil {
			return err
		}
		if left == 0 {
			break
		}
		if time.Since(start) > 5*time.Minute || ctx.Err() != nil {
			return fmt.Errorf("%d items left after %s", left, time.Since(start))
		}
		time.Sleep(5 * time.Millisecond)
	}
	d := time.Since(start)
	b.add(figure{Name: "inbox_apply", Value: float64(n) / d.Seconds(), Unit: "activities/s", Limit: 1 / b.floors.SQLiteInsert.Seconds(), Min: 0.15,
		Note: fmt.Sprintf("%d Create{Note} parsed (go-fed), authorised and applied by the worker", n)})
	return nil
}
