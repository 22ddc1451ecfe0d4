package handlers

import (
	"context"
	"runtime"

	"github.com/controlmap/controlmap/geo"
)

// Computing an answer the cache does not hold is, on a store that answers
// from memory, work on the processor: a page of features or a tile found in
// the store's index and encoded. Started all at once, thirty such requests
// share the processors, and each takes as long as all of them together: a
// tile of heavy polygons asked beside thirty light ones waits for all of
// them, and the map it belongs to with it. So at most as many are computed
// at once as there are processors, and the others wait their turn, in about
// the order they asked (Go's channels queue waiting senders first in,
// first out). A request that is cancelled while it waits leaves the queue.
// Only the computation holds a turn: reading the request, the cache and
// writing the answer do not. Pictures have their own turns (render.go).

// workSlots returns the channel of turns for store with Options.Workers n,
// or nil when computing is not bounded: a store that waits on a database
// (which queues work itself, and while waiting leaves the processor to
// others), or a negative n.
func workSlots(store geo.Store, n int) chan struct{} {
	if _, ok := store.(geo.LocalStore); !ok || n < 0 {
		return nil
	}
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return make(chan struct{}, n)
}

// computing waits for a turn to compute, and returns the function that
// gives it back; it returns ctx's error if ctx ends first. Turns are not
// reentrant: a computation holding one must not ask for another.
func (s *server) computing(ctx context.Context) (done func(), err error) {
	if s.work == nil {
		return func() {}, nil
	}
	select {
	case s.work <- struct{}{}:
		return s.doneComputing, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// doneComputing gives a turn back.
func (s *server) doneComputing() { <-s.work }
