package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

const (
	// readyTimeout bounds how long /readyz waits for the store.
	readyTimeout = 2 * time.Second
	// readyTTL is how long one ping's result answers /readyz: the endpoint
	// is exempt from rate limiting, so without it every call would reach
	// the store.
	readyTTL = time.Second
)

// healthz serves /healthz: 200 whenever the process can answer.
func (s *server) healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz serves /readyz: 200 when the store answered its last ping, 503
// otherwise. The ping is shared (readiness).
func (s *server) readyz(c echo.Context) error {
	if err := s.ready.check(c.Request().Context()); err != nil {
		return fmt.Errorf("handlers: readiness: %w: %w", geo.ErrUnavailable, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}

// readiness shares one store ping among the callers of /readyz: a result,
// success or failure, answers every call for ttl after the ping ended, and
// callers arriving while a ping runs wait for that ping instead of starting
// their own. It is safe for concurrent use.
type readiness struct {
	ping func(context.Context) error
	now  func() time.Time
	ttl  time.Duration

	mu      sync.Mutex
	at      time.Time  // when the last ping ended; zero before the first
	err     error      // the last ping's result
	running *readyPing // the ping under way, nil when none
}

// readyPing is one ping under way; done is closed once err is set.
type readyPing struct {
	done chan struct{}
	err  error
}

func newReadiness(ping func(context.Context) error, now func() time.Time, ttl time.Duration) *readiness {
	return &readiness{ping: ping, now: now, ttl: ttl}
}

// check returns the result of the last ping if it ended less than ttl ago,
// else the result of a ping: the one under way, or one it runs itself. A
// caller whose ctx ends while it waits for another's ping gets ctx's error;
// a ping runs to its own timeout (readyTimeout), whatever happens to the
// request that started it, since other callers share its result.
func (r *readiness) check(ctx context.Context) error {
	r.mu.Lock()
	if !r.at.IsZero() && r.now().Sub(r.at) < r.ttl {
		err := r.err
		r.mu.Unlock()
		return err
	}
	if p := r.running; p != nil {
		r.mu.Unlock()
		select {
		case <-p.done:
			return p.err
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	p := &readyPing{done: make(chan struct{}), err: errPingPanicked}
	r.running = p
	r.mu.Unlock()
	r.run(context.WithoutCancel(ctx), p)
	return p.err
}

// errPingPanicked is what the callers waiting for a ping are told when the
// ping panics instead of returning.
var errPingPanicked = errors.New("handlers: readiness: the store's ping panicked")

// run pings the store and publishes the result, even when the ping panics.
func (r *readiness) run(ctx context.Context, p *readyPing) {
	defer func() {
		r.mu.Lock()
		r.at, r.err, r.running = r.now(), p.err, nil
		r.mu.Unlock()
		close(p.done)
	}()
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	p.err = r.ping(ctx)
}
