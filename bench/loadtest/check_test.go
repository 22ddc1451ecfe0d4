package main

import (
	"strings"
	"testing"

	"github.com/controlmap/controlmap/internal/loadgen"
)

// sec is one second: answers by status and by X-Cache.
type sec struct{ status, tags map[string]int64 }

// series builds a report from per-second counts.
func series(secs ...sec) *loadgen.Report {
	rep := &loadgen.Report{Status: map[string]int64{}, Tags: map[string]int64{}}
	for i, c := range secs {
		s := loadgen.Second{T: i, Status: c.status, Tags: c.tags}
		for code, n := range c.status {
			s.Requests += n
			rep.Status[code] += n
			rep.Requests += n
		}
		for tag, n := range c.tags {
			rep.Tags[tag] += n
		}
		rep.Seconds = append(rep.Seconds, s)
	}
	return rep
}

// ok is a second of n fresh answers (cache hits).
func ok(n int64) sec {
	return sec{map[string]int64{"200": n}, map[string]int64{"hit": n}}
}

// down is a second of stale answers and 503s.
func down(stale, n503 int64) sec {
	return sec{map[string]int64{"200": stale, "503": n503}, map[string]int64{"stale": stale, "(none)": n503}}
}

// none is a second without any answer.
func none() sec { return sec{map[string]int64{}, nil} }

func TestCheckOutage(t *testing.T) {
	o := outage{Stop: 3.2, Stopped: 3.5, Start: 6.4, Started: 7.5}
	for _, tt := range []struct {
		name    string
		rep     *loadgen.Report
		wantBad []string // substrings of the failures, none when empty
		first   int
		last    int
	}{
		{"recovers", series(ok(10), ok(10), ok(10), down(5, 5), down(2, 8), down(3, 7), down(9, 1), ok(10), ok(10), ok(4)), nil, 3, 6},
		{"503 before the stop", series(ok(10), down(9, 1), ok(10), down(5, 5), ok(10), ok(10), ok(10), ok(3)), []string{"before the database stopped"}, 1, 3},
		{"no outage seen", series(ok(10), ok(10), ok(10), ok(10), ok(10), ok(10), ok(10)), []string{"no 503 at all"}, -1, -1},
		{"slow recovery", series(ok(10), ok(10), ok(10), down(0, 9), down(0, 9), down(0, 9), down(0, 9), down(0, 9), down(0, 9), down(0, 9),
			down(0, 9), down(0, 9), down(0, 9), down(0, 9), down(0, 9), down(0, 9), down(0, 9), ok(10), ok(1)), []string{"after the database was started"}, 3, 16},
		{"500s", series(ok(10), ok(10), ok(10), sec{map[string]int64{"503": 4, "500": 1}, nil}, down(1, 1), ok(10), ok(2)), []string{"1 answers 500"}, 3, 4},
		{"fresh answers while down", series(ok(10), ok(10), ok(10), down(5, 5), ok(10), down(3, 7), ok(10), ok(10), ok(4)), []string{"10 answers not marked stale in second 4"}, 3, 5},
		{"no stale answer", series(ok(10), ok(10), ok(10), down(0, 10), down(0, 10), down(0, 10), ok(10), ok(10), ok(4)), []string{"no stale answer at all"}, 3, 5},
		{"stalls after recovery", series(ok(10), ok(10), ok(10), down(1, 9), ok(10), none(), ok(10), ok(3)), []string{"no answer at all in second 5"}, 3, 3},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res, bad := checkOutage(tt.rep, o)
			if res.First503 != tt.first || res.Last503 != tt.last {
				t.Errorf("503s in %d..%d, want %d..%d", res.First503, res.Last503, tt.first, tt.last)
			}
			if len(tt.wantBad) == 0 && len(bad) > 0 {
				t.Errorf("failures %q, want none", bad)
			}
			for _, w := range tt.wantBad {
				if !strings.Contains(strings.Join(bad, "\n"), w) {
					t.Errorf("failures %q lack %q", bad, w)
				}
			}
		})
	}
	t.Run("no answer and no Retry-After", func(t *testing.T) {
		rep := series(ok(10), ok(10), ok(10), down(1, 9), ok(10), ok(2))
		rep.Failures = map[string]int64{"connection_refused": 3}
		rep.MissingRetry = 2
		_, bad := checkOutage(rep, o)
		all := strings.Join(bad, "\n")
		if !strings.Contains(all, "3 requests failed without an answer (connection_refused)") || !strings.Contains(all, "2 answers 503 without Retry-After") {
			t.Errorf("failures %q", bad)
		}
	})
	t.Run("recovery time", func(t *testing.T) {
		res, _ := checkOutage(series(ok(10), ok(10), ok(10), down(1, 9), down(1, 9), down(1, 9), down(1, 9), down(1, 9), ok(10), ok(1)), o)
		if res.Recovered < 1.59 || res.Recovered > 1.61 { // the end of second 7 is 8 s, 1.6 s after the start at 6.4 s
			t.Errorf("recovered %.2f s after the start, want 1.6", res.Recovered)
		}
	})
}

func TestCheckLoad(t *testing.T) {
	if bad := checkLoad(series(ok(10), sec{map[string]int64{"200": 5, "304": 5}, nil})); len(bad) > 0 {
		t.Errorf("failures %q for 200s and 304s", bad)
	}
	rep := series(ok(10), down(5, 5))
	rep.Failures = map[string]int64{"timeout": 1}
	all := strings.Join(checkLoad(rep), "\n")
	if !strings.Contains(all, "5 answers 503") || !strings.Contains(all, "1 requests failed without an answer (timeout)") {
		t.Errorf("failures %q", all)
	}
	if bad := checkLoad(series()); len(bad) != 1 {
		t.Errorf("an empty run: failures %q", bad)
	}
}

func TestCheckGrowth(t *testing.T) {
	before := runtimeSample{Goroutines: 20, HeapAllocBytes: 40 << 20}
	for _, tt := range []struct {
		after runtimeSample
		bad   string
	}{
		{runtimeSample{Goroutines: 20, HeapAllocBytes: 40 << 20}, ""},
		{runtimeSample{Goroutines: 23, HeapAllocBytes: 45 << 20}, ""}, // within 3 and 10% + 2 MiB
		{runtimeSample{Goroutines: 24, HeapAllocBytes: 40 << 20}, "goroutines grew from 20 to 24"},
		{runtimeSample{Goroutines: 20, HeapAllocBytes: 47 << 20}, "live heap grew from 40.0 MiB to 47.0 MiB"},
	} {
		bad := strings.Join(checkGrowth(before, tt.after), "\n")
		if (tt.bad == "") != (bad == "") || !strings.Contains(bad, tt.bad) {
			t.Errorf("after %+v: failures %q, want %q", tt.after, bad, tt.bad)
		}
	}
}
