package main

import (
	"strings"
	"testing"
)

func sampleReport() *report {
	cm := func(id string, rps float64, bytes int) caseResult {
		return caseResult{ID: id, Title: "title " + id, Bytes: bytes, wrkResult: wrkResult{Requests: 100, RPS: rps, P50: 1, P99: 9, BytesRead: int64(100 * (bytes + 500))}}
	}
	b := cm("b", 1800, 2_000_000)
	b.Features = 86
	cold := cm("d-cold", 3000, 840)
	cold.Distinct = 99999
	nc := cm("d-cold-nocache", 6000, 840)
	nc.Distinct, nc.NoCache, nc.RefID = 99999, true, "d-cold"
	return &report{
		Date: "2026-12-03T10:00:00Z", Commit: "abc1234", Load: load{Connections: 32, Threads: 2},
		Stores: []storeResult{
			{Name: "memory", Cases: []caseResult{b, cm("d-point", 50000, 840), cold, nc}},
			{Name: "postgis", Cases: []caseResult{cm("b", 1700, 2_000_000)}},
		},
	}
}

func TestReferenceMarkdownNotRun(t *testing.T) {
	r := sampleReport()
	r.Reference = &refResult{Servers: map[string]string{featureserv: "not run: PG_FEATURESERV_BIN not set", tileserv: "not run: PG_TILESERV_BIN not set"},
		Cases: []caseResult{{ID: "b", Skipped: "not run: PG_FEATURESERV_BIN not set"}, {ID: "d-point", Skipped: "not run: PG_FEATURESERV_BIN not set"}}}
	md := referenceMarkdown(r)
	wantAll(t, md,
		"- pg_featureserv: not run: PG_FEATURESERV_BIN not set",
		"| b | hot | title b | memory | 1800 | 1.0 | 9.0 | 2.0 MB | not run: PG_FEATURESERV_BIN not set |  |  |  | 86 / 0 | – |",
		"| b | hot | title b | postgis | 1700 |",
		"| d-cold | cold |",
		"| d-cold-nocache | cold | title d-cold-nocache | memory (cache off) |",
	)
	if strings.Contains(md, "carries") || strings.Contains(md, "restarted") {
		t.Errorf("a run without the reference has a bytes or restart line:\n%s", md)
	}
	// Results of a run before the reference existed: every row says "not run".
	r.Reference = nil
	if md := referenceMarkdown(r); !strings.Contains(md, "| not run |  |  |  |") {
		t.Errorf("old results:\n%s", md)
	}
}

func TestReferenceMarkdown(t *testing.T) {
	r := sampleReport()
	ref := func(id string, rps float64, bytes int) caseResult {
		return caseResult{ID: id, Bytes: bytes, wrkResult: wrkResult{Requests: 10, RPS: rps, P50: 100, P99: 900, BytesRead: int64(10 * (bytes + 100))}}
	}
	rb := ref("b", 20, 1_600_000)
	rb.Features = 86
	rd := ref("d-point", 10000, 420)
	rd.Timeouts = 3
	r.Reference = &refResult{Servers: map[string]string{featureserv: "github.com/CrunchyData/pg_featureserv at 0123456789ab, go1.26.8", tileserv: "not run: PG_TILESERV_BIN not set"},
		Pool: 40, Seconds: 4, Cases: []caseResult{rb, rd, ref("d-cold", 3000, 420)},
		Restarts: []string{"pg_featureserv restarted after case d-point: 3 timeouts"}}
	md := referenceMarkdown(r)
	wantAll(t, md,
		"Measured at commit abc1234 on 2026-12-03",
		"a database pool of 40 connections, more than wrk's 32",
		// 1800 / 20 and 1700 / 20; bytes per answer with headers.
		"| b | hot | title b | memory | 1800 | 1.0 | 9.0 | 2.0 MB | 20.0 | 100 | 900 | 1.6 MB | 86 / 86 | 90× |",
		"| b | hot | title b | postgis | 1700 | 1.0 | 9.0 | 2.0 MB | 20.0 | 100 | 900 | 1.6 MB | 0 / 86 | 85× |",
		"| 10000 (3 timeouts, 0 non-2xx) |",
		"| d-cold | cold | title d-cold | memory | 3000 | 1.0 | 9.0 | 1.3 kB | 3000 | 100 | 900 | 520 B |  | 1.0× |",
		// The cache-off case is compared with the same reference run.
		"| d-cold-nocache | cold | title d-cold-nocache | memory (cache off) | 6000 | 1.0 | 9.0 | 1.3 kB | 3000 | 100 | 900 | 520 B |  | 2.0× |",
		"- pg_featureserv restarted after case d-point: 3 timeouts",
		// Bodies of the hot cases: 2,000,840 against 1,600,420 bytes.
		"The default controlmap answer carries 25% more bytes than the reference's",
		"b 2.0 MB against 1.6 MB (+25%); d-point 840 B against 420 B (+100%).",
		// With headers: 2,000,500 + 1,340 against 1,600,100 + 520.
		"With the headers, one answer of each: 2.0 MB against 1.6 MB (25% more).",
		"| 86 / 86 | 90× | 100× |",
		// The cold cases against the reference's same run: 3000 against
		// 3000 req/s and 9 against 900 ms; 6000 against 3000.
		"(0 of 2 met)",
		"- d-cold, memory: req/s 1.0×, p99 100× (9.0 against 900 ms): **req/s not met**\n",
		"- d-cold-nocache, memory (cache off): req/s 2.0×, p99 100× (9.0 against 900 ms): **req/s not met**\n",
	)
	if strings.Contains(md, "- b, memory") || strings.Contains(md, "- d-point, memory") {
		t.Errorf("a hot case is among the cold targets:\n%s", md)
	}
	r.Stores[0].Cases[2].RPS = 15000 // d-cold: 5.0× and 100×
	if md := referenceMarkdown(r); !strings.Contains(md, "(1 of 2 met)") || !strings.Contains(md, "- d-cold, memory: req/s 5.0×, p99 100× (9.0 against 900 ms): met\n") {
		t.Errorf("d-cold at 5× is not counted met:\n%s", md)
	}
	r.Stores[0].Cases[2].RPS = 3000
	for _, tc := range []struct {
		rps, p99 float64
		want     string
	}{
		{15000, 1.8, ": met"}, {15000, 9, ": **p99 not met**"}, {3000, 1.8, ": **req/s not met**"}, {3000, 9, ": **neither met**"},
		{14990, 1.8, "req/s 4.9×, p99 5.0× (1.8 against 9.0 ms): **req/s not met**"},
		{15000, 0, "req/s 5.0×, p99 not measured: **p99 not met**"},
	} {
		c := caseResult{ID: "x", wrkResult: wrkResult{RPS: tc.rps, P99: tc.p99}}
		ref := caseResult{wrkResult: wrkResult{RPS: 3000, P99: 9}}
		if got, met := ratiosOf(c, ref).target(c, ref, "memory"); !strings.HasSuffix(got, tc.want+"\n") || met != (tc.want == ": met") {
			t.Errorf("target(%v req/s, p99 %v) = %q, want …%q", tc.rps, tc.p99, got, tc.want)
		}
	}
	timedOut := caseResult{wrkResult: wrkResult{RPS: 3000, P99: 9, Timeouts: 2}}
	fast := caseResult{ID: "x", wrkResult: wrkResult{RPS: 15000, P99: 1}}
	if got, _ := ratiosOf(fast, timedOut).target(fast, timedOut, "memory"); !strings.HasSuffix(got, ": met (the reference had 2 timeouts and 0 non-2xx answers)\n") {
		t.Errorf("a reference with timeouts: %q", got)
	}
	if got := times(60.9 / 2819); got != "0.02×" {
		t.Errorf("times = %s, want 0.02×", got)
	}
	r.Reference.Restarts = nil
	if md := referenceMarkdown(r); !strings.Contains(md, "No reference server had to be restarted") {
		t.Errorf("no restart line:\n%s", md)
	}
}

// TestReferenceMarkdownCeiling: a cold case by id short of its target says
// what in the same run bounds it below that target: nginx serving the same
// bytes, the same store's cached point; a bound at or above the target, a
// bound the case itself exceeded, a bound not measured, a target met, or a
// case not by id (such as a PostGIS tile) says nothing.
func TestReferenceMarkdownCeiling(t *testing.T) {
	r := sampleReport()
	refCold := caseResult{ID: "d-cold", wrkResult: wrkResult{Requests: 10, RPS: 18000, P99: 9}}
	refTile := caseResult{ID: "e-points-z13-cold", wrkResult: wrkResult{Requests: 10, RPS: 2000, P99: 90}}
	r.Reference = &refResult{Servers: map[string]string{featureserv: "pg_featureserv", tileserv: "pg_tileserv"}, Cases: []caseResult{refCold, refTile}}
	const nginx = "more than nginx served of the same bytes as a static file in this run: 60000 req/s, f-d-point"
	const cached = "more than this store answered one cached point, the HTTP path alone, in this run: 50000 req/s, d-point"
	tile := caseResult{ID: "e-points-z13-cold", Distinct: 4000, wrkResult: wrkResult{Requests: 100, RPS: 6000, P99: 9}}
	r.Stores[1].Cases = append(r.Stores[1].Cases, tile,
		caseResult{ID: "d-cold-nocache", RefID: "d-cold", NoCache: true, wrkResult: wrkResult{Requests: 100, RPS: 5000, P99: 9}})
	// No nginx case in the run: the cached point alone bounds the ids.
	md := referenceMarkdown(r)
	if strings.Contains(md, "more than nginx served") {
		t.Errorf("a run without nginx's f-d-point names it:\n%s", md)
	}
	wantAll(t, md,
		"- d-cold, memory: req/s 0.17×, p99 1.0× (9.0 against 9.0 ms): **neither met** (5× the reference is 90000 req/s, "+cached+")\n",
		// Not by id: no bound, though PostGIS answered fewer ids than tiles.
		"- e-points-z13-cold, postgis: req/s 3.0×, p99 10× (9.0 against 90.0 ms): **req/s not met**\n",
		// PostGIS's own ids are bounded by its cached point, which this
		// sample store did not measure: nothing said.
		"- d-cold-nocache, postgis (cache off): req/s 0.28×, p99 1.0× (9.0 against 9.0 ms): **neither met**\n",
	)
	r.Nginx = []caseResult{{ID: "f-a", wrkResult: wrkResult{RPS: 1000}}, {ID: "f-d-point", wrkResult: wrkResult{RPS: 60000}}}
	both := " (5× the reference is 90000 req/s, " + nginx + "; " + cached + ")\n"
	wantAll(t, referenceMarkdown(r),
		"- d-cold, memory: req/s 0.17×, p99 1.0× (9.0 against 9.0 ms): **neither met**"+both,
		// The cache-off case is held to the same reference, and so to the same bounds.
		"- d-cold-nocache, memory (cache off): req/s 0.33×, p99 1.0× (9.0 against 9.0 ms): **neither met**"+both,
	)
	// Met in requests/s (here by a made-up figure above the bounds): no note.
	r.Stores[0].Cases[2].RPS = 95000
	wantAll(t, referenceMarkdown(r), "- d-cold, memory: req/s 5.3×, p99 1.0× (9.0 against 9.0 ms): **p99 not met**\n")
	// Short of the target but above a bound (noise, or a bound that is
	// none): that bound is not said, the other is.
	r.Stores[0].Cases[2].RPS = 55000
	wantAll(t, referenceMarkdown(r), "- d-cold, memory: req/s 3.1×, p99 1.0× (9.0 against 9.0 ms): **neither met** (5× the reference is 90000 req/s, "+nginx+")\n")
	r.Stores[0].Cases[2].RPS = 3000
	// Bounds that reach the target are not called bounds.
	r.Nginx[1].RPS = 90000
	r.Stores[0].Cases[1].RPS = 90000
	md = referenceMarkdown(r)
	if strings.Contains(md, "more than nginx served") || strings.Contains(md, "more than this store") {
		t.Errorf("a target reached in the run is called out of reach:\n%s", md)
	}
}

func TestMarkdownHasReferenceSection(t *testing.T) {
	r := sampleReport()
	md := r.markdown()
	if !strings.Contains(md, "## Against the reference servers, same run") || !strings.Contains(md, "PG_FEATURESERV_BIN=") {
		t.Errorf("the report lacks the reference section or how to run it")
	}
}

func TestCheckedCell(t *testing.T) {
	for _, tc := range []struct {
		cm, ref []int
		ran     bool
		want    string
	}{
		{nil, nil, true, ""},
		{[]int{330, 412}, []int{330, 412}, true, "2 of 2 checked requests equal (330–412)"},
		{[]int{330, 412}, []int{330, 411}, true, "**1 of 2 checked requests differ: 412 / 411**"},
		{[]int{330, -1}, []int{330, -1}, true, "**1 of 2 checked requests differ: -1 / -1**"},
		{[]int{330}, []int{330, 1}, true, "**1 checked requests against 2: not comparable**"},
		{[]int{330}, nil, false, "1 requests checked, no reference answer to compare"},
	} {
		if got := checkedCell(tc.cm, tc.ref, tc.ran); got != tc.want {
			t.Errorf("checkedCell(%v, %v) = %q, want %q", tc.cm, tc.ref, got, tc.want)
		}
	}
	r := sampleReport()
	g := caseResult{ID: "g-cql2-cold", Title: "cql", Bytes: 1000, Features: 330, Distinct: 60000, Checked: []int{330, 301},
		wrkResult: wrkResult{Requests: 100, RPS: 900, P50: 1, P99: 9, BytesRead: 150000}}
	r.Stores[0].Cases = append(r.Stores[0].Cases, g)
	rg := g
	rg.RPS, rg.Path = 100, "/collections/bench_ref.points/items.json?filter=INTERSECTS(geom, ENVELOPE(39.00001,35,39.50001,35.5)) …"
	r.Reference = &refResult{Servers: map[string]string{featureserv: "pg_featureserv"}, Cases: []caseResult{rg}}
	md := referenceMarkdown(r)
	wantAll(t, md,
		"| g-cql2-cold | cold | cql | memory | 900 | 1.0 | 9.0 | 1.5 kB | 100 | 1.0 | 9.0 | 1.5 kB | 330 / 330; 2 of 2 checked requests equal (301–330) | 9.0× | 1.0× |",
		"- g-cql2-cold, memory: req/s 9.0×, p99 1.0× (9.0 against 9.0 ms): **p99 not met**",
		"- g-cql2-cold: `/collections/bench_ref.points/items.json?filter=INTERSECTS(geom, ENVELOPE(",
	)
}

// wantAll fails t for each of wants that the section md lacks.
func wantAll(t *testing.T, md string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(md, want) {
			t.Errorf("the section lacks %q:\n%s", want, md)
		}
	}
}

// TestReferenceMarkdownInterleaved: in an interleaved run each store's case
// is compared with the reference measurement that ran right after it, not
// with another store's, and the cache-off case with its own.
func TestReferenceMarkdownInterleaved(t *testing.T) {
	r := sampleReport()
	ref := func(id string, rps float64) caseResult {
		return caseResult{ID: id, Path: "/ref/" + id, Bytes: 420, wrkResult: wrkResult{Requests: 10, RPS: rps, P50: 100, P99: 900, BytesRead: 5200}}
	}
	r.Reference = &refResult{Servers: map[string]string{featureserv: "pg_featureserv"}, Pool: 40, Interleaved: true}
	r.Stores[0].Reference = []caseResult{ref("b", 20), ref("d-point", 10000), ref("d-cold", 3000), ref("d-cold-nocache", 1200)}
	r.Stores[1].Reference = []caseResult{ref("b", 34)}
	md := referenceMarkdown(r)
	wantAll(t, md,
		"interleaved: each case's reference measurement runs right after controlmap's, once for each store",
		"| b | hot | title b | memory | 1800 | 1.0 | 9.0 | 2.0 MB | 20.0 |",
		"| 90× |",
		// postgis against its own pair (34 req/s), not memory's (20).
		"| b | hot | title b | postgis | 1700 | 1.0 | 9.0 | 2.0 MB | 34.0 |",
		"| 34.0 | 100 | 900 | 520 B |  | 50× |",
		"`-nocache` is controlmap started again with `--cache-bytes 0`, compared with the reference measured right after it.",
		// 6000 against the 1200 measured right after the cache-off run.
		"- d-cold-nocache, memory (cache off): req/s 5.0×, p99 100× (9.0 against 900 ms): met\n",
		"- d-cold, memory: req/s 1.0×",
		"- b: `/ref/b`\n",
	)
	if strings.Count(md, "- b: `/ref/b`") != 1 {
		t.Errorf("a path asked of the reference is listed twice:\n%s", md)
	}
	if strings.Contains(md, "one server at a time") {
		t.Errorf("an interleaved run is described as one server at a time:\n%s", md)
	}
	// A store without its own measurement of a case falls back to the run's.
	r.Stores[1].Reference = nil
	r.Reference.Cases = []caseResult{ref("b", 85)}
	if md := referenceMarkdown(r); !strings.Contains(md, "| b | hot | title b | postgis | 1700 | 1.0 | 9.0 | 2.0 MB | 85.0 |") {
		t.Errorf("no fallback to the run's reference measurement:\n%s", md)
	}
}
