package main

import (
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
)

// TestRenderCases: i-render asks one picture of the default view with the
// cache on; i-render-cold distinct dates of change (never the timeline's
// end) one at a time against 300 ms, and i-render-cold-rps a long list of
// distinct pictures with 64 connections, both with the cache off and their
// own peak RSS; i-render-cold-all the dates of i-render-cold with every
// layer; none has a reference.
func TestRenderCases(t *testing.T) {
	dates := []string{"2025-10-01", "2025-10-18", "2025-11-03", "2025-11-20", "2025-12-05", "2025-12-15",
		"2026-01-06", "2026-01-16", "2026-01-28", "2026-02-19", "2026-02-25", "2026-03-01"}
	view := orb.Bound{Min: orb.Point{35.6, 32.41}, Max: orb.Point{42.4, 37.3}}
	cs := renderCases(dates, "2026-03-01", 4, view)
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
		if c.Live.Server != "" || c.NoRef == "" || hasRef(c.ID) || !isRender(caseResult{ID: c.ID}) {
			t.Errorf("%s has a reference or is not a picture case: %+v", c.ID, c.Live)
		}
		if !c.Slow {
			t.Errorf("%s is not marked slow (its failures would stop the run)", c.ID)
		}
		if c.NoCache != c.cold() {
			t.Errorf("%s: cache off %v, cold %v", c.ID, c.NoCache, c.cold())
		}
	}
	if !slices.Equal(ids, []string{"i-render", "i-render-cold", "i-render-cold-rps", "i-render-cold-all"}) {
		t.Fatalf("cases %v", ids)
	}
	hot, cold, rps, every := cs[0], cs[1], cs[2], cs[3]
	if !every.Timed || every.LatencyTarget != cold.LatencyTarget || !every.WatchRSS || len(every.Paths) != len(cold.Paths) {
		t.Errorf("i-render-cold-all: timed %v, target %v, watch %v, %d requests", every.Timed, every.LatencyTarget, every.WatchRSS, len(every.Paths))
	}
	for i, p := range every.Paths {
		if want := strings.Replace(cold.Paths[i], "&layers=areas,facilities,events", "", 1); p != want {
			t.Errorf("i-render-cold-all asks %s, want %s (every layer, the date of i-render-cold)", p, want)
		}
	}
	if hot.Path != "/render.png?date=2026-01-15&layers=areas,facilities,events" || hot.Timed || hot.WatchRSS || hot.LatencyTarget != 0 {
		t.Errorf("i-render: %+v", hot)
	}
	if !cold.Timed || cold.LatencyTarget != 300*time.Millisecond || !cold.WatchRSS || len(cold.Paths) != 4 || cold.Connections != 0 {
		t.Errorf("i-render-cold: timed %v, target %v, watch %v, %d requests, connections %d",
			cold.Timed, cold.LatencyTarget, cold.WatchRSS, len(cold.Paths), cold.Connections)
	}
	if rps.Timed || rps.Connections != 64 || rps.Duration != 30*time.Second || rps.WrkTimeout != time.Minute || !rps.WatchRSS || len(rps.Paths) != renderColdList {
		t.Errorf("i-render-cold-rps: timed %v, connections %d, duration %v, timeout %v, watch %v, %d requests",
			rps.Timed, rps.Connections, rps.Duration, rps.WrkTimeout, rps.WatchRSS, len(rps.Paths))
	}
	if l := caseLoad(load{Threads: 2, Connections: 32, Duration: 10 * time.Second}, rps); l.Connections != 64 || l.Duration != 30*time.Second {
		t.Errorf("wrk load of i-render-cold-rps: %+v", l)
	}

	// Every path: a PNG of the default size with every layer but the
	// points, at a date of change before the end; cold ones distinct.
	seen := map[string]bool{}
	datesOf := map[string]map[string]bool{}
	for _, c := range cs[:3] {
		paths := c.Paths
		if !c.cold() {
			paths = []string{c.Path}
		}
		datesOf[c.ID] = map[string]bool{}
		for _, p := range paths {
			if seen[p] {
				t.Errorf("%s: %s asked twice", c.ID, p)
			}
			seen[p] = true
			u, err := url.Parse(p)
			if err != nil {
				t.Fatal(err)
			}
			q := u.Query()
			if u.Path != "/render.png" || q.Get("layers") != "areas,facilities,events" || q.Has("width") || q.Has("height") || q.Has("scale") {
				t.Errorf("%s asks %s", c.ID, p)
			}
			d := q.Get("date")
			datesOf[c.ID][d] = true
			if c.cold() && (!slices.Contains(dates, d) || d == "2026-03-01") {
				t.Errorf("%s: date=%s is not a date of change before the end", c.ID, d)
			}
			if c.ID != "i-render-cold-rps" {
				if q.Has("bbox") {
					t.Errorf("%s asks a box: %s", c.ID, p)
				}
				continue
			}
			// The default view's box, shifted east by a hundred-thousandth
			// of a degree a request at most.
			var b []float64
			for _, f := range strings.Split(q.Get("bbox"), ",") {
				v, err := strconv.ParseFloat(f, 64)
				if err != nil {
					t.Fatalf("%s: bbox %s", p, q.Get("bbox"))
				}
				b = append(b, v)
			}
			shift := b[0] - view.Min[0]
			if len(b) != 4 || shift <= 0 || shift > renderColdList*1.0001e-5 || b[1] != view.Min[1] || b[3] != view.Max[1] || abs(b[2]-view.Max[0]-shift) > 1e-9 {
				t.Errorf("%s: bbox %v is not the view %v shifted east", p, b, view)
			}
		}
	}
	if len(datesOf["i-render-cold"]) != 4 || len(datesOf["i-render-cold-rps"]) != 11 {
		t.Errorf("dates asked: cold %v, rps %d distinct", datesOf["i-render-cold"], len(datesOf["i-render-cold-rps"]))
	}

	// Few dates or none, no view: still distinct, a valid date, the
	// region of the dataset.
	few := renderCases([]string{"2025-10-01", "2025-11-01"}, "", 8, orb.Bound{})
	if len(few[1].Paths) != 2 || !strings.Contains(few[2].Paths[0], "&bbox=35.50001,32.3,42.50001,37.4") {
		t.Errorf("with two dates and no view: %v, %s", few[1].Paths, few[2].Paths[0])
	}
	if none := renderCases(nil, "", 0, view); len(none[1].Paths) != 1 || !strings.Contains(none[1].Paths[0], benchDate) {
		t.Errorf("without dates: %v", none[1].Paths)
	}

	// In the default list, after the analytics, and what -cases "^i-" picks.
	all := cases(discovery{pointID: "p", polygonID: "q", dates: dates, end: "2026-03-01", renderView: view, tilesReady: true})
	var inAll []string
	for _, c := range all {
		if isRender(caseResult{ID: c.ID}) {
			inAll = append(inAll, c.ID)
		}
	}
	if !slices.Equal(inAll, ids) {
		t.Errorf("the picture cases of cases(): %v", inAll)
	}
	var picked []string
	for _, c := range selectCases(all, regexp.MustCompile("^i-")) {
		picked = append(picked, c.ID)
	}
	if !slices.Equal(picked, ids) {
		t.Errorf(`-cases "^i-" picks %v`, picked)
	}
	// The default render count.
	if d := renderCases(dates, "2026-03-01", 0, view); len(d[1].Paths) != defaultRenderN {
		t.Errorf("default: %d cold renders, want %d", len(d[1].Paths), defaultRenderN)
	}
}

func abs(x float64) float64 { return max(x, -x) }

func TestRenderFlags(t *testing.T) {
	for _, tt := range []struct {
		args []string
		ok   bool
	}{
		{[]string{"-render-n", "3"}, true},
		{[]string{"-render-n", "0"}, false},
		{[]string{"-render-n", "31"}, false},
	} {
		o, err := parseFlags(tt.args, &strings.Builder{})
		if (err == nil) != tt.ok {
			t.Errorf("parseFlags(%q) = %v", tt.args, err)
		}
		if err == nil && o.renderN != 3 {
			t.Errorf("parseFlags(%q): render-n %d", tt.args, o.renderN)
		}
	}
	if o, _ := parseFlags(nil, &strings.Builder{}); o.renderN != defaultRenderN {
		t.Errorf("default -render-n %d", o.renderN)
	}
}

// renderReport is a report with the picture cases on both stores: the
// memory store meets the cold target, PostGIS misses it, and its
// concurrent case had timeouts.
func renderReport() *report {
	r := sampleReport()
	ok := func(date string, ms float64) timedRequest {
		return timedRequest{Path: renderPath(date, ""), Status: 200, Ms: ms, Bytes: 800_000, Cache: "miss"}
	}
	cold := func(ms ...float64) caseResult {
		c := caseResult{ID: "i-render-cold", Title: "title i-render-cold", Sequential: true, NoCache: true, LatencyTarget: 300, Distinct: len(ms),
			RefNone: noRenderRef, RSSBefore: 300 << 20, PeakRSS: 420 << 20, PeakRSSFrom: "VmHWM, reset when the case began"}
		for i, m := range ms {
			c.Timed = append(c.Timed, ok(dateN(i), m))
		}
		return c
	}
	hot := caseResult{ID: "i-render", Title: "title i-render", Bytes: 800_000, RefNone: noRenderRef,
		Warmup:    []timedRequest{ok(benchDate, 250)},
		wrkResult: wrkResult{Requests: 10000, RPS: 1700, P50: 15, P99: 40}}
	many := func(requests, non2xx, timeouts int64, rss, peak int64) caseResult {
		return caseResult{ID: "i-render-cold-rps", Title: "title i-render-cold-rps", Bytes: 800_000, NoCache: true, Distinct: renderColdList,
			Connections: 64, RefNone: noRenderRef, RSSBefore: rss << 20, PeakRSS: peak << 20, PeakRSSFrom: "VmHWM, reset when the case began",
			wrkResult: wrkResult{Requests: requests, RPS: float64(requests) / 30, Seconds: 30, P50: 9000, P99: 20000, Non2xx: non2xx, Timeouts: timeouts, SocketErrs: timeouts}}
	}
	r.Stores[0].RenderAll = "400 in 0.07 s: the picture would draw more than 5000 features"
	r.Stores[0].Cases = append(r.Stores[0].Cases, hot, cold(200, 250, 290), many(180, 0, 0, 310, 700))
	pg := cold(280, 900)
	pg.Timed = append(pg.Timed, timedRequest{Path: renderPath("2026-02-25", ""), NotAsked: "the case's budget of 2m0s was used up"})
	r.Stores[1].Cases = append(r.Stores[1].Cases, pg, many(30, 3, 12, 200, 1500))
	return r
}

func TestRenderMarkdown(t *testing.T) {
	md := renderReport().markdown()
	for _, want := range []string{
		"## Pictures (issue 14)",
		"There is no reference: neither pg_featureserv nor pg_tileserv draws pictures.",
		"`layers=areas,facilities,events`",
		"The default picture with every layer, `/render.png?date=2026-01-15`, asked once of each store:\n\n- memory: 400 in 0.07 s: the picture would draw more than 5000 features",
		// the targets table
		"| (i-render-cold) a cold render (the default view without the points, cache off) in under 0.30 s — memory | median 0.25 s, max 0.29 s over 3 renders one at a time (3 answered 200, 0 over 0.30 s or failed) | met |",
		"| (i-render-cold) a cold render (the default view without the points, cache off) in under 0.30 s — postgis | median 0.59 s, max 0.90 s over 2 renders one at a time (2 answered 200, 1 over 0.30 s or failed), 1 not asked (budget) | **not met** |",
		// the PNG (800 kB) is nearest b (2.0 MB) in size: 1700 of 1800 req/s.
		"| (i-render) a cached picture at the speed of other cached answers — memory | 1700 req/s, p99 40.0 ms: 94% of (b), the cached answer nearest in size in this run (2.0 MB, 1800 req/s, p99 9.0 ms; target ≥ 80%) | met |",
		"| (i-render-cold-rps) memory bounded under 64 concurrent cold renders — memory | peak RSS 700 MiB during the case (310 MiB when it began: +390 MiB); one render at a time (i-render-cold): peak 420 MiB (+120 MiB); 180 renders answered 200, 6.00 renders/s | reported (the issue gives no figure) |",
		"| (i-render-cold-rps) memory bounded under 64 concurrent cold renders — postgis | peak RSS 1500 MiB during the case (200 MiB when it began: +1300 MiB); one render at a time (i-render-cold): peak 420 MiB (+120 MiB); 27 renders answered 200, 0.90 renders/s |",
		// the cold table and every render
		"| i-render-cold | title i-render-cold | memory (cache off) | 3 of 3 | 0.25 s / 0.29 s | every render < 0.30 s: met | none | 420 MiB (300 MiB before) | none: pg_featureserv and pg_tileserv draw no pictures |",
		"| i-render-cold | title i-render-cold | postgis (cache off) | 2 of 3 (the rest not asked: the case's time budget was used up) | 0.59 s / 0.90 s | every render < 0.30 s: **not met** |",
		"| i-render-cold | memory | 1 | date=2025-11-01 | 200 | 0.20 s | 800.0 kB | under 0.30 s |",
		"| i-render-cold | postgis | 2 | date=2025-11-02 | 200 | 0.90 s | 800.0 kB | **over 0.30 s** |",
		"| i-render-cold | postgis | 3 | date=2026-02-25 | not asked: the case's budget of 2m0s was used up | – | 0 B |  |",
		// many at once
		"`i-render-cold-rps` runs wrk with 64 connections for 30s",
		"| i-render-cold-rps | title i-render-cold-rps | memory (cache off) | 64 | 30 s | 180 | 6.00 | 9000 | 20000 | 700 MiB (310 MiB before, +390 MiB) | none: pg_featureserv",
		"| i-render-cold-rps | title i-render-cold-rps | postgis (cache off) | 64 | 30 s | 27 (**3 not 2xx, 12 wrk timeouts**) | 0.90 |",
		// hot
		"| i-render | title i-render | memory | 800.0 kB | 200 in 0.25 s | 1700 | 15.0 | 40.0 | met: 94% of (b)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("the report lacks %q", want)
		}
	}
	// Picture cases are neither compared with other cached answers nor in
	// the issue 6 targets rows, and the timed one is not in the wrk tables.
	for _, notWant := range []string{"| (i-render) title i-render — memory", "| (i-render-cold-rps) title", "| i-render-cold | title i-render-cold | 0 B |", "of (i-render)"} {
		if strings.Contains(md, notWant) {
			t.Errorf("the report has %q", notWant)
		}
	}
	if md := sampleReport().markdown(); strings.Contains(md, "Pictures (issue 14)") {
		t.Errorf("a report without picture cases has the section")
	}
}

func TestRenderLabel(t *testing.T) {
	if got := renderLabel(renderPath("2026-01-06", "")); got != "date=2026-01-06" {
		t.Errorf("renderLabel = %q", got)
	}
	if got := renderLabel(renderPath("2026-01-06", "35.50001,32.3,42.50001,37.4")); got != "date=2026-01-06 bbox=35.50001,32.3,42.50001,37.4" {
		t.Errorf("renderLabel with a box = %q", got)
	}
}
