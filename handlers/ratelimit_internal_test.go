package handlers

import (
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeClock is a clock tests move by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }

func TestRateLimiterBucket(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	l := newRateLimiter(RateLimit{PerSecond: 2, Burst: 3}, clock.now)
	a := netip.MustParseAddr("192.0.2.1")
	b := netip.MustParseAddr("192.0.2.2")

	for i := range 3 {
		if ok, _ := l.allow(a); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.allow(a)
	if ok {
		t.Fatal("a fourth request at once was allowed past a burst of 3")
	}
	if wait != 500*time.Millisecond {
		t.Errorf("wait %s, want 500ms (one token at 2/s)", wait)
	}
	if ok, _ := l.allow(b); !ok {
		t.Error("another client was refused: buckets are per client")
	}
	clock.advance(499 * time.Millisecond)
	if ok, _ := l.allow(a); ok {
		t.Error("allowed before a token was back")
	}
	clock.advance(2 * time.Millisecond)
	if ok, _ := l.allow(a); !ok {
		t.Error("refused after a token came back")
	}
	// Idle for longer than the refill time: the burst is back, never more.
	clock.advance(time.Hour)
	for i := range 3 {
		if ok, _ := l.allow(a); !ok {
			t.Fatalf("after an idle hour, request %d refused", i+1)
		}
	}
	if ok, _ := l.allow(a); ok {
		t.Error("an idle hour saved up more than the burst")
	}
}

func TestRateLimiterDefaults(t *testing.T) {
	tests := []struct {
		cfg       RateLimit
		wantBurst float64
	}{
		{RateLimit{PerSecond: 20}, 40},
		{RateLimit{PerSecond: 0.1}, 1},
		{RateLimit{PerSecond: 5, Burst: 7}, 7},
	}
	for _, tt := range tests {
		l := newRateLimiter(tt.cfg, time.Now)
		if l.burst != tt.wantBurst || l.maxClients != defaultMaxClients {
			t.Errorf("%+v: burst %g, max clients %d; want %g, %d", tt.cfg, l.burst, l.maxClients, tt.wantBurst, defaultMaxClients)
		}
	}
}

func TestRateLimiterMemoryBounded(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	l := newRateLimiter(RateLimit{PerSecond: 10, Burst: 10, MaxClients: 100}, clock.now)
	addr := func(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}) }

	t.Run("a flood of addresses stays under the cap", func(t *testing.T) {
		for i := range 5000 {
			l.allow(addr(i))
			if n := l.size(); n > 100 {
				t.Fatalf("after %d clients, %d tracked; cap 100", i+1, n)
			}
		}
	})
	t.Run("idle clients are dropped", func(t *testing.T) {
		clock.advance(2 * time.Second) // refill time is 1 s; sweeps at most once a second
		l.allow(addr(1))
		if n := l.size(); n != 1 {
			t.Errorf("%d clients tracked after the others were idle past the refill time, want 1", n)
		}
	})
	t.Run("a limited client is not forgotten while active", func(t *testing.T) {
		hot := netip.MustParseAddr("198.51.100.7")
		for range 10 {
			l.allow(hot)
		}
		clock.advance(500 * time.Millisecond)
		l.allow(addr(2)) // may sweep; hot's bucket is not full, so it stays
		allowed := 0
		for range 10 {
			if ok, _ := l.allow(hot); ok {
				allowed++
			}
		}
		if allowed != 5 {
			t.Errorf("%d requests allowed half a second after emptying a 10/s bucket, want 5", allowed)
		}
	})
}

func TestClientKey(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"},
		{"2001:db8:1:2:ffff::1", "2001:db8:1:2::"},
		{"fe80::1%eth0", "fe80::"},
		{"not an address", "invalid IP"},
		{"", "invalid IP"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := clientKey(tt.in).String(); got != tt.want {
				t.Errorf("clientKey(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestRateLimiterConcurrent(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)} // never moves
	l := newRateLimiter(RateLimit{PerSecond: 1, Burst: 25, MaxClients: 50}, clock.now)
	hot := netip.MustParseAddr("192.0.2.1")
	var wg sync.WaitGroup
	var allowed atomic.Int64
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				if ok, _ := l.allow(hot); ok {
					allowed.Add(1)
				}
				l.allow(netip.AddrFrom4([4]byte{10, byte(g), byte(i >> 8), byte(i)})) // churn the table
			}
		}()
	}
	wg.Wait()
	if n := allowed.Load(); n > 25 {
		t.Errorf("%d requests allowed at one instant, burst 25", n)
	}
	if n := l.size(); n > 50 {
		t.Errorf("%d clients tracked, cap 50", n)
	}
}

func TestRateLimiterOverflow(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	l := newRateLimiter(RateLimit{PerSecond: 1, Burst: 1, MaxClients: 2}, clock.now)
	ip := func(s string) netip.Addr { return netip.MustParseAddr(s) }
	steps := []struct {
		addr string
		want bool
	}{
		{"192.0.2.1", true},  // tracked
		{"192.0.2.1", false}, // its burst is spent
		{"192.0.2.2", true},  // tracked: the table is now full
		{"192.0.2.3", true},  // the overflow bucket
		{"192.0.2.4", false}, // shares it: spent
		{"192.0.2.1", false}, // still limited: a full table resets no one
	}
	for i, s := range steps {
		if ok, _ := l.allow(ip(s.addr)); ok != s.want {
			t.Errorf("step %d (%s): allowed %v, want %v", i+1, s.addr, ok, s.want)
		}
	}
	clock.advance(2 * time.Second) // both tracked buckets are full again: dropped at the next sweep
	if ok, _ := l.allow(ip("192.0.2.4")); !ok || l.size() != 1 {
		t.Errorf("after the idle buckets went: allowed %v, %d tracked; want true, 1", ok, l.size())
	}
}
