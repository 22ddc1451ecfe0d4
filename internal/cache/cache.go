// Package cache keeps values that are costly to build and cheap to keep:
// bounded, least-recently-used caches with single-flight fills, typed by
// their key and value, that may share one byte budget.
//
// A Budget is the bound: every Cache made on it counts its entries there, and
// when the total passes the bound the least recently used entries of all of
// them are evicted. A Cache is typed (no interface conversions on a read);
// its keys should be of fixed size, such as Key, so that what an entry costs
// is what its value costs plus the per-entry Overhead.
//
// Budgets and caches are safe for concurrent use; one mutex per budget
// guards every cache made on it.
package cache

import (
	"context"
	"crypto/sha256"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
)

// Overhead is the size counted for an entry besides its value: the key (a
// Key), the list links and the map slot.
const Overhead = 128

// ShareDivisor bounds one entry: an entry larger than the budget divided by
// ShareDivisor is returned to its caller but not kept, so that one answer
// (a whole-layer download) cannot flush everything else.
const ShareDivisor = 8

// Key identifies an entry by a digest of its parts: its size does not
// depend on how long the parts are (a filter value of thousands of
// characters costs no more than a short one).
type Key [16]byte

// KeyOf returns the Key of parts. Different lists of parts give different
// keys (each part is length-prefixed before hashing).
func KeyOf(parts ...string) Key {
	// The digest of one buffer (on the stack for the usual few hundred
	// bytes) rather than of a hash.Hash fed part by part: no allocation.
	var a [512]byte
	b := a[:0]
	for _, p := range parts {
		b = strconv.AppendInt(b, int64(len(p)), 10)
		b = append(b, ':')
		b = append(b, p...)
	}
	sum := sha256.Sum256(b)
	return Key(sum[:16])
}

// Budget bounds the bytes kept by the caches made on it, and orders their
// entries from the most to the least recently used.
type Budget struct {
	max      int64
	maxEntry int64
	mu       sync.Mutex
	used     int64
	// root is the sentinel of a circular list of entries: root.next is the
	// most recently used, root.prev the least.
	root links
}

// links are an entry's place in its budget's list and its counted size.
type links struct {
	prev, next *links
	size       int64
	owner      dropper
}

// dropper is an entry that can remove itself from its cache's map.
type dropper interface{ drop() }

// NewBudget returns a budget of max bytes; zero or less keeps nothing. An
// entry larger than max/ShareDivisor is not kept.
func NewBudget(max int64) *Budget {
	return NewBudgetEntries(max, max/ShareDivisor)
}

// NewBudgetEntries returns a budget of max bytes in which no entry larger
// than maxEntry is kept.
func NewBudgetEntries(max, maxEntry int64) *Budget {
	b := &Budget{max: max, maxEntry: maxEntry}
	b.root.prev, b.root.next = &b.root, &b.root
	return b
}

// Fits reports whether an entry of size bytes (without Overhead) would be kept.
func (b *Budget) Fits(size int64) bool { return b.max > 0 && size+Overhead <= b.maxEntry }

// Max returns the budget's bound in bytes.
func (b *Budget) Max() int64 { return b.max }

// Used returns the bytes kept now.
func (b *Budget) Used() int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.used
}

// front makes l the most recently used. b.mu is held.
func (b *Budget) front(l *links) {
	if l.prev != nil { // in the list: unlink
		l.prev.next, l.next.prev = l.next, l.prev
	}
	l.prev, l.next = &b.root, b.root.next
	b.root.next.prev = l
	b.root.next = l
}

// unlink removes l from the list and its size from the total. b.mu is held.
func (b *Budget) unlink(l *links) {
	l.prev.next, l.next.prev = l.next, l.prev
	l.prev, l.next = nil, nil
	b.used -= l.size
}

// trim evicts the least recently used entries while the total is over the
// bound. b.mu is held.
func (b *Budget) trim() {
	for b.used > b.max && b.root.prev != &b.root {
		l := b.root.prev
		b.unlink(l)
		l.owner.drop()
	}
}

// Cache is a typed cache on a Budget.
type Cache[K comparable, V any] struct {
	b        *Budget
	entries  map[K]*entry[K, V]
	inflight map[K]*call[V]

	hits, misses atomic.Int64
}

type entry[K comparable, V any] struct {
	links
	c   *Cache[K, V]
	key K
	val V
}

func (e *entry[K, V]) drop() { delete(e.c.entries, e.key) }

// call is a fill in flight; waiters block on done.
type call[V any] struct {
	done chan struct{}
	val  V
	err  error
	// abandoned: the fill failed after its caller's context ended (the
	// client went away), so its error is not the waiters' answer.
	abandoned bool
	// waiters is how many callers came to wait on it (under the budget's
	// lock; tests read it).
	waiters int
}

// New returns an empty cache counting its entries on b.
func New[K comparable, V any](b *Budget) *Cache[K, V] {
	return &Cache[K, V]{b: b, entries: map[K]*entry[K, V]{}, inflight: map[K]*call[V]{}}
}

// Budget returns the budget the cache counts its entries on.
func (c *Cache[K, V]) Budget() *Budget { return c.b }

// Get returns the value kept for k, making it the most recently used.
func (c *Cache[K, V]) Get(k K) (V, bool) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.b.front(&e.links)
	return e.val, true
}

// Add keeps v under k, counting size bytes plus Overhead, and evicts the
// least recently used entries of the budget beyond its bound. A value too
// large for the budget (see ShareDivisor) is not kept.
func (c *Cache[K, V]) Add(k K, v V, size int64) {
	if !c.b.Fits(size) {
		return
	}
	size += Overhead
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	e, ok := c.entries[k]
	if !ok {
		e = &entry[K, V]{c: c, key: k}
		e.owner = e
		c.entries[k] = e
	}
	e.val = v
	c.b.used += size - e.size
	e.size = size
	c.b.front(&e.links)
	c.b.trim()
}

// Grow adds delta bytes to the size of k's entry if it is still kept (a
// compressed form made after the value was kept).
func (c *Cache[K, V]) Grow(k K, delta int64) {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	if e, ok := c.entries[k]; ok {
		e.size += delta
		c.b.used += delta
		c.b.front(&e.links)
		c.b.trim()
	}
}

// Purge forgets every entry of this cache.
func (c *Cache[K, V]) Purge() {
	c.b.mu.Lock()
	defer c.b.mu.Unlock()
	for _, e := range c.entries {
		c.b.unlink(&e.links)
	}
	clear(c.entries)
}

// Stats are a cache's counters.
type Stats struct {
	Entries      int
	Hits, Misses int64
}

// Stats returns how many entries the cache keeps and its hits and misses.
func (c *Cache[K, V]) Stats() Stats {
	c.b.mu.Lock()
	n := len(c.entries)
	c.b.mu.Unlock()
	return Stats{Entries: n, Hits: c.hits.Load(), Misses: c.misses.Load()}
}

// errFillPanicked is what the waiters of a fill that panicked get.
var errFillPanicked = errors.New("cache: the fill of this entry panicked")

// onlyCachedKey keys, in a context made by OnlyCached, the error a miss returns.
type onlyCachedKey struct{}

// OnlyCached returns a context in which Do answers from what is kept and
// returns err on a miss instead of filling: a server whose backing store is
// down serves what it has and fails the rest at once.
func OnlyCached(ctx context.Context, err error) context.Context {
	return context.WithValue(ctx, onlyCachedKey{}, err)
}

// MissError returns the error given to OnlyCached for ctx, or nil.
func MissError(ctx context.Context) error {
	err, _ := ctx.Value(onlyCachedKey{}).(error)
	return err
}

// Do returns the value kept for k, or fills it: fill runs once for all
// concurrent callers of the same key and returns the value and its size; a
// value filled without error is kept. hit reports whether the value was kept
// already. In a context made by OnlyCached a miss returns that error. When
// the fill failed and its caller's context had ended (the client went away),
// the callers waiting on it ask again rather than fail too, and one of them
// fills for the others; any other error is every waiter's answer (a store
// that timed out is not asked again once per waiter).
func (c *Cache[K, V]) Do(ctx context.Context, k K, fill func() (V, int64, error)) (val V, hit bool, err error) {
	if v, ok := c.Get(k); ok {
		c.hits.Add(1)
		return v, true, nil
	}
	c.misses.Add(1)
	if err := MissError(ctx); err != nil {
		return val, false, err
	}
	for {
		c.b.mu.Lock()
		if e, ok := c.entries[k]; ok { // filled since the miss above
			c.b.front(&e.links)
			c.b.mu.Unlock()
			return e.val, true, nil
		}
		cl, ok := c.inflight[k]
		if !ok {
			break // to fill, with c.b.mu held
		}
		cl.waiters++
		c.b.mu.Unlock()
		select {
		case <-cl.done:
		case <-ctx.Done():
			return val, false, ctx.Err()
		}
		if !cl.abandoned {
			return cl.val, false, cl.err
		}
	}
	cl := &call[V]{done: make(chan struct{})}
	c.inflight[k] = cl
	c.b.mu.Unlock()
	defer func() {
		c.b.mu.Lock()
		delete(c.inflight, k)
		c.b.mu.Unlock()
		close(cl.done)
	}()
	// Should fill panic, the waiters see this error rather than a zero value.
	cl.err = errFillPanicked
	var size int64
	cl.val, size, cl.err = fill()
	if cl.err == nil {
		c.Add(k, cl.val, size)
	} else {
		cl.abandoned = ctx.Err() != nil
	}
	return cl.val, false, cl.err
}
