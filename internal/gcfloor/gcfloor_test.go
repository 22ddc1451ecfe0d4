package gcfloor

import (
	"runtime"
	"runtime/debug"
	"sync"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, roots, floor uint64
		base, want         int
	}{
		{5 * mib, 0, 64 * mib, 100, 1180},             // 5 + 5×11.8 = 64
		{5 * mib, mib, 64 * mib, 100, 984},            // 5 + 6×9.84: stacks and globals count in the goal
		{3 * mib, 0, 64 * mib, 100, 2034},             // rounded up: 3×20.34 > 61
		{32 * mib, 0, 64 * mib, 100, 100},             // 2×live reaches the floor
		{40 * mib, 0, 64 * mib, 100, 100},             // base when the heap is large anyway
		{200 * mib, 0, 64 * mib, 100, 100},            // the embedded store's heap
		{5 * mib, 0, 64 * mib, 2000, 2000},            // never below the base
		{0, 0, 64 * mib, 100, maxPercent},             // nothing live yet: bounded
		{1, 0, 64 * mib, 100, maxPercent},             // bounded
		{5 * mib, 0, 0, 100, 100},                     // no floor
		{64 * mib, 0, 64 * mib, 50, 50},               // at the floor
		{63 * mib, 0, 64 * mib, 100, 100},             // 2×63 is past it
		{1000, 0, 1 << 30, 100, maxPercent},           // bounded
		{mib, 0, 3 * mib / 2, 20, 50},                 // 1 MiB + 50% = the floor exactly
		{mib, 0, 3*mib/2 + 1, 20, 51},                 // one byte more: rounded up
		{10 * mib, 0, 11 * mib, 5, 10},                // a low base
		{10 * mib, 0, 10*mib + 1, 100, 100},           // base reaches it
		{1 << 40, 0, 1 << 41, 100, 100},               // large numbers
		{1 << 20, 0, 1 << 50, 100, maxPercent},        // bounded
		{1 << 20, 0, 1<<63 + 1<<62, 100, maxPercent},  // (floor-live)×100 would overflow
		{3 << 60, 0, 1<<63 + 1<<62, 100, 300},         // 3 + 3×3 = 12 (×2^60): no overflow either
		{1 << 30, 1 << 62, 1 << 31, 100, 100},         // huge roots
		{1 << 30, 0, 1<<30 + 1<<29 + 1, 100, 100},     // base: the goal at 100 is past it
		{4 * mib, 4 * mib, 64 * mib, 100, 750},        // 4 + 8×7.5 = 64
		{4 * mib, 4*mib - 1, 64 * mib, 100, 751},      // rounded up
		{0, mib, 64 * mib, 100, 6400},                 // roots only
		{mib, 0, 1000*mib + mib, 100, 100000},         // 1 + 1×1000 = 1001: at the bound
		{mib, 0, 1000*mib + mib + 1, 100, maxPercent}, // past it: bounded
	} {
		got := Percent(tc.live, tc.roots, tc.floor, tc.base)
		if got != tc.want {
			t.Errorf("Percent(%d, %d, %d, %d) = %d, want %d", tc.live, tc.roots, tc.floor, tc.base, got, tc.want)
		}
		if goal := tc.live + (tc.live+tc.roots)/100*uint64(got); got < maxPercent && tc.floor > tc.live && tc.roots < 1<<40 && goal < tc.floor-tc.floor/1000 {
			t.Errorf("Percent(%d, %d, %d, %d) = %d: the goal %d is under the floor", tc.live, tc.roots, tc.floor, tc.base, got, goal)
		}
	}
}

// TestFloorFollowsCollections drives a Floor with a fake live heap and
// GOGC through real collections: each collection sets GOGC for the heap
// then live, a growing heap brings it back to the base, and stop puts the
// base back and follows no more collections.
func TestFloorFollowsCollections(t *testing.T) {
	const mib = 1 << 20
	var mu sync.Mutex
	live := uint64(4 * mib)
	setLive := func(v uint64) { mu.Lock(); live = v; mu.Unlock() }
	var sets []int
	f := newFloor(64*mib, 100, func() (uint64, uint64) { mu.Lock(); defer mu.Unlock(); return live, 0 },
		func(p int) int { sets = append(sets, p); return 0 })
	f.arm()
	// A collection may have been followed with the heap as it was before
	// the change: wait for the percent the new heap gives.
	waitPercent(t, f, 1500)
	setLive(100 * mib)
	waitPercent(t, f, 100)
	setLive(4 * mib)
	waitPercent(t, f, 1500)
	f.stop()
	f.mu.Lock()
	got := append([]int(nil), sets...)
	f.mu.Unlock()
	if want := []int{1500, 100, 1500, 100}; !equal(got, want) {
		t.Errorf("GOGC set to %v, want %v", got, want)
	}
	n := f.followed()
	for range 3 {
		runtime.GC()
	}
	time.Sleep(50 * time.Millisecond)
	if f.followed() != n {
		t.Errorf("stopped, the floor followed %d more collections", f.followed()-n)
	}
}

// TestStart runs the real floor: GOGC goes up after a collection of this
// test's small heap and back to 100 on stop; with GOGC in the environment,
// or a floor of 0, nothing is changed.
func TestStart(t *testing.T) {
	t.Setenv("GOGC", "")
	// Whatever GOGC the test process runs with (GOGC=off or 200 in the
	// environment), this test starts from 100 and puts it back after.
	old := debug.SetGCPercent(100)
	t.Cleanup(func() { debug.SetGCPercent(old) })
	f, stop := start(1 << 30)
	defer stop()
	waitCycles(t, f, 1)
	// The floor holds its lock while it sets GOGC: read both under it.
	f.mu.Lock()
	p, set := currentPercent(), f.percent
	f.mu.Unlock()
	if p <= 100 || p != set {
		t.Errorf("GOGC %d after a collection (the floor set %d), want above 100", p, set)
	}
	stop()
	if p := currentPercent(); p != 100 {
		t.Errorf("GOGC %d after stop, want 100", p)
	}
	// Stop puts back GOGC as the process had it, not 100.
	debug.SetGCPercent(150)
	f, stop = start(1 << 30)
	waitCycles(t, f, 1)
	stop()
	if p := debug.SetGCPercent(100); p != 150 {
		t.Errorf("GOGC %d after stop, want 150 as it was", p)
	}
	debug.SetGCPercent(-1)
	if f, _ := start(1 << 30); f != nil {
		t.Error("the floor started with GOGC off in the process")
	}
	debug.SetGCPercent(100)
	for _, env := range []string{"150", "off"} {
		t.Setenv("GOGC", env)
		if f, _ := start(1 << 30); f != nil {
			t.Errorf("GOGC=%s: the floor started", env)
		}
	}
	t.Setenv("GOGC", "")
	if f, _ := start(0); f != nil {
		t.Error("a floor of 0 started")
	}
}

// waitPercent collects until f has set GOGC to p, or fails.
func waitPercent(t *testing.T, f *floor, p int) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f.lastPercent() != p {
		if time.Now().After(deadline) {
			t.Fatalf("the floor has GOGC at %d after 5 s, want %d", f.lastPercent(), p)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

// waitCycles collects until f has followed n collections, or fails.
func waitCycles(t *testing.T, f *floor, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f.followed() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the floor followed %d collections in 5 s, want %d", f.followed(), n)
		}
		runtime.GC()
		time.Sleep(time.Millisecond)
	}
}

func equal(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
