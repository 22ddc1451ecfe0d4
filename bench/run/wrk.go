package main

import (
	"bufio"
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// load is how wrk drives one case.
type load struct {
	Threads     int
	Connections int
	Duration    time.Duration
	// Timeout is wrk's --timeout (0: defaultWrkTimeout): answers slower
	// than it are counted as timeouts and left out of the latencies.
	Timeout time.Duration `json:",omitempty"`
}

// defaultWrkTimeout is wrk's --timeout unless a case sets its own.
const defaultWrkTimeout = 10 * time.Second

// wrkResult is what one wrk run measured.
type wrkResult struct {
	Requests   int64   `json:"requests"`
	RPS        float64 `json:"rps"`
	P50        float64 `json:"p50_ms"`
	P99        float64 `json:"p99_ms"`
	Non2xx     int64   `json:"non_2xx"`
	SocketErrs int64   `json:"socket_errors"`
	Timeouts   int64   `json:"timeouts,omitempty"`   // of SocketErrs, wrk's timeouts
	BytesRead  int64   `json:"bytes_read,omitempty"` // everything read, headers included
	Seconds    float64 `json:"seconds,omitempty"`    // how long the run took: wrk's, or the script's when a list ran out before -d
	// CacheHits and CacheMisses are what controlmap's cache of answers
	// found during a list case (its /metrics before and after).
	CacheHits   int64 `json:"cache_hits,omitempty"`
	CacheMisses int64 `json:"cache_misses,omitempty"`
}

// wrkArgs are wrk's options for l, before the script, header and URL.
func wrkArgs(l load) []string {
	timeout := l.Timeout
	if timeout <= 0 {
		timeout = defaultWrkTimeout
	}
	return []string{"-t" + strconv.Itoa(l.Threads), "-c" + strconv.Itoa(l.Connections),
		"-d" + strconv.Itoa(int(l.Duration/time.Second)) + "s", "--latency", "--timeout", strconv.Itoa(int(timeout/time.Second)) + "s"}
}

// runWrk runs wrk against url (with script, a Lua file, when not empty, and
// header, one "Name: value" request header, when not empty) and parses its
// report. The run is bounded by l.Duration plus a grace period.
func runWrk(ctx context.Context, l load, url, script, header string) (wrkResult, string, error) {
	args := wrkArgs(l)
	if script != "" {
		args = append(args, "-s", script)
	}
	if header != "" {
		args = append(args, "-H", header)
	}
	args = append(args, url)
	ctx, cancel := context.WithTimeout(ctx, l.Duration+30*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "wrk", args...).CombinedOutput()
	if err != nil {
		return wrkResult{}, string(out), fmt.Errorf("wrk %s: %w\n%s", url, err, out)
	}
	r, err := parseWrk(string(out))
	return r, string(out), err
}

var (
	reRPS     = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)`)
	reTotal   = regexp.MustCompile(`(?m)^\s*(\d+) requests in ([0-9.]+)(us|ms|s|m|h), ([0-9.]+)([KMGT]?B) read`)
	reLatency = regexp.MustCompile(`(?m)^\s+(50|99)%\s+([0-9.]+)(us|ms|s|m)\s*$`)
	reNon2xx  = regexp.MustCompile(`(?m)Non-2xx or 3xx responses:\s+(\d+)`)
	reSocket  = regexp.MustCompile(`(?m)Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)`)
	reElapsed = regexp.MustCompile(`(?m)^elapsed_us (\d+)`)
)

// wrkUnitSeconds are the seconds in each unit wrk prints durations in.
var wrkUnitSeconds = map[string]float64{"us": 1e-6, "ms": 1e-3, "s": 1, "m": 60, "h": 3600}

// parseWrk reads requests/s, the 50th and 99th latency percentiles (in ms),
// error counts and the elapsed time the Lua scripts print.
func parseWrk(out string) (wrkResult, error) {
	var r wrkResult
	m := reRPS.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("bench: no Requests/sec in wrk output:\n%s", out)
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := reTotal.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
		d, _ := strconv.ParseFloat(m[2], 64)
		r.Seconds = d * wrkUnitSeconds[m[3]]
		v, _ := strconv.ParseFloat(m[4], 64)
		// wrk prints sizes in binary units (format_binary: 1 KB = 1024 B).
		r.BytesRead = int64(v * float64(int64(1)<<(10*strings.Index("BKMGT", m[5][:1]))))
	}
	for _, m := range reLatency.FindAllStringSubmatch(out, -1) {
		v, _ := strconv.ParseFloat(m[2], 64)
		v *= wrkUnitSeconds[m[3]] * 1000 // in ms
		if m[1] == "50" {
			r.P50 = v
		} else {
			r.P99 = v
		}
	}
	if r.P50 == 0 && r.P99 == 0 && r.Requests > 0 {
		return r, fmt.Errorf("bench: no latency distribution in wrk output (was --latency given?):\n%s", out)
	}
	if m := reNon2xx.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if m := reSocket.FindStringSubmatch(out); m != nil {
		for i, s := range m[1:] {
			n, _ := strconv.ParseInt(s, 10, 64)
			r.SocketErrs += n
			if i == 3 {
				r.Timeouts = n
			}
		}
	}
	if m := reElapsed.FindStringSubmatch(out); m != nil {
		// The script's own clock, from the threads' start to the moment
		// the last of them found its share of the list used up: shorter
		// than wrk's when the list ran out before -d.
		us, _ := strconv.ParseInt(m[1], 10, 64)
		r.Seconds = float64(us) / 1e6
		if r.Seconds > 0 && r.Requests > 0 {
			r.RPS = float64(r.Requests) / r.Seconds
		}
	}
	return r, nil
}

// luaScript returns a wrk script that requests paths in turn, each thread
// taking every threads-th path from its own offset so that no two requests
// ask the same path. A thread stops when its share of the list is used up,
// so every path is asked at most once; when every thread stopped, the script
// prints how long the run really took (elapsed_us), from which parseWrk
// computes requests/s, since wrk divides by the whole -d.
//
// It defines no response function: with one, wrk copies every answer's
// headers and body into Lua, which on answers of megabytes costs the load
// generator more than the server (b-cold: 208 against 822 req/s on the
// same server). The cache's hits and misses are read from the server's
// metrics instead (readAnswerLookups).
func luaScript(paths []string, threads int) string {
	var b strings.Builder
	b.WriteString("-- generated by bench/run\nlocal paths = {\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "  %q,\n", p)
	}
	fmt.Fprintf(&b, "}\nlocal nthreads = %d\n", threads)
	b.WriteString(luaBody)
	return b.String()
}

const luaBody = `local ffi = require("ffi")
ffi.cdef[[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *tp);
]]
local ts = ffi.new("bench_timespec")
-- now_us reads CLOCK_MONOTONIC: wrk divides by the whole -d even when the
-- threads stopped early, so the script measures the time itself.
local function now_us()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000000 + math.floor(tonumber(ts.tv_nsec) / 1000)
end
local threads = {}
local counter = 0
function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  n = 0
  t0 = now_us()
  tstop = 0
end
function request()
  local i = n * nthreads + id + 1
  n = n + 1
  if i > #paths then
    -- every path of this thread's share was asked: stop. request is
    -- called when a connection is free again, just after an answer: the
    -- time of the last answer counted. wrk still sends the request
    -- returned here but never reads its answer; it asks for the health
    -- check, which touches no cache, rather than a path of the list again.
    if tstop == 0 then
      tstop = now_us()
    end
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  return wrk.format("GET", paths[i])
end
function done(summary, latency, requests)
  local first, last = nil, 0
  for _, t in ipairs(threads) do
    local s, e = t:get("t0"), t:get("tstop")
    if not e or e == 0 then
      return -- a thread ran the whole -d: wrk's own figures hold
    end
    if s and (first == nil or s < first) then first = s end
    if e > last then last = e end
  end
  if first then
    io.write(string.format("elapsed_us %d\n", last - first))
  end
end
`

// wrkVersion returns the first line of wrk -v.
func wrkVersion() string {
	out, _ := exec.Command("wrk", "-v").CombinedOutput()
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	if sc.Scan() {
		return strings.TrimSpace(sc.Text())
	}
	return "unknown"
}
