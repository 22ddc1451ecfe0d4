// Package gcfloor keeps the garbage collector's heap goal from falling
// below a floor while the live heap is small.
//
// Go collects when the heap has grown by GOGC percent (100 by default) over
// what the last collection left live. A server whose data lives elsewhere
// (PostGIS) keeps a few megabytes live, yet one page of polygons allocates
// several megabytes in flight: the runtime then collects on nearly every
// such request, and the scavenger hands the freed pages back to the system
// only for the next answer's buffer to fault them in again. Measured on
// the scale dataset's PostGIS pages (bench/performance-notes.md), that was
// a third to a half of the server's CPU.
//
// A floor raises GOGC after each collection so that the next goal is at
// least its floor, and lowers it back to the base once the goal at the base
// reaches the floor (for GOGC=100, a live heap of about half the floor): a
// heap that is large anyway is collected as before.
// It changes when memory is collected, not how much is live; internal/idle
// still returns it to the system after a burst. serve uses it only with
// PostGIS (cmd/controlmap gcFloor).
package gcfloor

import (
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"sync/atomic"
)

// maxPercent bounds the GOGC a floor sets, for a live heap near zero.
const maxPercent = 100_000

// Percent is the GOGC at which a heap of live bytes, with roots of roots
// bytes (goroutine stacks and globals, which the runtime counts in its goal
// since Go 1.18), is next collected at floor bytes or later, and never below
// base: base when the goal at base reaches the floor already.
func Percent(live, roots, floor uint64, base int) int {
	if floor <= live {
		return base
	}
	// goal = live + (live+roots)*p/100 >= floor, rounded up.
	scanned := max(live+roots, 1)
	gap := floor - live
	if gap/scanned >= maxPercent/100 {
		return max(base, maxPercent)
	}
	var p uint64
	if gap <= math.MaxUint64/200 && scanned <= math.MaxUint64/200 {
		p = (gap*100 + scanned - 1) / scanned
	} else {
		// Past the exabytes gap*100 would overflow: an estimate does.
		p = uint64(math.Ceil(float64(gap) / float64(scanned) * 100))
	}
	return max(base, int(min(p, maxPercent)))
}

// floor keeps the heap goal at or above Bytes; see the package comment.
type floor struct {
	bytes uint64
	base  int

	// live reads the live heap after the last collection and the roots
	// the next goal counts, and set sets GOGC and returns the previous
	// value (runtime/metrics and debug.SetGCPercent; replaced by tests).
	live func() (heap, roots uint64)
	set  func(int) int

	mu      sync.Mutex
	stopped bool
	percent int
	// cycles counts the collections followed: one atomic add per cycle,
	// read only by the tests, which wait on it for the cleanup to run.
	cycles atomic.Int64
}

// Start keeps the heap goal at or above bytes from the next collection on,
// until stop is called, which puts GOGC back as it was (the base: GOGC as
// the process had it when Start was called). It does nothing (and stop
// nothing) when bytes is 0 or GOGC is set in the environment: an
// operator's GOGC is kept as given; so is GOGC turned off in the process.
func Start(bytes uint64) (stop func()) {
	_, stop = start(bytes)
	return stop
}

// start is Start, with the floor it started (nil when none).
func start(bytes uint64) (f *floor, stop func()) {
	base := currentPercent()
	if bytes == 0 || os.Getenv("GOGC") != "" || base <= 0 {
		return nil, func() {}
	}
	f = newFloor(bytes, base, liveHeap, debug.SetGCPercent)
	f.arm()
	return f, f.stop
}

func newFloor(bytes uint64, base int, live func() (heap, roots uint64), set func(int) int) *floor {
	return &floor{bytes: bytes, base: base, live: live, set: set, percent: base}
}

// lastPercent is the GOGC the floor last set (the base before the first
// collection).
func (f *floor) lastPercent() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.percent
}

// followed is how many collections the floor has followed (counted once
// GOGC is set for the next).
func (f *floor) followed() int64 { return f.cycles.Load() }

// sentinel is an object that only a collection frees: its cleanup follows
// each cycle. It holds a pointer so that the allocator never packs it with
// other small objects, which would keep it alive.
type sentinel struct{ _ *byte }

// arm attaches the cleanup that runs after the next collection.
func (f *floor) arm() {
	runtime.AddCleanup(new(sentinel), (*floor).collected, f)
}

// collected runs after a collection: it sets GOGC for the next goal and
// waits for the one after.
func (f *floor) collected() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	heap, roots := f.live()
	if p := Percent(heap, roots, f.bytes, f.base); p != f.percent {
		f.set(p)
		f.percent = p
	}
	f.arm()
	f.cycles.Add(1)
}

func (f *floor) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.stopped {
		return
	}
	f.stopped = true
	if f.percent != f.base {
		f.set(f.base)
		f.percent = f.base
	}
}

// liveHeap is the heap the last collection found live, and the stacks
// and globals the next goal counts beside it.
func liveHeap() (heap, roots uint64) {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/scan/stack:bytes"}, {Name: "/gc/scan/globals:bytes"}}
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	return v(0), v(1) + v(2)
}

// currentPercent is GOGC as the process has it (-1: off).
func currentPercent() int {
	s := []metrics.Sample{{Name: "/gc/gogc:percent"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 100
	}
	return int(int64(s[0].Value.Uint64()))
}
