package loadgen

import (
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestReportSeries checks the per-second series with outcomes at known
// offsets: a server that answers, fails for two seconds (503s, then refused
// connections), and recovers.
func TestReportSeries(t *testing.T) {
	a, b := newRecorder(), newRecorder()
	a.response(300*time.Millisecond, 200, 10, 4*time.Millisecond, "hit", false)
	b.response(900*time.Millisecond, 200, 10, 2*time.Millisecond, "stale", false)
	a.response(1500*time.Millisecond, 503, 5, time.Millisecond, TagNone, true)
	b.failure(2100*time.Millisecond, KindRefused)
	a.response(3999*time.Millisecond, 200, 10, 6*time.Millisecond, "hit", false)
	b.cancelled++
	cfg := Config{URLs: []string{"http://127.0.0.1/"}, Concurrency: 2, Duration: 5 * time.Second, TagHeader: "X-Cache"}
	rep := newReport(cfg, time.Date(2026, 1, 20, 12, 0, 0, 0, time.UTC), 5*time.Second, []*recorder{a, b})

	if rep.Requests != 5 || rep.Responses != 4 || rep.Errors != 2 || rep.Cancelled != 1 || rep.Bytes != 35 || rep.RequestsPerSec != 1 {
		t.Errorf("totals: %+v", rep)
	}
	if want := map[string]int64{"hit": 2, "stale": 1, TagNone: 1}; !reflect.DeepEqual(rep.Tags, want) || rep.MissingRetry != 1 {
		t.Errorf("tags %v, missing Retry-After %d; want %v and 1", rep.Tags, rep.MissingRetry, want)
	}
	if want := map[string]int64{"hit": 1, "stale": 1}; !reflect.DeepEqual(rep.Seconds[0].Tags, want) {
		t.Errorf("second 0 tags %v, want %v", rep.Seconds[0].Tags, want)
	}
	type sec struct {
		requests int64
		status   map[string]int64
		failures map[string]int64
		mean     float64
	}
	want := []sec{
		{2, map[string]int64{"200": 2}, nil, 3},
		{1, map[string]int64{"503": 1}, nil, 1},
		{1, map[string]int64{}, map[string]int64{KindRefused: 1}, 0},
		{1, map[string]int64{"200": 1}, nil, 6},
		{0, map[string]int64{}, nil, 0},
	}
	if len(rep.Seconds) != len(want) {
		t.Fatalf("%d seconds, want %d", len(rep.Seconds), len(want))
	}
	for i, w := range want {
		s := rep.Seconds[i]
		got := sec{s.Requests, s.Status, s.Failures, s.MeanMS}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("second %d: %+v, want %+v", i, got, w)
		}
	}

	var text strings.Builder
	if err := rep.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{
		"requests  5 (1.0/s), 2 errors, 1 cancelled at the end",
		"bytes     9 B per response, 35 B in all",
		"status    200: 3 503: 1 connection_refused: 1",
		"X-Cache   (none): 1 hit: 2 stale: 1",
		"Retry-After missing from 1 answers 429 or 503",
		"    2         1         0         0                  1         0         0         0          -          -",
	} {
		if !strings.Contains(text.String(), line) {
			t.Errorf("text report lacks %q:\n%s", line, text.String())
		}
	}
}

// TestFaults: a load that may answer 200, 304 and 503 with Retry-After
// names every other outcome, and a clean one nothing.
func TestFaults(t *testing.T) {
	clean := &Report{Requests: 5, Status: map[string]int64{"200": 3, "304": 1, "503": 1}}
	if bad := clean.Faults("while down"); len(bad) != 0 {
		t.Errorf("clean load: %v", bad)
	}
	bad := (&Report{Requests: 4, Status: map[string]int64{"200": 1, "500": 2}, Failures: map[string]int64{"timeout": 1}, MissingRetry: 1}).Faults("while down")
	want := []string{
		"1 requests failed without an answer (timeout)",
		"2 answers 500 (only 200, 304 and, while down, 503 are expected)",
		"1 answers 503 without Retry-After",
	}
	if !slices.Equal(bad, want) {
		t.Errorf("faults %q, want %q", bad, want)
	}
	if bad := (&Report{}).Faults("x"); !slices.Equal(bad, []string{"no request was answered"}) {
		t.Errorf("no requests: %q", bad)
	}
}
