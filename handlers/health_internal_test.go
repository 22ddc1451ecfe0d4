package handlers

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
)

// countingPing is a store ping that counts its calls, answers err, and,
// when gate is not nil, waits for gate to close first.
type countingPing struct {
	calls   atomic.Int64
	err     error
	started chan struct{} // receives once per call, when not nil
	gate    chan struct{}
}

func (p *countingPing) ping(ctx context.Context) error {
	p.calls.Add(1)
	if p.started != nil {
		p.started <- struct{}{}
	}
	if p.gate != nil {
		<-p.gate
	}
	return p.err
}

// readyzStatus calls the /readyz handler of s and returns the status.
func readyzStatus(t *testing.T, s *server) int {
	t.Helper()
	e := echo.New()
	e.HTTPErrorHandler = errorHandler(slog.New(slog.NewTextHandler(io.Discard, nil)))
	rec := httptest.NewRecorder()
	c := e.NewContext(httptest.NewRequest(http.MethodGet, "/readyz", nil), rec)
	if err := s.readyz(c); err != nil {
		e.HTTPErrorHandler(err, c)
	}
	return rec.Code
}

// TestReadyzSharesOnePing: calls to /readyz within readyTTL of a ping,
// one after the other or at once, cause that one ping; its result, success
// or failure, is every caller's; after readyTTL the store is pinged again.
func TestReadyzSharesOnePing(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		status int
	}{
		{"up", nil, http.StatusOK},
		{"down", errors.New("dial tcp: connection refused"), http.StatusServiceUnavailable},
	} {
		t.Run(tt.name, func(t *testing.T) {
			clock := &fakeClock{t: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
			p := &countingPing{err: tt.err}
			s := &server{ready: newReadiness(p.ping, clock.now, readyTTL)}

			for i := range 10 {
				if got := readyzStatus(t, s); got != tt.status {
					t.Fatalf("call %d: status %d, want %d", i+1, got, tt.status)
				}
				clock.advance(readyTTL / 20)
			}
			if n := p.calls.Load(); n != 1 {
				t.Errorf("10 calls within %s pinged the store %d times, want 1", readyTTL, n)
			}
			clock.advance(readyTTL / 2) // now past readyTTL since the ping
			if got := readyzStatus(t, s); got != tt.status {
				t.Errorf("after the window: status %d, want %d", got, tt.status)
			}
			if n := p.calls.Load(); n != 2 {
				t.Errorf("a call after the window: %d pings in all, want 2", n)
			}
		})
	}
}

// TestReadinessConcurrentCallersShareOnePing: callers arriving while a ping
// is under way wait for it and get its result; none starts another.
func TestReadinessConcurrentCallersShareOnePing(t *testing.T) {
	for _, want := range []error{nil, errors.New("store down")} {
		clock := &fakeClock{t: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
		p := &countingPing{err: want, started: make(chan struct{}, 100), gate: make(chan struct{})}
		r := newReadiness(p.ping, clock.now, readyTTL)

		const n = 20
		errs := make([]error, n)
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { defer wg.Done(); errs[0] = r.check(context.Background()) }()
		<-p.started // the first caller's ping is under way
		for i := 1; i < n; i++ {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = r.check(context.Background()) }()
		}
		// The others are waiting for the ping, or come after it and find
		// its result: the clock does not move, so either way they share it.
		close(p.gate)
		wg.Wait()
		if c := p.calls.Load(); c != 1 {
			t.Errorf("%d concurrent callers pinged the store %d times, want 1", n, c)
		}
		for i, err := range errs {
			if err != want { // the very error value the ping returned
				t.Errorf("caller %d: %v, want %v", i, err, want)
			}
		}
	}
}

// TestReadinessWaiterHangsUp: a caller whose request ends while it waits for
// another's ping gets its context's error; the ping goes on and its result
// is kept for the next caller.
func TestReadinessWaiterHangsUp(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	p := &countingPing{started: make(chan struct{}, 1), gate: make(chan struct{})}
	r := newReadiness(p.ping, clock.now, readyTTL)
	first := make(chan error, 1)
	go func() { first <- r.check(context.Background()) }()
	<-p.started
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := r.check(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("a waiter whose context ended: %v, want context.Canceled", err)
	}
	close(p.gate)
	if err := <-first; err != nil {
		t.Errorf("the pinging caller: %v, want nil", err)
	}
	if err := r.check(context.Background()); err != nil || p.calls.Load() != 1 {
		t.Errorf("next caller: %v after %d pings, want nil after 1", err, p.calls.Load())
	}
}

// TestReadinessPingPanics: a panicking ping fails its waiters instead of
// leaving them waiting, and is not taken for success.
func TestReadinessPingPanics(t *testing.T) {
	clock := &fakeClock{t: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	r := newReadiness(func(context.Context) error { panic("boom") }, clock.now, readyTTL)
	func() {
		defer func() { _ = recover() }()
		_ = r.check(context.Background())
	}()
	if err := r.check(context.Background()); !errors.Is(err, errPingPanicked) {
		t.Errorf("after a panicking ping: %v, want errPingPanicked", err)
	}
}
