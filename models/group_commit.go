package models

import "sync"

// groupQueue is the queue of a group commit: one goroutine at a time
// commits its items in batches, and the items that arrive while a batch
// commits form the next one. On SQLite's single writer a commit's cost is
// mostly the same pages written to the WAL, so N items in one transaction
// cost little more than one. Used by the ballot changes (vote_batch.go)
// and the received activities (inbox.go).
type groupQueue[T any] struct {
	mu      sync.Mutex
	queue   []T
	running bool
}

// add queues v; unless a goroutine is already draining the queue, it
// starts one that calls commit with batches of at most max items until
// the queue is empty. commit must tell each item's waiter its outcome.
func (q *groupQueue[T]) add(v T, max int, commit func(batch []T)) {
	q.mu.Lock()
	q.queue = append(q.queue, v)
	start := !q.running
	q.running = true
	q.mu.Unlock()
	if start {
		go q.drain(max, commit)
	}
}

func (q *groupQueue[T]) drain(max int, commit func(batch []T)) {
	for {
		q.mu.Lock()
		n := min(len(q.queue), max)
		if n == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		batch := q.queue[:n:n]
		q.queue = q.queue[n:]
		q.mu.Unlock()
		commit(batch)
	}
}
