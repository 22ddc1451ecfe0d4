// Package idle returns a server's free memory to the operating system once
// a burst of requests is over. After heavy requests (whole layers, big
// tiles, many at once) the Go runtime keeps the heap it grew to and hands
// it back only slowly; a server that then sits idle holds several times its
// data's size for no one. A Releaser watches for the end of activity and,
// after a quiet spell, collects and releases once (debug.FreeOSMemory): one
// collection per burst, and only after a burst that allocated enough to be
// worth it, so health checks and light traffic never cause one.
package idle

import (
	"context"
	"net/http"
	"runtime/debug"
	"runtime/metrics"
	"sync"
	"time"
)

// DefaultMinAllocated is Releaser.MinAllocated when it is zero.
const DefaultMinAllocated = 64 << 20

// Releaser releases memory once after each burst of requests, when none
// has run for Quiet and the heap allocated MinAllocated bytes or more
// since the last release.
type Releaser struct {
	// Quiet is how long no request must run before a release.
	Quiet time.Duration
	// MinAllocated is how many bytes the heap must have allocated since the
	// last release for a burst to be worth one (DefaultMinAllocated when 0).
	MinAllocated uint64

	// For tests: the release (debug.FreeOSMemory), the clock (time.Now)
	// and the bytes allocated so far (runtime/metrics) when nil.
	release   func()
	now       func() time.Time
	allocated func() uint64

	mu       sync.Mutex
	inFlight int
	last     time.Time // end of the latest request
	pending  bool      // a request ran since the last release
	base     uint64    // bytes allocated at the last release
}

// Handler wraps h so that the Releaser sees each request start and end.
func (r *Releaser) Handler(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.begin()
		defer r.end()
		h.ServeHTTP(w, req)
	})
}

func (r *Releaser) begin() {
	r.mu.Lock()
	r.inFlight++
	r.pending = true
	r.mu.Unlock()
}

func (r *Releaser) end() {
	r.mu.Lock()
	r.inFlight--
	r.last = r.clock()
	r.mu.Unlock()
}

func (r *Releaser) clock() time.Time {
	if r.now != nil {
		return r.now()
	}
	return time.Now()
}

// heapAllocated is the total of bytes the heap has allocated so far.
func heapAllocated() uint64 {
	s := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// check releases if a burst worth it is over: some request ran since the
// last release, none is running when it decides, the latest ended Quiet
// ago or more, and the heap allocated MinAllocated bytes since the last
// release. (A request may start between the decision and the release; the
// release only costs it a collection's pause.) It reports whether it
// released. Run calls it every Quiet/2.
func (r *Releaser) check() bool {
	alloc := heapAllocated
	if r.allocated != nil {
		alloc = r.allocated
	}
	minAlloc := r.MinAllocated
	if minAlloc == 0 {
		minAlloc = DefaultMinAllocated
	}
	r.mu.Lock()
	due := r.pending && r.inFlight == 0 && r.clock().Sub(r.last) >= r.Quiet
	if due {
		r.pending = false // this burst is decided either way
		now := alloc()
		due = now-r.base >= minAlloc
		if due {
			r.base = now
		}
	}
	r.mu.Unlock()
	if !due {
		return false
	}
	if r.release != nil {
		r.release()
	} else {
		debug.FreeOSMemory()
	}
	return true
}

// Run checks every Quiet/2 until ctx is done.
func (r *Releaser) Run(ctx context.Context) {
	t := time.NewTicker(max(r.Quiet/2, 10*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			r.check()
		}
	}
}
