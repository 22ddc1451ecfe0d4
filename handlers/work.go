package handlers

import (
	"context"
	"runtime"
	"sync/atomic"
)

// Computing an answer the cache does not hold is, on a store that answers
// from memory, work on the processor: a page of features or a tile found in
// the store's index and encoded. Started all at once, thirty such requests
// share the processors, and each takes as long as all of them together: a
// tile of heavy polygons asked beside thirty light ones waits for all of
// them, and the map it belongs to with it. So at most as many are computed
// at once as there are processors, and the others wait their turn, in about
// the order they asked (Go's channels queue waiting senders first in, first
// out, and a waiting sender keeps its place when a turn is given back). A
// request that is cancelled while it waits leaves the queue. Only the
// computation holds a turn: reading the request, looking in the cache,
// compressing and writing the answer do not (a request whose answer another
// is computing waits for that one, turn included). A download takes none:
// two of a whole layer would otherwise stop every page and tile for as long
// as they are encoded. Pictures have their own turns (render.go).

// workTurns are the turns to compute of a server whose store answers from
// memory. A nil *workTurns bounds nothing.
type workTurns struct {
	turns   chan struct{} // a token per turn taken
	waiting atomic.Int64  // requests waiting for a turn now
}

// newWorkTurns returns the turns of a server with Options.Workers n whose
// store answers from memory when local (geo.LocalStore), or nil when
// computing is not bounded: a store that waits on a database (which queues
// work itself, and while waiting leaves the processor to others), or a
// negative n. Zero is the GOMAXPROCS of when the server is built.
func newWorkTurns(local bool, n int) *workTurns {
	if !local || n < 0 {
		return nil
	}
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	return &workTurns{turns: make(chan struct{}, n)}
}

// take waits for a turn, or returns ctx's error if ctx ends first (or has
// ended already). Every take that returns nil must be followed by one done.
// Turns are not reentrant: a computation holding one must not take another.
func (w *workTurns) take(ctx context.Context) error {
	if w == nil {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	select {
	case w.turns <- struct{}{}: // a turn is free (and nobody waits for one)
		return nil
	default:
	}
	w.waiting.Add(1)
	defer w.waiting.Add(-1)
	select {
	case w.turns <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// done gives a turn back.
func (w *workTurns) done() {
	if w != nil {
		<-w.turns
	}
}

// running is how many turns are taken now.
func (w *workTurns) running() int {
	if w == nil {
		return 0
	}
	return len(w.turns)
}

// queued is how many requests wait for a turn now.
func (w *workTurns) queued() int64 {
	if w == nil {
		return 0
	}
	return w.waiting.Load()
}
