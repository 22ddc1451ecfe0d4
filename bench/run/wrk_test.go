package main

import (
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

const wrkOutput = `Running 10s test @ http://127.0.0.1:8080/collections/facilities/items?datetime=2026-01-15
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   641.99us    2.47ms  24.81ms   95.12%
    Req/Sec    31.78k     8.06k   51.29k    81.82%
  Latency Distribution
     50%  643.00us
     75%   79.00us
     90%    1.08ms
     99%    1.20s
  347650 requests in 10.10s, 8.92GB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  34423.75
Transfer/sec:      8.11MB
`

func TestParseWrk(t *testing.T) {
	r, err := parseWrk(wrkOutput)
	if err != nil {
		t.Fatal(err)
	}
	want := wrkResult{Requests: 347650, RPS: 34423.75, P50: 0.643, P99: 1200, Non2xx: 4, SocketErrs: 3, Timeouts: 1,
		BytesRead: 9577777070 /* 8.92 GiB */, Seconds: 10.10}
	if r != want {
		t.Errorf("parseWrk = %+v, want %+v", r, want)
	}
	// A list case that stopped early: requests/s over the script's own time.
	r, err = parseWrk(wrkOutput + "elapsed_us 2000000\n")
	if err != nil {
		t.Fatal(err)
	}
	if r.Seconds != 2 || r.RPS != 347650.0/2 {
		t.Errorf("with elapsed_us: %v s, %v req/s; want 2 s, %v", r.Seconds, r.RPS, 347650.0/2)
	}
	for _, tt := range []struct {
		took string
		want float64
	}{{"1.00m", 60}, {"500.00ms", 0.5}, {"9.98s", 9.98}} {
		r, _ := parseWrk(strings.Replace(wrkOutput, "10.10s", tt.took, 1))
		if r.Seconds != tt.want || r.RPS != 34423.75 {
			t.Errorf("requests in %s: %v s, %v req/s; want %v s and wrk's req/s", tt.took, r.Seconds, r.RPS, tt.want)
		}
	}
	for _, tt := range []struct {
		read string
		want int64
	}{{"512B", 512}, {"1.50KB", 1536}, {"2.00MB", 2 << 20}} {
		r, _ := parseWrk(strings.Replace(wrkOutput, "8.92GB", tt.read, 1))
		if r.BytesRead != tt.want {
			t.Errorf("%s read: %d bytes, want %d", tt.read, r.BytesRead, tt.want)
		}
	}
	if _, err := parseWrk("wrk: connection refused"); err == nil {
		t.Error("output without Requests/sec parsed")
	}
}

func TestLuaScript(t *testing.T) {
	s := luaScript([]string{"/a?x=1", `/b"c`}, 2)
	for _, want := range []string{`"/a?x=1",`, `"/b\"c",`, "local nthreads = 2", "function request()",
		"wrk.thread:stop()", `wrk.format("GET", "/healthz")`, "elapsed_us", "clock_gettime"} {
		if !strings.Contains(s, want) {
			t.Errorf("script lacks %s:\n%s", want, s)
		}
	}
	// With a response function wrk would copy every answer into Lua, and
	// measure itself on large answers.
	if strings.Contains(s, "function response") || strings.Contains(s, "response =") {
		t.Errorf("the script reads the answers:\n%s", s)
	}
}

func TestAnswerLookups(t *testing.T) {
	text := `# HELP controlmap_cache_requests_total Cache lookups by cache and result.
# TYPE controlmap_cache_requests_total counter
controlmap_cache_requests_total{cache="answers",result="hit"} 12
controlmap_cache_requests_total{cache="answers",result="miss"} 1573
controlmap_cache_requests_total{cache="etag",result="hit"} 7
controlmap_cache_requests_total{cache="etag",result="miss"} 1e+06
controlmap_http_requests_in_flight 3
`
	parse := func(text string) answerLookups {
		return answerLookupsOf(parseMetrics(strings.NewReader(text), answerSeries))
	}
	if got, want := parse(text), (answerLookups{hits: 12, misses: 1573, ok: true, inFlight: 3}); got != want {
		t.Errorf("answer lookups = %+v, want %+v", got, want)
	}
	for _, text := range []string{"", "404 page not found", strings.ReplaceAll(text, `cache="answers",result="miss"`, `cache="x",result="miss"`)} {
		if got := parse(text); got.ok {
			t.Errorf("answer lookups of %.40q = %+v, want not ok", text, got)
		}
	}
}

func TestShifted(t *testing.T) {
	tests := []struct {
		shift float64
		want  string
	}{
		{0, "39,35,39.5,35.5"},
		{1e-5, "39.00001,35,39.50001,35.5"},
		{0.12345, "39.12345,35,39.62345,35.5"},
	}
	for _, tt := range tests {
		if got := shifted(39, 35, 39.5, 35.5, tt.shift); got != tt.want {
			t.Errorf("shifted(%v) = %s, want %s", tt.shift, got, tt.want)
		}
	}
}

func TestTilesIn(t *testing.T) {
	b := orb.Bound{Min: orb.Point{37, 33.5}, Max: orb.Point{41, 36.5}}
	for _, z := range []maptile.Zoom{7, 10} {
		tiles := tilesIn(b, z)
		if len(tiles) == 0 {
			t.Fatalf("z%d: no tiles", z)
		}
		for _, tile := range tiles {
			if !tile.Bound().Intersects(b) {
				t.Errorf("z%d: tile %v does not meet the box", z, tile)
			}
		}
		if got := tiles[0]; got != maptile.At(orb.Point{37, 36.5}, z) {
			t.Errorf("z%d: first tile %v is not the north-west one", z, got)
		}
	}
}

func TestP99Target(t *testing.T) {
	c := benchCase{P99Fifth: true, Ref: reference{RPS: 21}}
	// 32 connections at 21 req/s: a mean of 1.52 s, a fifth of it 305 ms.
	if got := p99Target(c, 32); got < 304 || got > 305 {
		t.Errorf("p99Target = %v ms, want about 304.8", got)
	}
	if got := p99Target(benchCase{Ref: reference{RPS: 21}}, 32); got != 0 {
		t.Errorf("a case without a p99 target has %v", got)
	}
}

func TestParseFlags(t *testing.T) {
	tests := []struct {
		args []string
		ok   bool
	}{
		{nil, true},
		{[]string{"-d", "2s", "-stores", "memory"}, true},
		{[]string{"-d", "2h"}, false},
		{[]string{"-stores", "mongo"}, false},
		{[]string{"-t", "4", "-c", "2"}, false},
		{[]string{"extra"}, false},
		{[]string{"-analytics-n", "5", "-analytics-budget", "2m"}, true},
		{[]string{"-analytics-n", "0"}, false},
		{[]string{"-analytics-budget", "1h"}, false},
	}
	for _, tt := range tests {
		o, err := parseFlags(tt.args, &strings.Builder{})
		if (err == nil) != tt.ok {
			t.Errorf("parseFlags(%q) = %v", tt.args, err)
		}
		if err == nil && o.load.Duration < time.Second {
			t.Errorf("parseFlags(%q): duration %v", tt.args, o.load.Duration)
		}
	}
}

// TestCaseLoad: a case's own connections, duration and timeout replace the
// run's, and wrk is given them.
func TestCaseLoad(t *testing.T) {
	run := load{Threads: 2, Connections: 32, Duration: 10 * time.Second}
	if l := caseLoad(run, benchCase{}); l != run {
		t.Errorf("a case without overrides: %+v", l)
	}
	if got, want := strings.Join(wrkArgs(run), " "), "-t2 -c32 -d10s --latency --timeout 10s"; got != want {
		t.Errorf("wrkArgs = %s, want %s", got, want)
	}
	l := caseLoad(run, benchCase{Connections: 64, Duration: 30 * time.Second, WrkTimeout: time.Minute})
	if got, want := strings.Join(wrkArgs(l), " "), "-t2 -c64 -d30s --latency --timeout 60s"; got != want {
		t.Errorf("wrkArgs = %s, want %s", got, want)
	}
	if l := caseLoad(run, benchCase{Connections: 1}); l.Threads != 1 || l.Connections != 1 {
		t.Errorf("one connection: %+v (wrk wants threads <= connections)", l)
	}
}
