package main

import (
	"context"
	"debug/buildinfo"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/bench/internal/proc"
)

// The reference servers, given as binaries built by hand outside the
// repository (bench/README.md says how).
const (
	featureserv = "pg_featureserv"
	tileserv    = "pg_tileserv"
)

// refEnv names the environment variable that gives each reference binary.
var refEnv = map[string]string{featureserv: "PG_FEATURESERV_BIN", tileserv: "PG_TILESERV_BIN"}

// refBins reads the reference binaries from the environment; a server whose
// variable is empty is not run.
func refBins(getenv func(string) string) (map[string]string, error) {
	bins := map[string]string{}
	for name, env := range refEnv {
		p := getenv(env)
		if p == "" {
			continue
		}
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("bench: %s=%s: %w", env, p, err)
		}
		if st.IsDir() || st.Mode()&0o111 == 0 {
			return nil, fmt.Errorf("bench: %s=%s is not an executable file", env, p)
		}
		bins[name] = p
	}
	return bins, nil
}

// refPool is the database pool given to the reference servers: larger than
// the load's connections, because pg_featureserv's pool (puddle v1.0.0)
// deadlocks when a request waiting for a connection is cancelled.
func refPool(connections int) int { return connections + 8 }

// refConfig returns the TOML configuration of a reference server that
// listens on addr (a loopback host:port) only, with its HTTPS port, which
// it opens only with a certificate (none is given), on loopback too.
func refConfig(server, addr, httpsAddr string, pool int) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", err
	}
	_, tlsPort, err := net.SplitHostPort(httpsAddr)
	if err != nil {
		return "", err
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("bench: %s must listen on loopback, not %s", server, host)
	}
	switch server {
	case featureserv:
		return fmt.Sprintf(`# written by bench/run: loopback only, a pool larger than the load's connections
[Server]
HttpHost = %q
HttpPort = %s
HttpsPort = %s
ReadTimeoutSec = 5
WriteTimeoutSec = 30

[Database]
DbPoolMaxConns = %d
TableIncludes = [%q]

[Paging]
LimitDefault = 10
LimitMax = 10000
`, host, port, tlsPort, pool, refSchema), nil
	case tileserv:
		return fmt.Sprintf(`# written by bench/run: loopback only, a pool larger than the load's connections
HttpHost = %q
HttpPort = %s
HttpsPort = %s
DbPoolMaxConns = %d
DbTimeout = 10
ShowPreview = false
CacheTTL = 0
`, host, port, tlsPort, pool), nil
	}
	return "", fmt.Errorf("bench: unknown reference server %q", server)
}

// refServer is a running reference server that can be restarted.
type refServer struct {
	name, bin, dir, dbURL string
	pool                  int
	p                     *proc.Process
	restarts              []string
}

// refProcEnv is this process's environment without anything the reference
// servers read (DATABASE_URL, PGFS_*, TS_*), plus the database URL.
func refProcEnv(dbURL string) []string {
	var env []string
	for _, kv := range os.Environ() {
		k, _, _ := strings.Cut(kv, "=")
		if k == "DATABASE_URL" || strings.HasPrefix(k, "PGFS_") || strings.HasPrefix(strings.ToUpper(k), "TS_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, "DATABASE_URL="+dbURL)
}

// readyPath is what answers 200 once the server serves.
func readyPath(server string) string {
	if server == tileserv {
		return "/health"
	}
	return "/collections.json"
}

func (s *refServer) start() error {
	addr, err := proc.FreeAddr()
	if err != nil {
		return err
	}
	tlsAddr, err := proc.FreeAddr()
	if err != nil {
		return err
	}
	conf, err := refConfig(s.name, addr, tlsAddr, s.pool)
	if err != nil {
		return err
	}
	confPath := filepath.Join(s.dir, s.name+".toml")
	if err := os.WriteFile(confPath, []byte(conf), 0o644); err != nil {
		return err
	}
	args := []string{"--config", confPath}
	if s.name == tileserv {
		args = append(args, "--no-preview")
	}
	cmd := exec.Command(s.bin, args...)
	cmd.Dir = s.dir
	cmd.Env = refProcEnv(s.dbURL)
	p, err := proc.Start(s.name, cmd, addr, filepath.Join(s.dir, s.name+".log"))
	if err != nil {
		return err
	}
	if _, err := p.WaitReady("http://"+addr+readyPath(s.name), time.Now(), time.Minute); err != nil {
		p.Stop()
		return err
	}
	s.p = p
	return nil
}

// restart stops and starts the server again, noting why.
func (s *refServer) restart(reason string) error {
	s.restarts = append(s.restarts, reason)
	s.p.Stop()
	s.p = nil
	return s.start()
}

// binVersion describes a binary from its Go build information: module,
// version and the commit it was built from when go build recorded one.
func binVersion(bin string) string {
	bi, err := buildinfo.ReadFile(bin)
	if err != nil {
		return filepath.Base(bin)
	}
	s := bi.Main.Path
	if bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		s += " " + bi.Main.Version
	}
	var rev, modified string
	for _, kv := range bi.Settings {
		switch kv.Key {
		case "vcs.revision":
			rev = kv.Value
		case "vcs.modified":
			modified = kv.Value
		}
	}
	if rev != "" {
		s += " at " + rev[:min(12, len(rev))]
		if modified == "true" {
			s += " (modified)"
		}
	} else {
		s += " (no commit recorded)"
	}
	return s + ", " + bi.GoVersion
}

// refResult is what the reference pass measured.
type refResult struct {
	Servers map[string]string `json:"servers"` // name → version, or "not run: …"
	Pool    int               `json:"pool,omitempty"`
	Seconds float64           `json:"load_seconds,omitempty"` // loading the tables
	// Cases are the reference measurements of runs that measured the
	// reference servers after the stores, one case after another; an
	// interleaved run keeps them with each store (storeResult.Reference).
	Cases    []caseResult `json:"cases"`
	Restarts []string     `json:"restarts,omitempty"`
	// Interleaved: each case's reference measurement ran right after
	// controlmap's, once for each store, the servers all running the whole
	// run (refServers).
	Interleaved bool `json:"interleaved,omitempty"`
}

// The paths of the reference servers. Collections are tables of refSchema.

// refDateFilter is the CQL filter that asks what controlmap's
// datetime=<date> asks: the features whose validity [valid_from, valid_to)
// meets that UTC day.
func refDateFilter(date string) (string, error) {
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		return "", err
	}
	next := d.AddDate(0, 0, 1).Format(time.DateOnly)
	return fmt.Sprintf("valid_from < '%sT00:00:00Z' AND (valid_to IS NULL OR valid_to > '%sT00:00:00Z')", next, date), nil
}

// refItemsPath is pg_featureserv's items of table in bbox (none when
// empty), with limit, for a date ("" for none).
func refItemsPath(table, bbox string, limit int, date string) string {
	q := url.Values{}
	if bbox != "" {
		q.Set("bbox", bbox)
	}
	q.Set("limit", fmt.Sprint(limit))
	if date != "" {
		f, err := refDateFilter(date)
		if err != nil {
			panic(err) // the dates are the bench's own
		}
		q.Set("filter", f)
	}
	return "/collections/" + refSchema + "." + table + "/items.json?" + encodeQuery(q)
}

// refCQLFilter is the question of controlmap's cqlFilter in
// pg_featureserv's CQL: INTERSECTS(geom, ENVELOPE(…)) for the box, and the
// day as comparisons of the valid_from and valid_to columns (refDateFilter),
// because its CQL has no temporal predicate (T_INTERSECTS, INTERVAL: its
// grammar leaves them out) and the reference tables hold the validity as
// those two columns.
func refCQLFilter(bbox, date string) (string, error) {
	f, err := refDateFilter(date)
	if err != nil {
		return "", err
	}
	return "INTERSECTS(geom, ENVELOPE(" + bbox + ")) AND " + f, nil
}

// refCQLPath is pg_featureserv's items of table selected by refCQLFilter
// alone (no bbox parameter), with limit.
func refCQLPath(table, bbox, date string, limit int) string {
	f, err := refCQLFilter(bbox, date)
	if err != nil {
		panic(err) // the dates are the bench's own
	}
	return "/collections/" + refSchema + "." + table + "/items.json?filter=" + queryEscape(f) + "&limit=" + strconv.Itoa(limit)
}

// encodeQuery is url.Values.Encode with the commas of bbox kept as they are.
func encodeQuery(q url.Values) string { return strings.ReplaceAll(q.Encode(), "%2C", ",") }

// refItemPath is pg_featureserv's feature id of table.
func refItemPath(table, id string) string {
	return "/collections/" + refSchema + "." + table + "/items/" + url.PathEscape(id) + ".json"
}

// tileProps are the properties controlmap puts in a tile of each
// collection (geo.TileProperties): the scalar ones, id and validity.
var tileProps = map[string]string{
	"areas":  "id,area,name,controller,status,valid_from,valid_to",
	"points": "id,site,name,controller,status,valid_from,valid_to",
}

// refTilePath is pg_tileserv's tile of table, with controlmap's buffer
// (64 of 4096) and tile properties, for a date.
func refTilePath(table string, t maptile.Tile, date string) string {
	q := url.Values{}
	q.Set("buffer", "64")
	q.Set("properties", tileProps[table])
	f, err := refDateFilter(date)
	if err != nil {
		panic(err)
	}
	q.Set("filter", f)
	return fmt.Sprintf("/%s.%s/%d/%d/%d.pbf?%s", refSchema, table, t.Z, t.X, t.Y, encodeQuery(q))
}

// refServers are a run's reference servers. They all start before the
// first store and keep running, idle while another server is measured,
// until the end of the run, so that each case's reference measurement can
// run right after controlmap's (pair), in the same minutes of the run.
type refServers struct {
	o       options
	bins    map[string]string
	running map[string]*refServer
	dir     string
	logf    func(string, ...any)
}

// startRefServers starts the servers of bins against the tables of dbURL,
// with the run's pool (set in rr).
func startRefServers(o options, bins map[string]string, dbURL string, rr *refResult, logf func(string, ...any)) (*refServers, error) {
	dir, err := os.MkdirTemp("", "controlmap-bench-ref-")
	if err != nil {
		return nil, err
	}
	rr.Pool = refPool(o.load.Connections)
	rr.Interleaved = true
	rs := &refServers{o: o, bins: bins, running: map[string]*refServer{}, dir: dir, logf: logf}
	for _, server := range []string{featureserv, tileserv} {
		if bins[server] == "" {
			continue
		}
		s := &refServer{name: server, bin: bins[server], dir: dir, dbURL: dbURL, pool: rr.Pool}
		logf("%s: starting %s", server, s.bin)
		if err := s.start(); err != nil {
			rs.stop()
			return nil, fmt.Errorf("bench: %s: %w", server, err)
		}
		rs.running[server] = s
	}
	return rs, nil
}

// pair measures the reference part of case c of store, to be run right
// after controlmap's (once controlmap has settled: benchStore waits out its
// release of free memory first): false when c asks no reference server (or
// rs is nil). A server whose binary was not given, or that did not start
// again after a restart, gives a result that says so.
func (rs *refServers) pair(ctx context.Context, c benchCase, store string) (caseResult, bool) {
	if rs == nil || c.Live.Server == "" {
		return caseResult{}, false
	}
	s := rs.running[c.Live.Server]
	switch {
	case rs.bins[c.Live.Server] == "":
		return caseResult{ID: c.ID, Title: c.Title, Skipped: "not run: " + refEnv[c.Live.Server] + " not set"}, true
	case s == nil || s.p == nil:
		return caseResult{ID: c.ID, Title: c.Title, Skipped: "not run: " + c.Live.Server + " did not start again after a restart"}, true
	}
	return runRefCase(ctx, rs.o, s, c, store, rs.logf), true
}

// asks reports whether pair would measure case c on a server that runs:
// whether the caller should let controlmap settle first.
func (rs *refServers) asks(c benchCase) bool {
	return rs != nil && c.Live.Server != "" && rs.bins[c.Live.Server] != ""
}

// stop stops the servers and returns why each was restarted during the run.
func (rs *refServers) stop() []string {
	if rs == nil {
		return nil
	}
	var restarts []string
	for _, server := range []string{featureserv, tileserv} {
		s := rs.running[server]
		if s == nil {
			continue
		}
		if s.p != nil {
			s.p.Stop()
			s.p = nil
		}
		restarts = append(restarts, s.restarts...)
	}
	os.RemoveAll(rs.dir)
	return restarts
}

// runRefCase measures the reference part of c. A case with no successful
// answer or with timeouts restarts the server (its pool may be wedged);
// one with no successful answer is then measured once more. Failures are
// recorded in the result, not fatal.
func runRefCase(ctx context.Context, o options, s *refServer, c benchCase, store string, logf func(string, ...any)) caseResult {
	rc := benchCase{ID: c.ID, Title: c.Title, Path: c.Live.Path, Paths: c.Live.Paths, Check: c.Check}
	var r caseResult
	for attempt := 0; attempt < 2; attempt++ {
		var err error
		r, _, err = runCaseOn(ctx, o, "http://"+s.p.Addr, rc, "ref-", false)
		if err != nil {
			r.Skipped = err.Error()
		}
		ok := r.Skipped == "" && r.Requests-r.Non2xx > 0
		logf("%s %-22s %9.1f req/s  p50 %8.2f ms  p99 %8.2f ms  %8d B%s", s.name, c.ID, r.RPS, r.P50, r.P99, r.Bytes, refNote(r))
		if ctx.Err() != nil {
			return r // the run was stopped, not the server wedged
		}
		if ok && r.Timeouts == 0 {
			return r
		}
		why := fmt.Sprintf("%s restarted after case %s (after %s's): ", s.name, c.ID, store)
		if !ok {
			why += "no successful answer"
			if r.Skipped != "" {
				why += " (" + firstLine(r.Skipped) + ")"
			}
		} else {
			why += fmt.Sprintf("%d timeouts", r.Timeouts)
		}
		logf("%s", why)
		if err := s.restart(why); err != nil {
			r.Skipped = "server did not start again: " + err.Error()
			return r
		}
		if ok {
			return r // measured, with its timeouts in the table
		}
	}
	return r
}

func refNote(r caseResult) string {
	var s string
	if r.Non2xx > 0 {
		s += fmt.Sprintf("  (%d non-2xx)", r.Non2xx)
	}
	if r.SocketErrs > 0 {
		s += fmt.Sprintf("  (%d socket errors, %d timeouts)", r.SocketErrs, r.Timeouts)
	}
	if r.Skipped != "" {
		s += "  " + firstLine(r.Skipped)
	}
	return s
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
