package cache

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

func key(i int) Key { return KeyOf(fmt.Sprint(i)) }

func TestLRUAcrossCaches(t *testing.T) {
	b := NewBudget(8 * (100 + Overhead) * ShareDivisor / 8) // 8 entries of 100 bytes
	ints := New[Key, int](b)
	strs := New[Key, string](b)
	for i := range 5 {
		ints.Add(key(i), i, 100)
	}
	for i := range 5 {
		strs.Add(key(i), fmt.Sprint(i), 100)
	}
	if got, want := b.Used(), int64(8*(100+Overhead)); got != want {
		t.Fatalf("used %d bytes, want %d", got, want)
	}
	// The two least recently used entries were the first two ints.
	for i := range 2 {
		if _, ok := ints.Get(key(i)); ok {
			t.Errorf("int %d, among the least recently used, was kept", i)
		}
	}
	if v, ok := ints.Get(key(2)); !ok || v != 2 {
		t.Errorf("int 2: %v %v", v, ok)
	}
	strs.Add(key(9), "9", 100) // evicts the least recent: int 3
	if _, ok := ints.Get(key(3)); ok {
		t.Error("int 3 was kept after a string was added to a full budget")
	}
	if _, ok := ints.Get(key(2)); !ok {
		t.Error("int 2, used recently, was evicted")
	}
	if s := ints.Stats(); s.Entries != 2 {
		t.Errorf("ints keeps %d entries, want 2", s.Entries)
	}
	strs.Purge()
	if s := strs.Stats(); s.Entries != 0 {
		t.Errorf("after Purge strs keeps %d entries", s.Entries)
	}
	if got, want := b.Used(), int64(2*(100+Overhead)); got != want {
		t.Errorf("after Purge of strs, used %d, want %d", got, want)
	}
}

func TestTooLargeAndOff(t *testing.T) {
	b := NewBudget(8 * 1024)
	c := New[Key, []byte](b)
	c.Add(key(1), nil, 1024) // 1024+Overhead > 8192/8
	if _, ok := c.Get(key(1)); ok {
		t.Error("an entry over an eighth of the budget was kept")
	}
	c.Add(key(2), nil, 1024-Overhead)
	if _, ok := c.Get(key(2)); !ok {
		t.Error("an entry of exactly an eighth of the budget was not kept")
	}
	c.Grow(key(2), 7*1024) // now the whole budget
	if b.Used() != 8*1024 {
		t.Errorf("after Grow, used %d", b.Used())
	}
	c.Grow(key(2), 1) // over: evicted
	if _, ok := c.Get(key(2)); ok || b.Used() != 0 {
		t.Errorf("an entry grown past the budget was kept (used %d)", b.Used())
	}
	off := New[Key, int](NewBudget(0))
	off.Add(key(1), 1, 1)
	if _, ok := off.Get(key(1)); ok {
		t.Error("a budget of 0 kept an entry")
	}
}

func TestKeyOf(t *testing.T) {
	if KeyOf("ab", "c") == KeyOf("a", "bc") || KeyOf("a:", "b") == KeyOf("a", ":b") || KeyOf("1:a") == KeyOf("a") {
		t.Error("KeyOf gives one key for different parts")
	}
	if KeyOf("x", strings.Repeat("y", 10000)) != KeyOf("x", strings.Repeat("y", 10000)) {
		t.Error("KeyOf is not a function of its parts")
	}
	// The documented construction, so that keys stay the same across
	// versions: the first 16 bytes of SHA-256 over each part's length, a
	// colon and the part.
	for _, parts := range [][]string{{"a", "bc"}, {}, {"", strings.Repeat("é", 600)}} {
		var in string
		for _, p := range parts {
			in += strconv.Itoa(len(p)) + ":" + p
		}
		sum := sha256.Sum256([]byte(in))
		if got := KeyOf(parts...); got != Key(sum[:16]) {
			t.Errorf("KeyOf(%.20q) = %x, want %x", parts, got, sum[:16])
		}
	}
}

func TestDoFillsOnce(t *testing.T) {
	c := New[Key, string](NewBudget(1 << 20))
	var fills atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]string, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, err := c.Do(context.Background(), key(0), func() (string, int64, error) {
				fills.Add(1)
				<-release
				return "value", 5, nil
			})
			if err != nil {
				t.Error(err)
			}
			results[i] = v
		}()
	}
	for {
		c.b.mu.Lock()
		_, filling := c.inflight[key(0)]
		c.b.mu.Unlock()
		if filling {
			break
		}
	}
	close(release)
	wg.Wait()
	if n := fills.Load(); n != 1 {
		t.Errorf("%d fills for concurrent misses of one key, want 1", n)
	}
	for i, v := range results {
		if v != "value" {
			t.Errorf("caller %d got %q", i, v)
		}
	}
	v, hit, err := c.Do(context.Background(), key(0), func() (string, int64, error) { return "", 0, errors.New("not called") })
	if !hit || v != "value" || err != nil {
		t.Errorf("after the fill: %q, hit %v, %v", v, hit, err)
	}
	boom := errors.New("boom")
	if _, _, err := c.Do(context.Background(), key(1), func() (string, int64, error) { return "", 0, boom }); !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if _, ok := c.Get(key(1)); ok {
		t.Error("a failed fill was kept")
	}
	// 18 lookups: the 16 concurrent ones (some may come after the fill and
	// hit), one hit after, one failed fill.
	if s := c.Stats(); s.Hits+s.Misses != 18 || s.Hits < 1 || s.Misses < 2 {
		t.Errorf("stats %+v, want 18 lookups, at least 1 hit and 2 misses", s)
	}
}

func TestOnlyCached(t *testing.T) {
	c := New[Key, int](NewBudget(1 << 20))
	c.Add(key(1), 1, 8)
	down := errors.New("store down")
	ctx := OnlyCached(context.Background(), down)
	if v, hit, err := c.Do(ctx, key(1), func() (int, int64, error) { t.Error("filled a kept entry"); return 0, 0, nil }); v != 1 || !hit || err != nil {
		t.Errorf("kept entry: %v %v %v", v, hit, err)
	}
	if _, _, err := c.Do(ctx, key(2), func() (int, int64, error) { t.Error("filled in an OnlyCached context"); return 0, 0, nil }); !errors.Is(err, down) {
		t.Errorf("miss in an OnlyCached context: %v, want the given error", err)
	}
	if MissError(context.Background()) != nil {
		t.Error("MissError of a plain context is not nil")
	}
}

func TestWaitersRefillAfterCanceledFill(t *testing.T) {
	c := New[Key, int](NewBudget(1 << 20))
	started := make(chan struct{})
	release := make(chan struct{})
	leader, cancel := context.WithCancel(context.Background())
	go func() {
		_, _, _ = c.Do(leader, key(1), func() (int, int64, error) {
			close(started)
			<-release
			cancel() // the client went away while its answer was filled
			return 0, 0, leader.Err()
		})
	}()
	<-started
	done := make(chan int)
	go func() {
		v, _, err := c.Do(context.Background(), key(1), func() (int, int64, error) { return 7, 1, nil })
		if err != nil {
			t.Error(err)
		}
		done <- v
	}()
	// Let the waiter block on the fill in flight, then fail that fill.
	for {
		c.b.mu.Lock()
		_, filling := c.inflight[key(1)]
		c.b.mu.Unlock()
		if filling {
			break
		}
	}
	close(release)
	if v := <-done; v != 7 {
		t.Errorf("waiter got %d, want its own fill's 7", v)
	}
}

// TestWaitersRefillOnceAfterCanceledFill: when the fill in flight fails
// because its caller's context ended, the callers that waited on it fill
// once between them, not once each.
func TestWaitersRefillOnceAfterCanceledFill(t *testing.T) {
	c := New[Key, int](NewBudget(1 << 20))
	started := make(chan struct{})
	release := make(chan struct{})
	leaderDone := make(chan struct{})
	leader, cancel := context.WithCancel(context.Background())
	go func() {
		defer close(leaderDone)
		_, _, _ = c.Do(leader, key(1), func() (int, int64, error) {
			close(started)
			<-release
			cancel()
			return 0, 0, leader.Err()
		})
	}()
	<-started
	const waiters = 3
	var fills atomic.Int32
	refill := make(chan struct{})
	got := make(chan int, waiters)
	for range waiters {
		go func() {
			v, _, err := c.Do(context.Background(), key(1), func() (int, int64, error) {
				fills.Add(1)
				<-refill
				return 7, 1, nil
			})
			if err != nil {
				t.Error(err)
			}
			got <- v
		}()
	}
	// Every waiter waits on the canceled fill before it fails.
	for {
		c.b.mu.Lock()
		n := c.inflight[key(1)].waiters
		c.b.mu.Unlock()
		if n == waiters {
			break
		}
		runtime.Gosched()
	}
	close(release)
	<-leaderDone
	close(refill)
	for range waiters {
		if v := <-got; v != 7 {
			t.Errorf("a waiter got %d, want 7", v)
		}
	}
	if n := fills.Load(); n != 1 {
		t.Errorf("the waiters filled %d times, want once", n)
	}
}

// TestWaitersShareAFailedFill: a fill that fails while its caller is still
// there (a store that timed out) is every waiter's answer, even when the
// error is a context's: they do not ask the store again, one after another.
func TestWaitersShareAFailedFill(t *testing.T) {
	c := New[Key, int](NewBudget(1 << 20))
	started := make(chan struct{})
	release := make(chan struct{})
	timedOut := fmt.Errorf("store: no answer within 5s: %w", context.DeadlineExceeded)
	go func() {
		_, _, _ = c.Do(context.Background(), key(1), func() (int, int64, error) {
			close(started)
			<-release
			return 0, 0, timedOut
		})
	}()
	<-started
	got := make(chan error)
	go func() {
		_, _, err := c.Do(context.Background(), key(1), func() (int, int64, error) {
			t.Error("a waiter filled again after a fill its caller was still waiting for failed")
			return 7, 1, nil
		})
		got <- err
	}()
	for {
		c.b.mu.Lock()
		n := c.inflight[key(1)].waiters
		c.b.mu.Unlock()
		if n == 1 {
			break
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-got; !errors.Is(err, timedOut) {
		t.Errorf("the waiter got %v, want the fill's error", err)
	}
}

func TestPanickingFill(t *testing.T) {
	c := New[Key, int](NewBudget(1 << 20))
	func() {
		defer func() { _ = recover() }()
		_, _, _ = c.Do(context.Background(), key(1), func() (int, int64, error) { panic("boom") })
	}()
	// The key is free again and a later fill works.
	v, _, err := c.Do(context.Background(), key(1), func() (int, int64, error) { return 3, 1, nil })
	if v != 3 || err != nil {
		t.Errorf("after a panicking fill: %v %v", v, err)
	}
}
