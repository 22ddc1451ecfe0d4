package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"time"
)

// timedRequest is one request of a timed case, or of the warming of a slow
// hot case: what it asked, how it ended and how long it took.
type timedRequest struct {
	Path   string  `json:"path"`
	Status int     `json:"status,omitempty"` // 0: no answer (see Error), or not asked
	Ms     float64 `json:"ms"`               // from sending to the last byte of the body, or to the failure
	Bytes  int     `json:"bytes,omitempty"`
	Cache  string  `json:"x_cache,omitempty"`
	Error  string  `json:"error,omitempty"`
	// NotAsked says why the request was not sent (the case's time budget
	// was used up).
	NotAsked string `json:"not_asked,omitempty"`
}

// ok reports whether the request was answered 2xx.
func (t timedRequest) ok() bool { return t.Status >= 200 && t.Status < 300 && t.Error == "" }

// outcome is how the request ended, in a few words: "200", "503", "no
// answer within 90 s", "not asked: …".
func (t timedRequest) outcome() string {
	switch {
	case t.NotAsked != "":
		return "not asked: " + t.NotAsked
	case t.Error != "" && t.Status != 0:
		return fmt.Sprintf("%d, then %s", t.Status, t.Error)
	case t.Error != "":
		return t.Error
	}
	return fmt.Sprint(t.Status)
}

// timedClient is the client of the timed requests: no compression (as wrk),
// no proxy, one request at a time on a kept-alive connection, each bounded
// by timeout.
func timedClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{DisableCompression: true, Proxy: nil, MaxIdleConnsPerHost: 1}}
}

// timeRequest asks base+path once with client and times it, to the last
// byte of the body. body is the answer's body when it was read whole.
func timeRequest(ctx context.Context, client *http.Client, base, path string) (t timedRequest, body []byte) {
	t.Path = path
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		t.Error = err.Error()
		return t, nil
	}
	t0 := time.Now()
	resp, err := client.Do(req)
	if err != nil {
		t.Ms = msSince(t0)
		t.Error = failure(err, client.Timeout)
		return t, nil
	}
	body, err = io.ReadAll(resp.Body)
	resp.Body.Close()
	t.Ms = msSince(t0)
	t.Status, t.Bytes, t.Cache = resp.StatusCode, len(body), resp.Header.Get("X-Cache")
	if err != nil {
		t.Error = "body cut short: " + failure(err, client.Timeout)
		return t, nil
	}
	return t, body
}

func msSince(t0 time.Time) float64 { return float64(time.Since(t0)) / float64(time.Millisecond) }

// failure names a request's failure for the report: a timeout, a connection
// the server closed without an answer, or the error itself.
func failure(err error, timeout time.Duration) string {
	var ne interface{ Timeout() bool }
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Sprintf("no answer within %s (client timeout)", timeout)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), strings.Contains(err.Error(), "EOF"):
		return "connection closed without an answer"
	case strings.Contains(err.Error(), "connection reset"):
		return "connection reset"
	}
	return firstLine(err.Error())
}

// runTimed asks the paths of a timed case one after another, timing each,
// and stops sending once budget has passed since the first (the rest are
// recorded as not asked). Failures are recorded, not returned: only the
// end of ctx is an error.
func runTimed(ctx context.Context, base string, c benchCase, budget, timeout time.Duration, logf func(string, ...any)) (caseResult, error) {
	r := caseResult{ID: c.ID, Title: c.Title, Path: c.Paths[0], Distinct: len(c.Paths), RefID: c.RefID,
		Sequential: true, LatencyTarget: msOf(c.LatencyTarget), RefNone: c.NoRef}
	if len(c.Paths) > 1 {
		r.Path += " …"
	}
	client := timedClient(timeout)
	defer client.CloseIdleConnections()
	began := time.Now()
	for _, p := range c.Paths {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		if time.Since(began) >= budget {
			r.Timed = append(r.Timed, timedRequest{Path: p, NotAsked: fmt.Sprintf("the case's budget of %s was used up", budget)})
			continue
		}
		t, body := timeRequest(ctx, client, base, p)
		if err := ctx.Err(); err != nil {
			return r, err
		}
		if t.ok() && r.Bytes == 0 {
			r.Bytes, r.Features = len(body), countFeatures(body)
		}
		logf("  %s %s: %s in %.2f s", c.ID, p, t.outcome(), t.Ms/1000)
		r.Timed = append(r.Timed, t)
	}
	r.Seconds = time.Since(began).Seconds()
	return r, nil
}

func msOf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// warm asks a slow hot case's path until it is answered 200 (at most
// warmAttempts times), so that wrk then measures the cached answer, and
// returns every attempt. A request that takes longer than the server's
// write timeout gets no answer, but the answer it built is cached and the
// next request is a hit.
func warm(ctx context.Context, base, path string, timeout time.Duration) ([]timedRequest, bool) {
	client := timedClient(timeout)
	defer client.CloseIdleConnections()
	var tries []timedRequest
	for range warmAttempts {
		t, _ := timeRequest(ctx, client, base, path)
		tries = append(tries, t)
		if t.ok() || ctx.Err() != nil {
			return tries, t.ok()
		}
	}
	return tries, false
}

// timedSummary is what the report says of a timed case's requests.
type timedSummary struct {
	Asked, OK        int
	Median, Max      float64 // ms, over the requests asked (answered or not)
	Over             int     // requests asked that took longer than the target, or failed
	Errors, NotAsked []string
}

// summarize the requests of a timed case against its target (target 0:
// none).
func summarize(ts []timedRequest, target float64) timedSummary {
	var s timedSummary
	var ms []float64
	for _, t := range ts {
		if t.NotAsked != "" {
			s.NotAsked = append(s.NotAsked, t.Path)
			continue
		}
		s.Asked++
		ms = append(ms, t.Ms)
		if t.ok() {
			s.OK++
		} else {
			s.Errors = append(s.Errors, t.outcome())
		}
		if !t.ok() || (target > 0 && t.Ms > target) {
			s.Over++
		}
	}
	if len(ms) > 0 {
		slices.Sort(ms)
		s.Median, s.Max = median(ms), ms[len(ms)-1]
	}
	return s
}

// median of sorted values.
func median(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return (sorted[n/2-1] + sorted[n/2]) / 2
}

// timedCells are the cells of a timed case's summary row: the requests
// asked, the median and most latency, and the failures.
func timedCells(sum timedSummary, n int) (asked, latency, errs string) {
	errs = "none"
	if len(sum.Errors) > 0 {
		errs = fmt.Sprintf("**%d: %s**", len(sum.Errors), strings.Join(sum.Errors, "; "))
	}
	asked = fmt.Sprintf("%d of %d", sum.Asked, n)
	if len(sum.NotAsked) > 0 {
		asked += " (the rest not asked: the case's time budget was used up)"
	}
	latency = "–"
	if sum.Asked > 0 {
		latency = seconds(sum.Median) + " / " + seconds(sum.Max)
	}
	return asked, latency, errs
}

// requestCells are the cells of one timed request's row: its outcome (in
// bold when it failed), how long it took, and how it stands against the
// target (none without one).
func requestCells(t timedRequest, target float64) (outcome, took, verdict string) {
	switch {
	case t.NotAsked != "" || target <= 0:
	case t.ok() && t.Ms <= target:
		verdict = "under " + seconds(target)
	default:
		verdict = "**over " + seconds(target) + "**"
	}
	took = "–"
	if t.NotAsked == "" {
		took = seconds(t.Ms)
	}
	outcome = t.outcome()
	if !t.ok() && t.NotAsked == "" {
		outcome = "**" + outcome + "**"
	}
	return outcome, took, verdict
}

// hotRow is the row of a hot case that has no reference server: how it was
// warmed, its throughput and latency, and the verdict against the cached
// answer nearest in size (hotCachedVerdict).
func hotRow(s storeResult, c caseResult, ref string) string {
	first := "–"
	if len(c.Warmup) > 0 {
		var ws []string
		for _, t := range c.Warmup {
			ws = append(ws, fmt.Sprintf("%s in %s", t.outcome(), seconds(t.Ms)))
		}
		first = strings.Join(ws, "; then ")
	}
	v, ok := hotCachedVerdict(s, c)
	if c.Skipped != "" {
		return fmt.Sprintf("| %s | %s | %s | | %s | not measured | | | %s | %s |", c.ID, c.Title, s.Name, first, ok, ref)
	}
	errs := ""
	if c.Non2xx > 0 || c.SocketErrs > 0 {
		errs = fmt.Sprintf(" (**%d non-2xx, %d socket errors or timeouts**)", c.Non2xx, c.SocketErrs)
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s%s | %s | %s | %s: %s | %s |",
		c.ID, c.Title, s.Name, size(c.Bytes), first, rps(c.RPS), errs, ms(c.P50), ms(c.P99), ok, v, ref)
}
