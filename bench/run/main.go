// Command run is `make bench`: it generates the scale dataset of issue 6
// (cached under tmp/bench, keyed by seed), serves it on loopback from the
// embedded (memory) store and from PostGIS (a throwaway database it creates,
// imports into with `controlmap import`, and drops), measures each case of
// the issue with wrk for a bounded time, serves the bytes of cases (a) and
// (b) with nginx as the ceiling, and writes docs/performance.md.
//
//	go run ./bench/run [-seed 1] [-d 10s] [-c 32] [-t 2] [-stores memory,postgis] [-cases REGEXP] \
//	    [-analytics-n 8] [-analytics-budget 2m] [-render-n 8] \
//	    [-out docs/performance.md] [-json tmp/bench/results.json] [-baseline bench/baseline.json]
//
// With PG_FEATURESERV_BIN and PG_TILESERV_BIN (binaries built by hand from
// the reference servers' public sources, see bench/README.md) it also loads
// the dataset into plain PostGIS tables in the same throwaway database and
// measures the same cases on those servers in the same run.
//
// The database server is CONTROLMAP_BENCH_DATABASE_URL (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable); the role must
// be allowed to create databases. wrk and nginx must be installed
// (bench/bench.sh installs the Debian packages when they are missing).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"

	"github.com/controlmap/controlmap/bench/internal/proc"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// options are the command line.
type options struct {
	seed     int64
	dir      string
	load     load
	stores   []string
	out      string
	jsonOut  string
	baseline string
	dbURL    string
	embedded int            // how many times to time the embedded store's start
	render   string         // re-render the report from this results JSON, measuring nothing
	notes    string         // hand-written notes appended to the report
	only     *regexp.Regexp // when set, only the cases whose id it matches
	serve    []string       // extra arguments for controlmap serve
	// analyticsN is how many requests each timed analytics case asks, and
	// analyticsBudget how long one may go on sending them.
	analyticsN      int
	analyticsBudget time.Duration
	// renderN is how many requests i-render-cold asks.
	renderN int
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o := options{}
	fs.Int64Var(&o.seed, "seed", 1, "seed of the scale dataset")
	fs.StringVar(&o.dir, "dir", "tmp/bench", "working folder (datasets are cached here by seed)")
	fs.DurationVar(&o.load.Duration, "d", 10*time.Second, "duration of each wrk run (1s..60s)")
	fs.IntVar(&o.load.Connections, "c", 32, "wrk connections")
	fs.IntVar(&o.load.Threads, "t", 2, "wrk threads")
	stores := fs.String("stores", "memory,postgis", "stores to measure, comma-separated")
	fs.StringVar(&o.out, "out", "docs/performance.md", "the report to write (empty: none)")
	fs.StringVar(&o.jsonOut, "json", "tmp/bench/results.json", "the results as JSON (empty: none)")
	fs.StringVar(&o.baseline, "baseline", "bench/baseline.json", "results of an earlier run to show beside (missing: none)")
	fs.IntVar(&o.embedded, "embedded-runs", 5, "how many times to time the start of the embedded store")
	fs.StringVar(&o.render, "render", "", "write -out from this results JSON (of an earlier run) without measuring")
	fs.StringVar(&o.notes, "notes", "bench/performance-notes.md", "notes appended to the report (missing: none)")
	serveArgs := fs.String("serve-args", "", "extra arguments for controlmap serve, space-separated (e.g. \"--release-idle 0\" to compare)")
	fs.IntVar(&o.analyticsN, "analytics-n", defaultAnalyticsN, "requests of each cold analytics case (h-area-cold, h-change-cold, h-change-cold-far), asked one at a time (1..30)")
	fs.DurationVar(&o.analyticsBudget, "analytics-budget", 2*time.Minute, "a cold analytics case sends no further request after this long (10s..10m)")
	fs.IntVar(&o.renderN, "render-n", defaultRenderN, "requests of the cold picture case (i-render-cold), asked one at a time within -analytics-budget (1..30)")
	only := fs.String("cases", "", "run only the cases whose id matches this regular expression (a quick check; the report is then partial)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if *only != "" {
		re, err := regexp.Compile(*only)
		if err != nil {
			return o, fmt.Errorf("bench: -cases: %w", err)
		}
		o.only = re
	}
	o.serve = strings.Fields(*serveArgs)
	if fs.NArg() > 0 {
		return o, fmt.Errorf("bench: unexpected arguments %q", fs.Args())
	}
	if o.load.Duration < time.Second || o.load.Duration > time.Minute {
		return o, fmt.Errorf("bench: -d %s: want 1s..60s, so that the whole run stays bounded", o.load.Duration)
	}
	if o.analyticsN < 1 || o.analyticsN > 30 {
		return o, fmt.Errorf("bench: -analytics-n %d: want 1..30", o.analyticsN)
	}
	if o.renderN < 1 || o.renderN > 30 {
		return o, fmt.Errorf("bench: -render-n %d: want 1..30", o.renderN)
	}
	if o.analyticsBudget < 10*time.Second || o.analyticsBudget > 10*time.Minute {
		return o, fmt.Errorf("bench: -analytics-budget %s: want 10s..10m, so that the whole run stays bounded", o.analyticsBudget)
	}
	if o.load.Connections < 1 || o.load.Threads < 1 || o.load.Threads > o.load.Connections {
		return o, fmt.Errorf("bench: want 1 <= -t <= -c")
	}
	for _, s := range strings.Split(*stores, ",") {
		if s != "memory" && s != "postgis" {
			return o, fmt.Errorf("bench: unknown store %q (want memory or postgis)", s)
		}
		o.stores = append(o.stores, s)
	}
	o.dbURL = os.Getenv("CONTROLMAP_BENCH_DATABASE_URL")
	if o.dbURL == "" {
		o.dbURL = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	o, err := parseFlags(args, os.Stderr)
	if err != nil {
		return err
	}
	if o.render != "" {
		return renderOnly(o)
	}
	began := time.Now()
	for _, tool := range []string{"wrk", "nginx"} {
		if _, err := exec.LookPath(tool); err != nil && !(tool == "nginx" && fileExists("/usr/sbin/nginx")) {
			return fmt.Errorf("bench: %s is not installed (run bench/bench.sh, which installs it)", tool)
		}
	}
	logf := func(format string, args ...any) {
		fmt.Fprintf(stdout, "[%5.0fs] %s\n", time.Since(began).Seconds(), fmt.Sprintf(format, args...))
	}
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return err
	}
	dataDir, size, err := dataset(o.dir, o.seed, logf)
	if err != nil {
		return err
	}
	bin := filepath.Join(o.dir, "controlmap")
	logf("building %s", bin)
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/controlmap").CombinedOutput(); err != nil {
		return fmt.Errorf("bench: go build: %w\n%s", err, out)
	}
	rep := report{
		Date: time.Now().UTC().Format(time.RFC3339), Machine: machineInfo(o.dbURL), Commit: proc.GitCommit(),
		Load: o.load, Seed: o.seed, DatasetBytes: size,
	}
	rep.Embedded, err = timeEmbedded(bin, o.dir, o.embedded)
	if err != nil {
		return err
	}
	logf("embedded store ready in %v (median of %d)", rep.Embedded.Median, o.embedded)
	bins, err := refBins(os.Getenv)
	if err != nil {
		return err
	}
	logf("reading the dataset's point ids")
	pointIDs, ds, err := datasetIDs(o.seed, len(bins) > 0)
	if err != nil {
		return err
	}
	rr := &refResult{Servers: map[string]string{}}
	for name, env := range refEnv {
		if bins[name] == "" {
			rr.Servers[name] = "not run: " + env + " not set"
		} else {
			rr.Servers[name] = binVersion(bins[name])
		}
	}
	rep.Reference = rr
	// One throwaway database for the PostGIS store and the reference
	// servers' tables, dropped at the end.
	var dbURL string
	if slices.Contains(o.stores, "postgis") || len(bins) > 0 {
		var drop func()
		dbURL, drop, err = proc.CreateDB(ctx, o.dbURL, "controlmap_bench", "set CONTROLMAP_BENCH_DATABASE_URL")
		if err != nil {
			return err
		}
		defer drop()
	}
	if len(bins) > 0 {
		logf("reference: loading the dataset into plain tables (schema %s)", refSchema)
		t0 := time.Now()
		if err := loadRefTables(ctx, dbURL, ds); err != nil {
			return err
		}
		rr.Seconds = time.Since(t0).Seconds()
		logf("reference: tables loaded in %.0f s", rr.Seconds)
	}
	ds = nil
	var refs *refServers
	if len(bins) > 0 {
		if refs, err = startRefServers(o, bins, dbURL, rr, logf); err != nil {
			return err
		}
		defer func() { refs.stop() }()
	}
	var bodies map[string][]byte
	for _, name := range o.stores {
		sr, b, err := benchStore(ctx, o, name, bin, dataDir, dbURL, pointIDs, refs, logf)
		if err != nil {
			return err
		}
		if bodies == nil {
			bodies = b
		}
		rep.Stores = append(rep.Stores, sr)
	}
	rr.Restarts = refs.stop()
	refs = nil
	if bodies["a"] != nil && bodies["b"] != nil {
		rep.Nginx, err = benchNginx(ctx, o, bodies, logf)
		if err != nil {
			return err
		}
	}
	rep.Seconds = time.Since(began).Seconds()
	if o.baseline != "" {
		if b, err := os.ReadFile(o.baseline); err == nil {
			var base report
			if err := json.Unmarshal(b, &base); err != nil {
				return fmt.Errorf("bench: baseline %s: %w", o.baseline, err)
			}
			rep.Baseline = &base
		}
	}
	if o.jsonOut != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.jsonOut, append(b, '\n'), 0o644); err != nil {
			return err
		}
		logf("wrote %s", o.jsonOut)
	}
	if o.out != "" {
		if err := writeReport(o, &rep); err != nil {
			return err
		}
		logf("wrote %s", o.out)
	}
	logf("done")
	return nil
}

// writeReport writes the report with the notes file appended.
func writeReport(o options, rep *report) error {
	md := rep.markdown()
	if o.notes != "" {
		if b, err := os.ReadFile(o.notes); err == nil {
			md += "\n" + string(b)
		}
	}
	return os.WriteFile(o.out, []byte(md), 0o644)
}

// renderOnly writes the report of an earlier run's results.
func renderOnly(o options) error {
	b, err := os.ReadFile(o.render)
	if err != nil {
		return err
	}
	var rep report
	if err := json.Unmarshal(b, &rep); err != nil {
		return fmt.Errorf("bench: %s: %w", o.render, err)
	}
	if o.out == "" {
		return errors.New("bench: -render needs -out")
	}
	return writeReport(o, &rep)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// dataset returns the folder of the scale dataset for seed, generating it
// the first time, and the total size of its GeoJSON files.
func dataset(dir string, seed int64, logf func(string, ...any)) (string, int64, error) {
	out := filepath.Join(dir, fmt.Sprintf("scale-seed%d", seed))
	marker := filepath.Join(out, ".complete")
	if !fileExists(marker) {
		logf("generating the scale dataset (seed %d) in %s", seed, out)
		if err := os.RemoveAll(out); err != nil {
			return "", 0, err
		}
		ds := gen.Scale(seed, gen.Options{})
		if err := gen.WriteDir(out, ds); err != nil {
			return "", 0, err
		}
		if err := os.WriteFile(marker, []byte(ds.Digest+"\n"), 0o644); err != nil {
			return "", 0, err
		}
	} else {
		logf("using the cached scale dataset %s", out)
	}
	files, _ := filepath.Glob(filepath.Join(out, "*.geojson"))
	var size int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			size += st.Size()
		}
	}
	return out, size, nil
}

// datasetIDs generates the scale dataset of seed again (the same as its
// folder: it is a pure function of the seed, and quicker than reading the
// files) and returns the ids of its points and, when keep is set, the
// dataset itself.
func datasetIDs(seed int64, keep bool) ([]string, *geo.Dataset, error) {
	ds := gen.Scale(seed, gen.Options{})
	var ids []string
	for _, f := range ds.Features[gen.Points] {
		ids = append(ids, f.ID)
	}
	if len(ids) == 0 {
		return nil, nil, fmt.Errorf("bench: the dataset of seed %d has no points", seed)
	}
	if !keep {
		ds = nil
	}
	return ids, ds, nil
}

// embeddedTiming is how long the embedded store took to be ready.
type embeddedTiming struct {
	Runs   []time.Duration `json:"runs"`
	Median time.Duration   `json:"median"`
	RSS    int64           `json:"rss"`
}

// timeEmbedded starts `controlmap serve` on the shipped dataset n times and
// times each until /readyz answers.
func timeEmbedded(bin, dir string, n int) (embeddedTiming, error) {
	var t embeddedTiming
	for i := range n {
		p, ready, err := proc.StartControlmap(bin, "embedded", filepath.Join(dir, "embedded.log"), proc.ControlmapEnv())
		if err != nil {
			return t, err
		}
		if i == 0 {
			time.Sleep(time.Second)
			t.RSS, _ = p.Memory()
		}
		p.Stop()
		t.Runs = append(t.Runs, ready)
	}
	sorted := slices.Clone(t.Runs)
	slices.Sort(sorted)
	t.Median = sorted[len(sorted)/2]
	return t, nil
}
