package gcfloor

import (
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		live, floor uint64
		base, want  int
	}{
		{5 * mib, 64 * mib, 100, 1180},      // 5 + 5×11.8 = 64
		{3 * mib, 64 * mib, 100, 2034},      // rounded up: 3×21.34 > 61
		{32 * mib, 64 * mib, 100, 100},      // 2×live reaches the floor
		{40 * mib, 64 * mib, 100, 100},      // base when the heap is large anyway
		{200 * mib, 64 * mib, 100, 100},     // the embedded store's heap
		{5 * mib, 64 * mib, 2000, 2000},     // never below the base
		{0, 64 * mib, 100, maxPercent},      // nothing live yet: bounded
		{1, 64 * mib, 100, maxPercent},      // bounded
		{5 * mib, 0, 100, 100},              // no floor
		{64 * mib, 64 * mib, 50, 50},        // at the floor
		{63 * mib, 64 * mib, 100, 100},      // 2×63 is past it
		{1000, 1 << 30, 100, maxPercent},    // bounded
		{mib, 3 * mib / 2, 20, 50},          // 1 MiB + 50% = the floor exactly
		{mib, 3*mib/2 + 1, 20, 51},          // one byte more: rounded up
		{10 * mib, 11 * mib, 5, 10},         // a low base
		{10 * mib, 10*mib + 1, 100, 100},    // base reaches it
		{1 << 40, 1 << 41, 100, 100},        // no overflow
		{1 << 20, 1 << 50, 100, maxPercent}, // no overflow
	} {
		got := Percent(tc.live, tc.floor, tc.base)
		if got != tc.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", tc.live, tc.floor, tc.base, got, tc.want)
		}
		if got < maxPercent && tc.live > 0 && tc.live+tc.live*uint64(got)/100 < tc.floor {
			t.Errorf("Percent(%d, %d, %d) = %d: the goal %d is under the floor", tc.live, tc.floor, tc.base, got, tc.live+tc.live*uint64(got)/100)
		}
	}
}

// TestFloorFollowsCollections drives a Floor with a fake live heap and
// GOGC through real collections: each collection sets GOGC for the heap
// then live, a growing heap brings it back to the base, and stop puts the
// base back and follows no more collections.
func TestFloorFollowsCollections(t *testing.T) {
	const mib = 1 << 20
	live := make(chan uint64, 1)
	live <- 4 * mib
	var sets []int
	f := newFloor(64*mib, 100, func() uint64 { v := <-live; live <- v; return v }, func(p int) int { sets = append(sets, p); return 0 })
	f.arm()
	waitCycles(t, f, 1)
	if p := f.Percent(); p != 1500 {
		t.Errorf("after a collection with 4 MiB live: GOGC %d, want 1500", p)
	}
	<-live
	live <- 100 * mib
	waitCycles(t, f, f.Cycles()+1)
	if p := f.Percent(); p != 100 {
		t.Errorf("after a collection with 100 MiB live: GOGC %d, want 100", p)
	}
	<-live
	live <- 4 * mib
	waitCycles(t, f, f.Cycles()+1)
	f.stop()
	f.mu.Lock()
	got := append([]int(nil), sets...)
	f.mu.Unlock()
	if want := []int{1500, 100, 1500, 100}; !equal(got, want) {
		t.Errorf("GOGC set to %v, want %v", got, want)
	}
	n := f.Cycles()
	for range 3 {
		runtime.GC()
	}
	time.Sleep(50 * time.Millisecond)
	if f.Cycles() != n {
		t.Errorf("stopped, the floor followed %d more collections", f.Cycles()-n)
	}
}

// TestStart runs the real floor: GOGC goes up after a collection of this
// test's small heap and back to 100 on stop; with GOGC in the environment,
// or a floor of 0, nothing is changed.
func TestStart(t *testing.T) {
	t.Setenv("GOGC", "")
	f, stop := Start(1 << 30)
	defer stop()
	waitCycles(t, f, 1)
	if p := debug.SetGCPercent(100); p <= 100 || p != f.Percent() {
		t.Errorf("GOGC %d after a collection (the floor set %d), want above 100", p, f.Percent())
	} else {
		debug.SetGCPercent(p)
	}
	stop()
	if p := debug.SetGCPercent(100); p != 100 {
		t.Errorf("GOGC %d after stop, want 100", p)
	}
	for _, env := range []string{"150", "off"} {
		t.Setenv("GOGC", env)
		if f, _ := Start(1 << 30); f != nil {
			t.Errorf("GOGC=%s: the floor started", env)
		}
	}
	t.Setenv("GOGC", "")
	if f, _ := Start(0); f != nil {
		t.Error("a floor of 0 started")
	}
}

// waitCycles collects until f has followed n collections, or fails.
func waitCycles(t *testing.T, f *Floor, n int64) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for f.Cycles() < n {
		if time.Now().After(deadline) {
			t.Fatalf("the floor followed %d collections in 5 s, want %d", f.Cycles(), n)
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
