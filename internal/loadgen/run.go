package loadgen

import (
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// errorPause is how long a connection waits after a request failed without a
// response (a server down refuses connections at once), so that the load
// generator does not spin and starve the server it shares the machine with.
const errorPause = 10 * time.Millisecond

// Run sends requests as configured until the duration ends, the request limit
// is reached or ctx is done, and reports what happened. Requests still in
// flight at the end are cancelled and counted as cancelled, not as errors.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	client := newClient(cfg)
	defer client.CloseIdleConnections()

	start := time.Now()
	ctx, cancel := context.WithDeadline(ctx, start.Add(cfg.Duration))
	defer cancel()
	l := &loop{cfg: cfg, client: client, start: start}
	recs := make([]*recorder, cfg.Concurrency)
	var wg sync.WaitGroup
	for i := range recs {
		recs[i] = newRecorder()
		wg.Go(func() { l.connection(ctx, recs[i]) })
	}
	wg.Wait()
	return newReport(cfg, start, time.Since(start), recs), nil
}

// newClient returns a client for loopback load: as many idle connections
// kept per host as there are connections, no proxy from the environment, no
// transparent decompression, no redirects followed, and a dialer that
// refuses any address but loopback.
func newClient(cfg Config) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second, Control: loopbackOnly}
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         dialer.DialContext,
		MaxIdleConns:        0, // no limit over all hosts; MaxIdleConnsPerHost bounds each
		MaxIdleConnsPerHost: cfg.Concurrency,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// loop is what the connections share: request numbers are handed out from
// next, which picks the URL (round-robin) and, with a rate, the time the
// request is due.
type loop struct {
	cfg    Config
	client *http.Client
	start  time.Time
	next   atomic.Int64
}

// connection sends one request after another until there is none left to
// send or ctx is done.
func (l *loop) connection(ctx context.Context, rec *recorder) {
	for {
		n := l.next.Add(1) - 1
		if l.cfg.Requests > 0 && n >= l.cfg.Requests {
			return
		}
		if l.cfg.Rate > 0 {
			due := time.Duration(float64(n) / l.cfg.Rate * float64(time.Second))
			if due >= l.cfg.Duration {
				return
			}
			if !sleep(ctx, time.Until(l.start.Add(due))) {
				rec.cancelled++
				return
			}
		}
		switch l.request(ctx, rec, l.cfg.URLs[n%int64(len(l.cfg.URLs))]) {
		case cancelled:
			rec.cancelled++
			return
		case failed:
			if !sleep(ctx, errorPause) {
				return
			}
		}
	}
}

// outcome is how a request ended.
type outcome int

const (
	answered  outcome = iota // a complete response, whatever its status
	failed                   // no complete response, recorded by kind
	cancelled                // the run ended first; not recorded
)

// request sends one request and records its outcome.
func (l *loop) request(ctx context.Context, rec *recorder, url string) outcome {
	if ctx.Err() != nil {
		return cancelled
	}
	rctx, cancel := context.WithTimeout(ctx, l.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(rctx, http.MethodGet, url, nil)
	if err != nil { // the URLs were checked; only a bug gets here
		rec.failure(time.Since(l.start), KindOther)
		return failed
	}
	for k, v := range l.cfg.Header {
		req.Header.Set(k, v)
	}
	if l.cfg.Gzip {
		req.Header.Set("Accept-Encoding", "gzip")
	}
	t0 := time.Now()
	resp, err := l.client.Do(req)
	var n int64
	if err == nil {
		n, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	done := time.Now()
	if err != nil {
		if ctx.Err() != nil {
			return cancelled
		}
		rec.failure(done.Sub(l.start), errorKind(err))
		return failed
	}
	var tag string
	if l.cfg.TagHeader != "" {
		tag = resp.Header.Get(l.cfg.TagHeader)
		if tag == "" {
			tag = TagNone
		}
	}
	noRetry := (resp.StatusCode == http.StatusServiceUnavailable || resp.StatusCode == http.StatusTooManyRequests) &&
		resp.Header.Get("Retry-After") == ""
	rec.response(done.Sub(l.start), resp.StatusCode, n, done.Sub(t0), tag, noRetry)
	return answered
}

// sleep waits for d or until ctx is done, and reports whether ctx is still
// live.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
