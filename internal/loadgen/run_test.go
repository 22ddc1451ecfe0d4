package loadgen

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// server is a loopback test server counting the requests it received.
type server struct {
	*httptest.Server
	hits atomic.Int64
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	t.Helper()
	s := &server{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(s.Close)
	return s
}

func routes(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/ok":
		w.Write([]byte(strings.Repeat("x", 100)))
	case "/down":
		w.Header().Set("Retry-After", "1")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("down\n"))
	case "/down-no-retry":
		w.WriteHeader(http.StatusServiceUnavailable)
	case "/stale":
		w.Header().Set("X-Cache", "stale")
		w.Write([]byte("old\n"))
	case "/moved":
		http.Redirect(w, r, "http://example.com/", http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func mustRun(t *testing.T, cfg Config) *Report {
	t.Helper()
	if cfg.Timeout == 0 {
		cfg.Timeout = 10 * time.Second
	}
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkSeries(t, rep)
	return rep
}

// checkSeries checks that the seconds add up to the totals.
func checkSeries(t *testing.T, rep *Report) {
	t.Helper()
	var n int64
	status := map[string]int64{}
	failures := map[string]int64{}
	for i, s := range rep.Seconds {
		if s.T != i {
			t.Errorf("second %d is labelled %d", i, s.T)
		}
		n += s.Requests
		for k, v := range s.Status {
			status[k] += v
		}
		for k, v := range s.Failures {
			failures[k] += v
		}
	}
	if n != rep.Requests {
		t.Errorf("the seconds hold %d requests, the total is %d", n, rep.Requests)
	}
	for k, v := range rep.Status {
		if status[k] != v {
			t.Errorf("status %s: %d in the seconds, %d in all", k, status[k], v)
		}
	}
	for k, v := range rep.Failures {
		if failures[k] != v {
			t.Errorf("failure %s: %d in the seconds, %d in all", k, failures[k], v)
		}
	}
}

func TestRunCountsRoundRobin(t *testing.T) {
	s := newServer(t, routes)
	rep := mustRun(t, Config{
		URLs:        []string{s.URL + "/ok", s.URL + "/down"},
		Concurrency: 8, Duration: MaxDuration, Requests: 100,
	})
	if got := s.hits.Load(); got != 100 {
		t.Errorf("server received %d requests, want 100", got)
	}
	if rep.Requests != 100 || rep.Responses != 100 || rep.Cancelled != 0 {
		t.Errorf("requests %d, responses %d, cancelled %d; want 100, 100, 0", rep.Requests, rep.Responses, rep.Cancelled)
	}
	if rep.Status["200"] != 50 || rep.Status["503"] != 50 || len(rep.Status) != 2 {
		t.Errorf("status %v, want 50 of 200 and 50 of 503", rep.Status)
	}
	if rep.Errors != 50 || len(rep.Failures) != 0 {
		t.Errorf("errors %d, failures %v; want the 50 503s and no failures", rep.Errors, rep.Failures)
	}
	if rep.Bytes != 50*100+50*5 || rep.BytesPerResp != 52.5 {
		t.Errorf("bytes %d, per response %g; want 5250, 52.5", rep.Bytes, rep.BytesPerResp)
	}
	l := rep.Latency
	if !(0 < l.P50 && l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) {
		t.Errorf("latency quantiles out of order: %+v", l)
	}
}

// TestRunRateLimitsRequests checks the duration and rate limits by count: at
// 40 requests a second for 250 ms, at most 10 requests are due (at 0, 25, …,
// 225 ms), however fast the server and however many connections.
func TestRunRateLimitsRequests(t *testing.T) {
	s := newServer(t, routes)
	rep := mustRun(t, Config{URLs: []string{s.URL + "/ok"}, Concurrency: 4, Duration: 250 * time.Millisecond, Rate: 40})
	if got := s.hits.Load(); got < 1 || got > 10 {
		t.Errorf("server received %d requests, want 1..10", got)
	}
	if rep.Requests+rep.Cancelled > 10 || rep.Requests < 1 || rep.Errors != 0 {
		t.Errorf("requests %d + cancelled %d, errors %d; want 1..10 in all and no errors", rep.Requests, rep.Cancelled, rep.Errors)
	}
}

// TestRunEndsWhileServerHangs checks that the duration bounds a run against a
// server that never answers: every connection's one request is cancelled and
// none is counted as a response or an error.
func TestRunEndsWhileServerHangs(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release) // runs before the server's cleanup closes it
	rep := mustRun(t, Config{URLs: []string{s.URL + "/"}, Concurrency: 4, Duration: 100 * time.Millisecond})
	if rep.Requests != 0 || rep.Errors != 0 || rep.Cancelled != 4 {
		t.Errorf("requests %d, errors %d, cancelled %d; want 0, 0 and one per connection (4)", rep.Requests, rep.Errors, rep.Cancelled)
	}
	if got := s.hits.Load(); got > 4 {
		t.Errorf("server received %d requests from 4 connections", got)
	}
}

func TestRunConnectionRefused(t *testing.T) {
	s := httptest.NewServer(http.NotFoundHandler())
	url := s.URL
	s.Close()
	rep := mustRun(t, Config{URLs: []string{url + "/"}, Concurrency: 2, Duration: MaxDuration, Requests: 6})
	if rep.Requests != 6 || rep.Responses != 0 || rep.Errors != 6 || rep.Failures[KindRefused] != 6 {
		t.Errorf("requests %d, responses %d, errors %d, failures %v; want 6 refused", rep.Requests, rep.Responses, rep.Errors, rep.Failures)
	}
}

func TestRunTimeout(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	rep := mustRun(t, Config{URLs: []string{s.URL + "/"}, Concurrency: 2, Duration: MaxDuration, Requests: 2, Timeout: 20 * time.Millisecond})
	if rep.Failures[KindTimeout] != 2 || rep.Requests != 2 || rep.Cancelled != 0 {
		t.Errorf("failures %v, requests %d, cancelled %d; want 2 timeouts", rep.Failures, rep.Requests, rep.Cancelled)
	}
}

// TestRunDoesNotFollowRedirects checks that a loopback server cannot send the
// load elsewhere: the redirect is counted as its status and not followed.
func TestRunDoesNotFollowRedirects(t *testing.T) {
	s := newServer(t, routes)
	rep := mustRun(t, Config{URLs: []string{s.URL + "/moved"}, Concurrency: 1, Duration: MaxDuration, Requests: 3})
	if rep.Status["302"] != 3 || rep.Errors != 0 {
		t.Errorf("status %v, errors %d; want three 302s, no errors", rep.Status, rep.Errors)
	}
}

func TestRunSendsHeaders(t *testing.T) {
	var gzip, accept atomic.Int64
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Accept-Encoding") == "gzip" {
			gzip.Add(1)
		}
		if r.Header.Get("Accept") == "application/geo+json" {
			accept.Add(1)
		}
	})
	mustRun(t, Config{URLs: []string{s.URL + "/"}, Concurrency: 2, Duration: MaxDuration, Requests: 4, Gzip: true,
		Header: map[string]string{"Accept": "application/geo+json"}})
	if gzip.Load() != 4 || accept.Load() != 4 {
		t.Errorf("%d requests asked for gzip and %d sent the Accept header, want 4 and 4", gzip.Load(), accept.Load())
	}
}

func TestRunRefusesBadConfig(t *testing.T) {
	_, err := Run(context.Background(), Config{URLs: []string{"http://example.com/"}, Concurrency: 1, Duration: time.Second, Timeout: time.Second})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("Run against example.com: %v", err)
	}
}

// TestRunTagsAndRetryAfter: responses are counted by the value of the tag
// header, and 503s without Retry-After are counted apart.
func TestRunTagsAndRetryAfter(t *testing.T) {
	s := newServer(t, routes)
	rep := mustRun(t, Config{
		URLs:        []string{s.URL + "/ok", s.URL + "/stale", s.URL + "/down", s.URL + "/down-no-retry"},
		Concurrency: 1, Duration: time.Minute, Requests: 8, TagHeader: "X-Cache",
	})
	if want := map[string]int64{TagNone: 6, "stale": 2}; rep.Tags["stale"] != want["stale"] || rep.Tags[TagNone] != want[TagNone] || len(rep.Tags) != 2 {
		t.Errorf("tags %v, want %v", rep.Tags, want)
	}
	if rep.MissingRetry != 2 {
		t.Errorf("missing Retry-After %d, want 2 (the answers of /down-no-retry)", rep.MissingRetry)
	}
	var perSecond int64
	for _, sec := range rep.Seconds {
		perSecond += sec.Tags["stale"]
	}
	if perSecond != 2 {
		t.Errorf("stale answers per second add up to %d, want 2", perSecond)
	}
}
