package handlers

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

func TestSnapshotsLRU(t *testing.T) {
	c := newSnapshots(800) // entries up to 100 bytes are kept
	for i := range 10 {
		c.add(fmt.Sprint(i), i, 100)
	}
	n, used, _, _ := c.stats()
	if n != 8 || used != 800 {
		t.Fatalf("%d entries of %d bytes, want 8 of 800", n, used)
	}
	for _, k := range []string{"0", "1"} {
		if _, ok := c.get(k); ok {
			t.Errorf("entry %s, the least recently used, was kept", k)
		}
	}
	c.get("2") // now the most recent
	c.add("10", 10, 100)
	if _, ok := c.get("2"); !ok {
		t.Error("a recently used entry was evicted")
	}
	if _, ok := c.get("3"); ok {
		t.Error("the least recently used entry was kept")
	}
	c.add("big", 0, 101)
	if _, ok := c.get("big"); ok {
		t.Error("an entry larger than an eighth of the cache was kept")
	}
	c.grow("10", 50)
	if _, used, _, _ := c.stats(); used != 750 {
		t.Errorf("after growing an entry to 150 bytes, %d bytes are used, want 750 (one entry evicted)", used)
	}
	if _, ok := c.get("10"); !ok {
		t.Error("the grown entry was evicted")
	}
	c.purge()
	if n, used, _, _ := c.stats(); n != 0 || used != 0 {
		t.Errorf("after purge: %d entries, %d bytes", n, used)
	}
	off := newSnapshots(0)
	off.add("x", 1, 1)
	if _, ok := off.get("x"); ok {
		t.Error("a cache of size 0 kept an entry")
	}
}

func TestSnapshotsDoBuildsOnce(t *testing.T) {
	c := newSnapshots(1 << 20)
	var builds atomic.Int64
	release := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]any, 16)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, err := c.do(context.Background(), "k", func() (any, int64, error) {
				builds.Add(1)
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
		c.mu.Lock()
		_, building := c.inflight["k"]
		c.mu.Unlock()
		if building {
			break
		}
	}
	close(release)
	wg.Wait()
	if n := builds.Load(); n != 1 {
		t.Errorf("%d builds for concurrent misses of one key, want 1", n)
	}
	for i, v := range results {
		if v != "value" {
			t.Errorf("caller %d got %v", i, v)
		}
	}
	v, hit, err := c.do(context.Background(), "k", func() (any, int64, error) { return nil, 0, errors.New("not called") })
	if !hit || v != "value" || err != nil {
		t.Errorf("after the build: %v, hit %v, %v", v, hit, err)
	}
	// A failed build is not kept.
	boom := errors.New("boom")
	if _, _, err := c.do(context.Background(), "e", func() (any, int64, error) { return nil, 0, boom }); !errors.Is(err, boom) {
		t.Errorf("error %v, want boom", err)
	}
	if _, ok := c.get("e"); ok {
		t.Error("a failed build was kept")
	}
}

func TestKeyOfIsUnambiguous(t *testing.T) {
	if keyOf("ab", "c") == keyOf("a", "bc") || keyOf("a:", "b") == keyOf("a", ":b") {
		t.Error("keyOf joins different parts into the same key")
	}
}
