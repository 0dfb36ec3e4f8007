package federation

import "container/list"

// lru is a small least-recently-used map bounded to max entries. It is
// not safe for concurrent use: callers hold their own lock.
type lru[K comparable, V any] struct {
	max   int
	order *list.List // front = most recently used; values are *lruEntry
	m     map[K]*list.Element
	// evicted, when set, is told of each entry add pushes out (not of
	// those remove drops).
	evicted func(K, V)
}

type lruEntry[K comparable, V any] struct {
	k K
	v V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, order: list.New(), m: map[K]*list.Element{}}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	if e, ok := c.m[k]; ok {
		c.order.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).v, true
	}
	var zero V
	return zero, false
}

// peek is get without making k the most recently used: an entry's
// recency is then that of its last add.
func (c *lru[K, V]) peek(k K) (V, bool) {
	if e, ok := c.m[k]; ok {
		return e.Value.(*lruEntry[K, V]).v, true
	}
	var zero V
	return zero, false
}

func (c *lru[K, V]) add(k K, v V) {
	if e, ok := c.m[k]; ok {
		e.Value.(*lruEntry[K, V]).v = v
		c.order.MoveToFront(e)
		return
	}
	c.m[k] = c.order.PushFront(&lruEntry[K, V]{k: k, v: v})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		out := last.Value.(*lruEntry[K, V])
		delete(c.m, out.k)
		if c.evicted != nil {
			c.evicted(out.k, out.v)
		}
	}
}

func (c *lru[K, V]) len() int { return len(c.m) }

func (c *lru[K, V]) remove(k K) {
	if e, ok := c.m[k]; ok {
		c.order.Remove(e)
		delete(c.m, k)
	}
}
