// Package idle returns a server's free memory to the operating system once
// a burst of requests is over. After heavy requests (whole layers, big
// tiles, many at once) the Go runtime keeps the heap it grew to and hands
// it back only slowly; a server that then sits idle holds several times its
// data's size for no one. A Releaser watches for the end of activity and,
// after a quiet spell, collects and releases once (debug.FreeOSMemory): one
// collection per burst, never while a request is running.
package idle

import (
	"context"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// Releaser calls Release once after each burst of requests, when none has
// run for Quiet.
type Releaser struct {
	// Quiet is how long no request must run before Release is called.
	Quiet time.Duration
	// Release returns memory to the system; debug.FreeOSMemory when nil.
	Release func()
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	mu       sync.Mutex
	inFlight int
	last     time.Time // end of the latest request
	pending  bool      // a request ran since the last release
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
	r.last = r.now()
	r.mu.Unlock()
}

func (r *Releaser) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Check releases if a burst is over: some request ran since the last
// release, none is running, and the latest ended Quiet ago or more. It
// reports whether it released. Run calls it; tests call it with a clock.
func (r *Releaser) Check() bool {
	r.mu.Lock()
	due := r.pending && r.inFlight == 0 && r.now().Sub(r.last) >= r.Quiet
	if due {
		r.pending = false
	}
	r.mu.Unlock()
	if !due {
		return false
	}
	if r.Release != nil {
		r.Release()
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
			r.Check()
		}
	}
}
