package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestAnalyticsCases: hot cases ask one URL, cold ones distinct dates of
// change (never the timeline's end, when nothing is valid) one request at a
// time on the cache-off server, and none has a reference.
func TestAnalyticsCases(t *testing.T) {
	dates := []string{"2025-10-01", "2025-10-18", "2025-11-03", "2025-11-20", "2025-12-05", "2025-12-15",
		"2026-01-06", "2026-01-16", "2026-01-28", "2026-02-19", "2026-02-25", "2026-03-01"}
	cs := analyticsCases(dates, "2026-03-01", 4)
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
		if c.Live.Server != "" || c.NoRef == "" || hasRef(c.ID) {
			t.Errorf("%s has a reference: %+v", c.ID, c.Live)
		}
		if !c.Slow {
			t.Errorf("%s is not marked slow", c.ID)
		}
		if c.Timed != c.NoCache || c.Timed != c.cold() {
			t.Errorf("%s: timed %v, cache off %v, cold %v", c.ID, c.Timed, c.NoCache, c.cold())
		}
	}
	if !slices.Equal(ids, []string{"h-area", "h-change", "h-area-cold", "h-change-cold", "h-change-cold-far", "h-area-series"}) {
		t.Fatalf("cases %v", ids)
	}
	if cs[0].Path != "/analytics/area?collection=areas&datetime=2026-01-15" {
		t.Errorf("h-area asks %s", cs[0].Path)
	}
	if cs[1].Path != "/analytics/change?collection=areas&from=2026-01-06&to=2026-01-15" {
		t.Errorf("h-change asks %s", cs[1].Path)
	}
	if cs[5].Paths[0] != "/analytics/area?collection=areas" || len(cs[5].Paths) != 1 {
		t.Errorf("h-area-series asks %v", cs[5].Paths)
	}
	area, change, far := cs[2], cs[3], cs[4]
	if area.LatencyTarget != 2*time.Second || change.LatencyTarget != 0 || far.LatencyTarget != 0 {
		t.Errorf("targets: area %v, change %v, far %v", area.LatencyTarget, change.LatencyTarget, far.LatencyTarget)
	}
	// Consecutive dates of change for h-change-cold, two apart (a quarter
	// of the eleven before the end, rounded down) for h-change-cold-far.
	for c, gap := range map[*benchCase]int{&change: 1, &far: 2} {
		for _, p := range c.Paths {
			u, _ := url.Parse(p)
			i, j := slices.Index(dates, u.Query().Get("from")), slices.Index(dates, u.Query().Get("to"))
			if i < 0 || j-i != gap {
				t.Errorf("%s asks %s: not dates of change %d apart", c.ID, p, gap)
			}
		}
	}
	seen := map[string]bool{cs[0].Path: true, cs[1].Path: true}
	for _, c := range []benchCase{area, change, far} {
		if len(c.Paths) != 4 {
			t.Errorf("%s: %d requests, want 4", c.ID, len(c.Paths))
		}
		for _, p := range c.Paths {
			if seen[p] {
				t.Errorf("%s asked twice", p)
			}
			seen[p] = true
			u, err := url.Parse(p)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			for _, k := range []string{"datetime", "from", "to"} {
				if q.Has(k) && (!slices.Contains(dates, q.Get(k)) || q.Get(k) == "2026-03-01") {
					t.Errorf("%s: %s=%s is not a date of change before the end", c.ID, k, q.Get(k))
				}
			}
			if q.Has("from") && q.Get("from") >= q.Get("to") {
				t.Errorf("%s: from %s is not before to %s", c.ID, q.Get("from"), q.Get("to"))
			}
		}
	}
	// Few dates: fewer requests, still distinct and valid.
	few := analyticsCases([]string{"2025-10-01", "2025-11-01"}, "", 8)
	if len(few[2].Paths) != 2 || len(few[3].Paths) != 1 || few[3].Paths[0] != changePath("2025-10-01", "2025-11-01") {
		t.Errorf("with two dates: %v, %v", few[2].Paths, few[3].Paths)
	}
	if none := analyticsCases(nil, "", 0); len(none[2].Paths) != 1 || !strings.Contains(none[2].Paths[0], benchDate) {
		t.Errorf("without dates: %v", none[2].Paths)
	}
	var inAll []string
	for _, c := range cases(discovery{pointID: "p", polygonID: "q", dates: dates, end: "2026-03-01"}) {
		if isAnalytics(caseResult{ID: c.ID}) {
			inAll = append(inAll, c.ID)
		}
	}
	if !slices.Equal(inAll, ids) {
		t.Errorf("the analytics cases of cases(): %v", inAll)
	}
}

// TestRunTimed: every request is timed and its outcome kept, a failure does
// not stop the case, and none is sent once the budget has passed.
func TestRunTimed(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("datetime") {
		case "busy":
			w.Header().Set("Retry-After", "1")
			http.Error(w, "busy", http.StatusServiceUnavailable)
		case "slow":
			time.Sleep(300 * time.Millisecond)
			w.Write([]byte("{}"))
		default:
			n.Add(1)
			w.Header().Set("X-Cache", "miss")
			w.Write([]byte(`{"type":"FeatureCollection","features":[{},{}]}`))
		}
	}))
	defer srv.Close()
	var logged []string
	logf := func(format string, args ...any) { logged = append(logged, format) }
	c := benchCase{ID: "h-area-cold", Paths: []string{"/a?datetime=1", "/a?datetime=busy", "/a?datetime=slow", "/a?datetime=2"},
		LatencyTarget: 200 * time.Millisecond, NoRef: noAnalyticsRef}
	r, err := runTimed(context.Background(), srv.URL, c, time.Minute, 10*time.Second, logf)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Timed) != 4 || !r.Sequential || r.Distinct != 4 || r.Features != 2 || r.LatencyTarget != 200 || r.RefNone == "" || len(logged) != 4 {
		t.Fatalf("result %+v", r)
	}
	if r.Timed[0].Status != 200 || r.Timed[0].Cache != "miss" || r.Timed[1].Status != 503 || r.Timed[1].ok() || r.Timed[2].Ms < 300 {
		t.Errorf("requests %+v", r.Timed)
	}
	s := summarize(r.Timed, r.LatencyTarget)
	if s.Asked != 4 || s.OK != 3 || s.Over != 2 || len(s.Errors) != 1 || s.Errors[0] != "503" || s.Max < 300 {
		t.Errorf("summary %+v", s)
	}

	// A budget shorter than the slow request: the requests after it are not sent.
	c.Paths = []string{"/a?datetime=slow", "/a?datetime=3", "/a?datetime=4"}
	before := n.Load()
	r, err = runTimed(context.Background(), srv.URL, c, 100*time.Millisecond, 10*time.Second, logf)
	if err != nil {
		t.Fatal(err)
	}
	if n.Load() != before || r.Timed[1].NotAsked == "" || r.Timed[2].NotAsked == "" {
		t.Errorf("sent after the budget: %+v", r.Timed)
	}
	if s := summarize(r.Timed, 0); s.Asked != 1 || len(s.NotAsked) != 2 || s.Over != 0 {
		t.Errorf("summary %+v", s)
	}

	// A request slower than the client's timeout is a failure with its time.
	c.Paths = []string{"/a?datetime=slow"}
	r, _ = runTimed(context.Background(), srv.URL, c, time.Minute, 50*time.Millisecond, logf)
	if tr := r.Timed[0]; tr.ok() || !strings.Contains(tr.Error, "no answer within 50ms") || tr.Ms < 50 {
		t.Errorf("timed out request %+v", tr)
	}
}

// TestWarm: a slow hot case is asked again when its first request gets no
// 200, and given up after warmAttempts.
func TestWarm(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 || r.URL.Path == "/never" {
			http.Error(w, "busy", http.StatusServiceUnavailable)
			return
		}
		w.Header().Set("X-Cache", "hit")
		w.Write([]byte("{}"))
	}))
	defer srv.Close()
	tries, ok := warm(context.Background(), srv.URL, "/x", time.Second)
	if !ok || len(tries) != 2 || tries[0].Status != 503 || tries[1].Cache != "hit" {
		t.Errorf("warm = %v, %+v", ok, tries)
	}
	tries, ok = warm(context.Background(), srv.URL, "/never", time.Second)
	if ok || len(tries) != warmAttempts {
		t.Errorf("warm of a failing path = %v, %+v", ok, tries)
	}
}

func TestMedian(t *testing.T) {
	if m := median([]float64{1, 2, 10}); m != 2 {
		t.Errorf("median of 3 = %v", m)
	}
	if m := median([]float64{1, 2, 4, 10}); m != 3 {
		t.Errorf("median of 4 = %v", m)
	}
}

// analyticsReport is a report with the analytics cases on both stores: the
// memory store meets the cold target, PostGIS misses it and could not warm
// h-change.
func analyticsReport() *report {
	r := sampleReport()
	ok := func(path string, ms float64) timedRequest {
		return timedRequest{Path: path, Status: 200, Ms: ms, Bytes: 2800, Cache: "miss"}
	}
	areaCold := func(ms ...float64) caseResult {
		c := caseResult{ID: "h-area-cold", Title: "title h-area-cold", Sequential: true, NoCache: true, LatencyTarget: 2000, Distinct: len(ms), RefNone: noAnalyticsRef}
		for i, m := range ms {
			c.Timed = append(c.Timed, ok(areaPath(dateN(i)), m))
		}
		return c
	}
	hot := caseResult{ID: "h-area", Title: "title h-area", Bytes: 2800, RefNone: noAnalyticsRef,
		Warmup:    []timedRequest{ok(areaPath(benchDate), 1700)},
		wrkResult: wrkResult{Requests: 1000, RPS: 45000, P50: 0.5, P99: 4}}
	series := caseResult{ID: "h-area-series", Title: "title series", Sequential: true, NoCache: true, RefNone: noAnalyticsRef,
		Timed: []timedRequest{{Path: areaPath(""), Status: 503, Ms: 6010}}}
	r.Stores[0].Cases = append(r.Stores[0].Cases, hot, areaCold(1500, 1700, 1900), series)
	pgCold := areaCold(1600, 2400)
	pgCold.Timed = append(pgCold.Timed, timedRequest{Path: areaPath("2026-02-25"), NotAsked: "the case's budget of 10s was used up"})
	change := caseResult{ID: "h-change", Title: "title h-change", Path: changePath("2025-10-01", benchDate), RefNone: noAnalyticsRef,
		Skipped: "no 200 answer to warm the cache with: 503 after 6.0 s; 503 after 6.0 s",
		Warmup:  []timedRequest{{Path: changePath("2025-10-01", benchDate), Status: 503, Ms: 6000}, {Path: changePath("2025-10-01", benchDate), Status: 503, Ms: 6000}}}
	r.Stores[1].Cases = append(r.Stores[1].Cases, pgCold, change)
	return r
}

func dateN(i int) string { return time.Date(2025, 11, 1+i, 0, 0, 0, 0, time.UTC).Format(time.DateOnly) }

func TestAnalyticsMarkdown(t *testing.T) {
	r := analyticsReport()
	md := r.markdown()
	for _, want := range []string{
		"## Territory analytics (issue 13)",
		"There is no reference: neither pg_featureserv nor pg_tileserv computes territory analytics.",
		// the targets table
		"| (h-area-cold) area for one date with the cache off, every request under 2.00 s — memory | median 1.70 s, max 1.90 s over 3 requests one at a time (3 answered 200, 0 over 2 s or failed) | met |",
		"| (h-area-cold) area for one date with the cache off, every request under 2.00 s — postgis | median 2.00 s, max 2.40 s over 2 requests one at a time (2 answered 200, 1 over 2 s or failed), 1 not asked (budget) | **not met** |",
		// b (2.0 MB) is nearer the area's 2.8 kB than… nothing: d-point (840 B) is.
		"| (h-area) cached answer at the speed of other cached answers — memory | 45000 req/s, p99 4.0 ms: 90% of (d-point), the cached answer nearest in size in this run (840 B, 50000 req/s, p99 9.0 ms; target ≥ 80%) | met |",
		"| (h-change) cached answer at the speed of other cached answers — postgis | not measured: no 200 answer to warm the cache with",
		// the cold table and every request
		"| h-area-cold | title h-area-cold | memory (cache off) | 3 of 3 | 1.70 s / 1.90 s | every request < 2.00 s: met | none | none: pg_featureserv and pg_tileserv have no territory analytics |",
		"| h-area-cold | title h-area-cold | postgis (cache off) | 2 of 3 (the rest not asked: the case's time budget was used up) | 2.00 s / 2.40 s | every request < 2.00 s: **not met** |",
		"| h-area-series | title series | memory (cache off) | 1 of 1 | 6.01 s / 6.01 s | none given (the 2 s target is the area's at one date) | **1: 503** |",
		"| h-area-cold | memory | 1 | datetime=2025-11-01 | 200 | 1.50 s | under 2.00 s | miss |",
		"| h-area-cold | postgis | 2 | datetime=2025-11-02 | 200 | 2.40 s | **over 2.00 s** | miss |",
		"| h-area-cold | postgis | 3 | datetime=2026-02-25 | not asked: the case's budget of 10s was used up | – |  |  |",
		"| h-area-series | memory | 1 | the whole series (no datetime) | **503** | 6.01 s |  |  |",
		// the hot table
		"| h-area | title h-area | memory | 2.8 kB | 200 in 1.70 s | 45000 | 0.50 | 4.0 | met: 90% of (d-point)",
		"| h-change | title h-change | postgis | | 503 in 6.00 s; then 503 in 6.00 s | not measured | | | **not met** | none: pg_featureserv",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// Timed cases are not in the wrk tables.
	for _, notWant := range []string{"| h-area-cold | title h-area-cold | 0 B |", "| (h-area-cold) title h-area-cold — memory | 0.00 req/s"} {
		if strings.Contains(md, notWant) {
			t.Errorf("the report has %q", notWant)
		}
	}
	if strings.Count(md, "(h-change) cached answer") != 1 {
		t.Errorf("the skipped hot case is in the targets table more than once")
	}
	// Without analytics cases, no section.
	if md := sampleReport().markdown(); strings.Contains(md, "Territory analytics") {
		t.Errorf("a report without analytics cases has the section")
	}
}

func TestRequestLabel(t *testing.T) {
	for path, want := range map[string]string{
		areaPath("2026-01-06"):                 "datetime=2026-01-06",
		changePath("2025-10-01", "2026-01-15"): "from=2025-10-01 to=2026-01-15",
		areaPath(""):                           "the whole series (no datetime)",
	} {
		if got := requestLabel(path); got != want {
			t.Errorf("requestLabel(%s) = %q, want %q", path, got, want)
		}
	}
}
