package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/controlmap/controlmap/bench/internal/loadurls"
	"github.com/controlmap/controlmap/bench/internal/proc"
)

// caseResult is one measured case.
type caseResult struct {
	ID       string  `json:"id"`
	Title    string  `json:"title"`
	Path     string  `json:"path"`
	Bytes    int     `json:"bytes"`
	Distinct int     `json:"distinct,omitempty"` // cold cases: how many distinct requests there were
	RefRPS   float64 `json:"ref_rps,omitempty"`
	RefBytes string  `json:"ref_bytes,omitempty"`
	Ratio    float64 `json:"target_ratio,omitempty"`
	P99Max   float64 `json:"target_p99_ms,omitempty"`
	Skipped  string  `json:"skipped,omitempty"`
	Features int     `json:"features,omitempty"` // in the answer of the first request, when it is a FeatureCollection
	RefID    string  `json:"ref_id,omitempty"`   // the case whose reference request it repeats, when not its own id (benchCase.RefID)
	NoCache  bool    `json:"no_cache,omitempty"` // measured on a server started with --cache-bytes 0
	// Checked are the feature counts of the requests of a cold case's list
	// at checkIndexes(Distinct, len(Checked)), asked again after the run
	// (-1: no 200 answer), compared in the report with the reference's.
	Checked []int `json:"checked_features,omitempty"`
	// Sequential: a timed case (runTimed), its requests in Timed, asked one
	// at a time, each against LatencyTarget (ms; 0: none); wrkResult then
	// holds only Seconds.
	Sequential    bool           `json:"sequential,omitempty"`
	Timed         []timedRequest `json:"timed,omitempty"`
	LatencyTarget float64        `json:"target_latency_ms,omitempty"`
	// Warmup are the requests that warmed a slow hot case before wrk ran
	// (the first is a cache miss: the answer built once).
	Warmup []timedRequest `json:"warmup,omitempty"`
	// RefNone says why no reference server was asked (analytics: none has it).
	RefNone string `json:"ref_none,omitempty"`
	// Connections are wrk's connections when the case set its own
	// (benchCase.Connections; 0: the run's -c).
	Connections int `json:"connections,omitempty"`
	// RSSBefore and PeakRSS are the server's RSS when the case began and
	// its peak during the case alone (benchCase.WatchRSS), read as
	// PeakRSSFrom says.
	RSSBefore   int64  `json:"rss_before,omitempty"`
	PeakRSS     int64  `json:"peak_rss,omitempty"`
	PeakRSSFrom string `json:"peak_rss_from,omitempty"`
	wrkResult
}

// storeResult is every case on one store.
// idleWait is how long the run waits after its last case before it reads
// the server's RSS again: longer than serve's default --release-idle (2 s)
// and its check every second.
const idleWait = 5 * time.Second

type storeResult struct {
	Name          string        `json:"name"`
	Ready         time.Duration `json:"ready"`
	ImportSeconds float64       `json:"import_seconds,omitempty"`
	RSSLoaded     int64         `json:"rss_loaded"`
	RSSAfter      int64         `json:"rss_after"`
	// RSSIdle is the RSS idleWait after the run: what the server keeps
	// once the burst is over (serve returns free memory after --release-idle).
	RSSIdle int64 `json:"rss_idle,omitempty"`
	// MemoryIdle is what the server's /metrics said at that time (the
	// caches' counted bytes and the Go heap; memoryMetrics).
	MemoryIdle map[string]int64 `json:"memory_idle,omitempty"`
	PeakRSS    int64            `json:"peak_rss"`
	// RenderAll is what the default picture with every layer
	// (renderAllPath) answered, asked once when the picture cases run.
	RenderAll string       `json:"render_all,omitempty"`
	Cases     []caseResult `json:"cases"`
	// Reference are the reference servers' measurements of this store's
	// cases, each run right after controlmap's (refServers.pair).
	Reference []caseResult `json:"reference,omitempty"`
}

// benchStore serves the dataset from one store, runs every case and returns
// the results and the bodies of cases (a), (b) and (d-point) for nginx.
// Right after each case that asks a reference server, refs (nil: none)
// measures the reference's part. The PostGIS store imports the dataset into
// the database of dbURL (a throwaway one made by run).
func benchStore(ctx context.Context, o options, name, bin, dataDir, dbURL string, pointIDs []string, refs *refServers, logf func(string, ...any)) (storeResult, map[string][]byte, error) {
	sr := storeResult{Name: name}
	logPath := filepath.Join(o.dir, name+".log")
	var env []string
	var args []string
	switch name {
	case "memory":
		logf("memory: serving %s", dataDir)
		env, args = proc.ControlmapEnv(), []string{"--data", dataDir}
	case "postgis":
		logf("postgis: importing %s into the throwaway database", dataDir)
		t0 := time.Now()
		cmd := exec.CommandContext(ctx, bin, "import", "--log-level", "warn", dataDir)
		cmd.Env = proc.ControlmapEnv("DATABASE_URL=" + dbURL)
		if out, err := cmd.CombinedOutput(); err != nil {
			return sr, nil, fmt.Errorf("bench: controlmap import: %w\n%s", err, out)
		}
		sr.ImportSeconds = time.Since(t0).Seconds()
		logf("postgis: imported in %.0f s; serving", sr.ImportSeconds)
		env = proc.ControlmapEnv("DATABASE_URL=" + dbURL)
	}
	args = append(args, o.serve...)
	p, ready, err := proc.StartControlmap(bin, name, logPath, env, args...)
	if err != nil {
		return sr, nil, err
	}
	defer func() { p.Stop() }()
	sr.Ready = ready
	time.Sleep(time.Second)
	sr.RSSLoaded, _ = p.Memory()
	base := "http://" + p.Addr
	d, err := discover(ctx, base)
	if err != nil {
		return sr, nil, err
	}
	d.pointIDs = pointIDs
	d.analyticsN = o.analyticsN
	d.renderN = o.renderN
	cs := selectCases(cases(d), o.only)
	if slices.ContainsFunc(cs, func(c benchCase) bool { return isRender(caseResult{ID: c.ID}) }) {
		sr.RenderAll = askRenderAll(ctx, base)
		logf("%s %s: %s", name, renderAllPath(), sr.RenderAll)
	}
	bodies := map[string][]byte{}
	var noCache []benchCase
	// settle waits idleWait, for the server to return its free memory
	// after the last requests, and with record reads its RSS then; settled
	// says that nothing was asked of it since.
	settled := false
	settle := func(record bool) error {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(idleWait):
		}
		if record {
			sr.RSSIdle, _ = p.Memory()
			settled = true
		}
		return nil
	}
	for _, c := range cs {
		if c.NoCache {
			noCache = append(noCache, c)
			continue
		}
		if err := ctx.Err(); err != nil {
			return sr, nil, err
		}
		if c.Slow {
			r, err := watched(p, c, func() (caseResult, error) { return runSlowHot(ctx, o, base, c) })
			if err != nil {
				return sr, nil, err
			}
			logf("%s %-22s %s%s", name, c.ID, slowNote(r), rssNote(r))
			sr.Cases = append(sr.Cases, r)
			sr.RSSAfter, sr.PeakRSS = p.Memory()
			settled = false
			continue
		}
		r, body, err := runCase(ctx, o, base, c)
		if err != nil {
			return sr, nil, err
		}
		if c.ID == "a" || c.ID == "b" || c.ID == "d-point" {
			bodies[c.ID] = body
		}
		logf("%s %-22s %9.1f req/s  p50 %8.2f ms  p99 %8.2f ms  %8d B%s", name, c.ID, r.RPS, r.P50, r.P99, r.Bytes, cacheNote(r))
		sr.Cases = append(sr.Cases, r)
		// The server's memory after its last case, read before the
		// reference's run, and idleWait later, when it has returned its
		// free memory (--release-idle): waited out before the reference
		// is measured, so that the release does not fall in its run.
		sr.RSSAfter, sr.PeakRSS = p.Memory()
		settled = false
		if refs.asks(c) {
			if err := settle(true); err != nil {
				return sr, nil, err
			}
			if ref, ok := refs.pair(ctx, c, name); ok {
				sr.Reference = append(sr.Reference, ref)
			}
		}
	}
	if !d.tilesReady {
		sr.Cases = append(sr.Cases, caseResult{ID: "e", Title: "MVT tiles", Skipped: "no tile endpoint"})
	}
	if sr.RSSAfter == 0 {
		sr.RSSAfter, sr.PeakRSS = p.Memory()
	}
	if !settled {
		if err := settle(true); err != nil {
			return sr, nil, err
		}
	}
	if m, err := readMemoryMetrics(ctx, base); err != nil {
		logf("%s: memory metrics after the run: %v", name, err)
	} else {
		sr.MemoryIdle = m
		logf("%s: after the run, RSS %s: %s", name, mib(sr.RSSIdle), memoryNote(m))
	}
	if len(noCache) > 0 {
		// The same store again with the cache off, for the cases that ask.
		p.Stop()
		logf("%s: serving again with --cache-bytes 0", name)
		p, _, err = proc.StartControlmap(bin, name+"-nocache", filepath.Join(o.dir, name+"-nocache.log"), env, append(args, "--cache-bytes", "0")...)
		if err != nil {
			return sr, nil, err
		}
		base = "http://" + p.Addr
		for _, c := range noCache {
			if err := ctx.Err(); err != nil {
				return sr, nil, err
			}
			if c.Timed {
				logf("%s %s: %d requests, one at a time", name, c.ID, len(c.Paths))
				r, err := watched(p, c, func() (caseResult, error) {
					return runTimed(ctx, base, c, o.analyticsBudget, analyticsTimeout, logf)
				})
				if err != nil {
					return sr, nil, err
				}
				r.NoCache = true
				logf("%s %-22s %s%s", name, c.ID, timedNote(r), rssNote(r))
				sr.Cases = append(sr.Cases, r)
				continue
			}
			// A slow case's failures (answers that are not 2xx, no answer to
			// the first request) are what it measures: recorded, not fatal.
			r, err := watched(p, c, func() (caseResult, error) {
				r, _, err := runCaseOn(ctx, o, base, c, "case-", !c.Slow)
				return r, err
			})
			if err != nil && (!c.Slow || ctx.Err() != nil) {
				return sr, nil, err
			}
			if err != nil {
				r.Skipped = firstLine(err.Error())
			}
			r.NoCache = true
			logf("%s %-22s %9.1f req/s  p50 %8.2f ms  p99 %8.2f ms  %8d B%s%s%s", name, c.ID, r.RPS, r.P50, r.P99, r.Bytes, cacheNote(r), errNote(r), rssNote(r))
			sr.Cases = append(sr.Cases, r)
			if refs.asks(c) {
				if err := settle(false); err != nil {
					return sr, nil, err
				}
				if ref, ok := refs.pair(ctx, c, name+" (cache off)"); ok {
					sr.Reference = append(sr.Reference, ref)
				}
			}
		}
	}
	return sr, bodies, nil
}

// selectCases keeps the cases whose id only matches (all when only is nil).
func selectCases(cs []benchCase, only *regexp.Regexp) []benchCase {
	if only == nil {
		return cs
	}
	var out []benchCase
	for _, c := range cs {
		if only.MatchString(c.ID) {
			out = append(out, c)
		}
	}
	return out
}

// runSlowHot measures a slow hot case (an analytics answer that takes
// seconds to build): it warms the cache (warm), then runs wrk on the cached
// answer. A case that gets no 200 to warm with is recorded as not measured,
// with the attempts; answers that are not 2xx during the run are counted in
// the report, not an error.
func runSlowHot(ctx context.Context, o options, base string, c benchCase) (caseResult, error) {
	tries, ok := warm(ctx, base, c.Path, analyticsTimeout)
	if err := ctx.Err(); err != nil {
		return caseResult{}, err
	}
	if !ok {
		var what []string
		for _, t := range tries {
			what = append(what, fmt.Sprintf("%s after %.1f s", t.outcome(), t.Ms/1000))
		}
		return caseResult{ID: c.ID, Title: c.Title, Path: c.Path, Warmup: tries, RefNone: c.NoRef,
			Skipped: "no 200 answer to warm the cache with: " + strings.Join(what, "; ")}, nil
	}
	r, _, err := runCaseOn(ctx, o, base, c, "case-", false)
	if err != nil {
		return caseResult{}, err
	}
	r.Warmup, r.RefNone = tries, c.NoRef
	return r, nil
}

// slowNote is the log line of a slow hot case.
func slowNote(r caseResult) string {
	var warmed []string
	for _, t := range r.Warmup {
		warmed = append(warmed, fmt.Sprintf("%s in %.2f s", t.outcome(), t.Ms/1000))
	}
	if r.Skipped != "" {
		return "not measured: " + r.Skipped
	}
	s := fmt.Sprintf("%9.1f req/s  p50 %8.2f ms  p99 %8.2f ms  %8d B  (warmed: %s)", r.RPS, r.P50, r.P99, r.Bytes, strings.Join(warmed, ", "))
	if r.Non2xx > 0 || r.SocketErrs > 0 {
		s += fmt.Sprintf("  (%d non-2xx, %d socket errors)", r.Non2xx, r.SocketErrs)
	}
	return s
}

// timedNote is the log line of a timed case.
func timedNote(r caseResult) string {
	s := summarize(r.Timed, r.LatencyTarget)
	line := fmt.Sprintf("%d of %d requests answered 200; median %.2f s, max %.2f s", s.OK, len(r.Timed), s.Median/1000, s.Max/1000)
	if r.LatencyTarget > 0 {
		line += fmt.Sprintf("; %d over the %s target or failed", s.Over, seconds(r.LatencyTarget))
	}
	if len(s.NotAsked) > 0 {
		line += fmt.Sprintf("; %d not asked (budget)", len(s.NotAsked))
	}
	return line
}

// askRenderAll asks the default picture with every layer once and says
// how it was answered: the status, and the problem's detail when refused.
func askRenderAll(ctx context.Context, base string) string {
	client := timedClient(analyticsTimeout)
	defer client.CloseIdleConnections()
	t, body := timeRequest(ctx, client, base, renderAllPath())
	s := fmt.Sprintf("%s in %s", t.outcome(), seconds(t.Ms))
	if t.ok() {
		return s + ", " + size(t.Bytes)
	}
	var problem struct {
		Detail string `json:"detail"`
	}
	if json.Unmarshal(body, &problem) == nil && problem.Detail != "" {
		s += ": " + problem.Detail
	}
	return s
}

// watched runs a case, measuring the server's peak RSS during it when the
// case asks (benchCase.WatchRSS).
func watched(p *proc.Process, c benchCase, run func() (caseResult, error)) (caseResult, error) {
	if !c.WatchRSS {
		return run()
	}
	w := watchRSS(p.Cmd.Process.Pid, rssEvery)
	r, err := run()
	r.RSSBefore, r.PeakRSS, r.PeakRSSFrom = w.stop()
	return r, err
}

// rssNote is the log's note of a case's own peak RSS.
func rssNote(r caseResult) string {
	if r.PeakRSS == 0 {
		return ""
	}
	return fmt.Sprintf("  (RSS %s before, peak %s)", mib(r.RSSBefore), mib(r.PeakRSS))
}

// errNote is the log's note of a lenient case's failures.
func errNote(r caseResult) string {
	s := ""
	if r.Non2xx > 0 || r.SocketErrs > 0 {
		s = fmt.Sprintf("  (%d non-2xx, %d socket errors of which %d timeouts)", r.Non2xx, r.SocketErrs, r.Timeouts)
	}
	if r.Skipped != "" {
		s += "  not measured: " + r.Skipped
	}
	return s
}

func cacheNote(r caseResult) string {
	if r.CacheHits+r.CacheMisses == 0 {
		return ""
	}
	return fmt.Sprintf("  (cache hits %d, misses %d; %d distinct)", r.CacheHits, r.CacheMisses, r.Distinct)
}

// runCase fetches the case once (its size, and to check it answers 200),
// then runs wrk on it; any answer that is not 2xx is an error.
func runCase(ctx context.Context, o options, base string, c benchCase) (caseResult, []byte, error) {
	return runCaseOn(ctx, o, base, c, "case-", true)
}

// runCaseOn is runCase with the prefix of its Lua script's name; when
// strict is false, answers that are not 2xx are counted, not an error.
func runCaseOn(ctx context.Context, o options, base string, c benchCase, prefix string, strict bool) (caseResult, []byte, error) {
	r := caseResult{ID: c.ID, Title: c.Title, Path: c.Path, RefRPS: c.Ref.RPS, RefBytes: c.Ref.Bytes, Ratio: c.Ratio,
		P99Max: p99Target(c, o.load.Connections), RefID: c.RefID, Connections: c.Connections}
	l := caseLoad(o.load, c)
	first := c.Path
	script := ""
	all := c.Paths
	if c.cold() {
		first = c.Paths[0]
		r.Path = c.Paths[0] + " …"
		r.Distinct = len(c.Paths)
		script = filepath.Join(o.dir, prefix+c.ID+".lua")
	}
	status, body, err := fetch(ctx, base+first)
	if err != nil {
		return r, nil, err
	}
	if status != http.StatusOK {
		return r, nil, fmt.Errorf("bench: case %s: GET %s: status %d: %.300s", c.ID, first, status, body)
	}
	r.Bytes = len(body)
	r.Features = countFeatures(body)
	var before answerLookups
	if c.cold() {
		// The probe made the first path a hit; start the run after it.
		c.Paths = c.Paths[1:]
		if err := os.WriteFile(script, []byte(luaScript(c.Paths, l.Threads)), 0o644); err != nil {
			return r, nil, err
		}
		// What the run finds in controlmap's cache comes from its /metrics
		// (a reference server has no such series), not from each answer's
		// X-Cache in the Lua script, which would make wrk copy every body
		// into Lua.
		before = readAnswerLookups(ctx, base)
	}
	w, out, err := runWrk(ctx, l, base+first, script, c.Header)
	if err != nil {
		return r, nil, err
	}
	if before.ok {
		if after := readAnswerLookups(ctx, base); after.ok {
			w.CacheHits, w.CacheMisses = after.hits-before.hits, after.misses-before.misses
		}
	}
	if strict && w.Non2xx > 0 {
		return r, nil, fmt.Errorf("bench: case %s had %d non-2xx answers:\n%s", c.ID, w.Non2xx, out)
	}
	// Socket errors (wrk's 10 s timeouts, mostly) are reported in the table,
	// not fatal: on a machine shared with other work a slow case may see some.
	r.wrkResult = w
	if c.Check > 0 && len(all) > 0 {
		// After the run, so that these requests do not warm the cache for it.
		if r.Checked, err = checkCounts(ctx, base, all, c.Check, strict); err != nil {
			return r, nil, fmt.Errorf("bench: case %s: %w", c.ID, err)
		}
	}
	return r, body, nil
}

// checkCounts asks the requests of paths at checkIndexes(len(paths), n)
// and returns the feature count of each answer, -1 for one that is not a
// 200 (an error when strict).
func checkCounts(ctx context.Context, base string, paths []string, n int, strict bool) ([]int, error) {
	var counts []int
	for _, i := range checkIndexes(len(paths), n) {
		status, body, err := fetch(ctx, base+paths[i])
		switch {
		case err == nil && status == http.StatusOK:
			counts = append(counts, countFeatures(body))
			continue
		case strict && err != nil:
			return nil, err
		case strict:
			return nil, fmt.Errorf("GET %s: status %d: %.300s", paths[i], status, body)
		}
		counts = append(counts, -1)
	}
	return counts, nil
}

// countFeatures is the length of the features array of a GeoJSON
// FeatureCollection (0 for anything else).
func countFeatures(body []byte) int {
	if len(body) == 0 || body[0] != '{' {
		return 0
	}
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if json.Unmarshal(body, &fc) != nil {
		return 0
	}
	return len(fc.Features)
}

// benchNginx serves the bodies of cases (a), (b) and (d-point) as static
// files. The last is the ceiling of the cold cases by id: what this machine
// serves of an answer of that size when nothing is computed.
func benchNginx(ctx context.Context, o options, bodies map[string][]byte, logf func(string, ...any)) ([]caseResult, error) {
	dir, err := os.MkdirTemp("", "controlmap-bench-nginx-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	root := filepath.Join(dir, "www")
	// nginx's workers may run as nobody: let them read the files.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, err
	}
	for id, b := range bodies {
		if err := os.WriteFile(filepath.Join(root, id+".geojson"), b, 0o644); err != nil {
			return nil, err
		}
		// The precompressed copy gzip_static sends to clients accepting gzip.
		if err := os.WriteFile(filepath.Join(root, id+".geojson.gz"), gzipBest(b), 0o644); err != nil {
			return nil, err
		}
	}
	p, err := startNginx(dir, root)
	if err != nil {
		return nil, err
	}
	defer p.Stop()
	base := "http://" + p.Addr
	var out []caseResult
	ids := []string{"a", "b", "a-gz"}
	if bodies["d-point"] != nil {
		ids = append(ids, "d-point")
	}
	for _, id := range ids {
		c := benchCase{ID: "f-" + id, Title: fmt.Sprintf("the bytes of (%s) as a static file from nginx", id), Path: "/" + id + ".geojson"}
		switch id {
		case "a":
			c.Ref = reference{90000, "14 kB"}
		case "b":
			c.Ref = reference{620, "3.1 MB"}
		case "a-gz":
			c.Title = "the bytes of (a) from nginx with gzip_static, Accept-Encoding as browsers send it"
			c.Path, c.Header = "/a.geojson", browserAcceptEncoding
		}
		r, _, err := runCase(ctx, o, base, c)
		if err != nil {
			return nil, err
		}
		logf("nginx %-22s %9.1f req/s  p50 %8.2f ms  p99 %8.2f ms  %8d B", c.ID, r.RPS, r.P50, r.P99, r.Bytes)
		out = append(out, r)
	}
	return out, nil
}

// gzipBest compresses b as `gzip -9` would, for nginx's gzip_static.
func gzipBest(b []byte) []byte {
	var buf bytes.Buffer
	w, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	_, _ = w.Write(b)
	_ = w.Close()
	return buf.Bytes()
}

// answerLookups are the counts of controlmap_cache_requests_total with
// cache="answers" on a server; ok is false when it has no such series (a
// reference server) or did not answer.
type answerLookups struct {
	hits, misses int64
	ok           bool
	// inFlight is controlmap_http_requests_in_flight, the scrape included
	// (-1 when absent).
	inFlight int64
}

// answerSeries are the series answerLookups is read from.
var answerSeries = []string{
	`controlmap_cache_requests_total{cache="answers",result="hit"}`,
	`controlmap_cache_requests_total{cache="answers",result="miss"}`,
	"controlmap_http_requests_in_flight",
}

// readAnswerLookups reads the answer cache's counts from base's /metrics
// once no request but the scrape is being answered (the requests a stopped
// wrk left in flight are answered, and counted, after it exits), waiting no
// more than a few seconds for that.
func readAnswerLookups(ctx context.Context, base string) answerLookups {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	for {
		body, err := loadurls.Get(ctx, base+"/metrics", 5*time.Second)
		if err != nil {
			return answerLookups{}
		}
		a := answerLookupsOf(parseMetrics(bytes.NewReader(body), answerSeries))
		if !a.ok || a.inFlight <= 1 {
			return a
		}
		select {
		case <-ctx.Done():
			return a
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// answerLookupsOf reads the answerSeries of m.
func answerLookupsOf(m map[string]int64) answerLookups {
	hits, okHits := m[answerSeries[0]]
	misses, okMisses := m[answerSeries[1]]
	inFlight, ok := m[answerSeries[2]]
	if !ok {
		inFlight = -1
	}
	return answerLookups{hits: hits, misses: misses, ok: okHits && okMisses, inFlight: inFlight}
}
