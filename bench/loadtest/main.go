// Command loadtest is `make loadtest`: it holds 64 connections on
// controlmap for 60 s on each store, and checks that the server keeps
// serving.
//
//	go run ./bench/loadtest [-stores memory,postgis] [-c 64] [-d 60s] [-out docs/reliability.md]
//
// For each store it builds controlmap and cmd/loadgen, serves the shipped
// dataset on a loopback port (the embedded store from a copy of data/, or
// PostGIS from a throwaway database the dataset is imported into), warms
// the server up, samples its goroutines and live heap (POST
// /admin/runtime/gc, after emptying the response cache), runs the load,
// samples again, and checks:
//
//   - memory: every request answered 200 (or 304), with a reload of the
//     folder (POST /admin/reload) in the middle;
//   - postgis: PostgreSQL stopped in the middle (-down-at) and started again
//     -down later: while it is down, only 503s with Retry-After and stale
//     answers from the cache (some of each), every answer a success again
//     within 10 s of its start, no request without an answer;
//   - both: no goroutine or live heap growth between before and after.
//
// The URLs mix what many readers ask (layers at dates, tiles, the timeline)
// with distinct bbox queries that miss every cache, so that the outage shows.
// It writes docs/reliability.md with the date and the machine, keeps the
// raw reports and server logs in tmp/loadtest, and exits 1 when a check
// failed. It stops the machine's PostgreSQL cluster for the PostGIS run
// (pg_ctlcluster, or -pg-stop and -pg-start) and starts it again, also after
// Ctrl-C, SIGTERM or SIGHUP; if the start fails it says so loudly.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/controlmap/controlmap/bench/internal/loadurls"
	"github.com/controlmap/controlmap/bench/internal/proc"
	"github.com/controlmap/controlmap/internal/loadgen"
	"github.com/jackc/pgx/v5"
)

type options struct {
	stores      []string
	conns       int
	duration    time.Duration
	warmup      time.Duration
	downAt      time.Duration
	down        time.Duration
	reloadAt    time.Duration
	out         string
	dir         string
	dbURL       string
	pgStop      string
	pgStart     string
	urlsPerLoad int
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	o, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Fprintln(os.Stderr, "loadtest: FAILED: see", o.out)
		os.Exit(1)
	}
	fmt.Println("loadtest: every check passed; results in", o.out)
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	stores := fs.String("stores", "memory,postgis", "stores to load, in order")
	fs.IntVar(&o.conns, "c", 64, "concurrent connections")
	fs.DurationVar(&o.duration, "d", 60*time.Second, "load duration per store")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "warm-up load before the first sample")
	fs.DurationVar(&o.downAt, "down-at", 20*time.Second, "PostGIS run: when to stop PostgreSQL, from the start of the load")
	fs.DurationVar(&o.down, "down", 5*time.Second, "PostGIS run: how long PostgreSQL stays stopped")
	fs.DurationVar(&o.reloadAt, "reload-at", 30*time.Second, "memory run: when to reload the folder (POST /admin/reload)")
	fs.StringVar(&o.out, "out", "docs/reliability.md", "the report to write")
	fs.StringVar(&o.dir, "dir", "tmp/loadtest", "where the binaries, raw reports and server logs go")
	fs.StringVar(&o.dbURL, "db", envOr("CONTROLMAP_LOADTEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"PostgreSQL on this machine where a throwaway database is made (env CONTROLMAP_LOADTEST_DATABASE_URL)")
	fs.StringVar(&o.pgStop, "pg-stop", "", "shell command stopping PostgreSQL (default: pg_ctlcluster ... stop -m fast for the cluster on -db's port)")
	fs.StringVar(&o.pgStart, "pg-start", "", "shell command starting PostgreSQL again (default: pg_ctlcluster ... start)")
	fs.IntVar(&o.urlsPerLoad, "urls", 60000, "URLs per load list (half distinct bbox queries)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("loadtest: unexpected argument %q", fs.Arg(0))
	}
	for _, s := range strings.Split(*stores, ",") {
		if s != "memory" && s != "postgis" {
			return o, fmt.Errorf("loadtest: -stores: unknown store %q (memory, postgis)", s)
		}
		o.stores = append(o.stores, s)
	}
	switch {
	case o.conns < 1 || o.conns > 1024:
		return o, fmt.Errorf("loadtest: -c %d: want 1..1024", o.conns)
	case o.duration < 10*time.Second || o.duration > 5*time.Minute:
		return o, fmt.Errorf("loadtest: -d %s: want 10s..5m", o.duration)
	case slices.Contains(o.stores, "postgis") && (o.downAt <= 0 || o.downAt+o.down+recoveryLimit*time.Second > o.duration):
		return o, fmt.Errorf("loadtest: -down-at %s and -down %s: the outage and %d s of recovery must fit in -d %s", o.downAt, o.down, recoveryLimit, o.duration)
	case slices.Contains(o.stores, "memory") && (o.reloadAt <= 0 || o.reloadAt >= o.duration):
		return o, fmt.Errorf("loadtest: -reload-at %s: want within -d %s", o.reloadAt, o.duration)
	case o.urlsPerLoad < 100 || o.urlsPerLoad > 100000:
		return o, fmt.Errorf("loadtest: -urls %d: want 100..100000", o.urlsPerLoad)
	}
	return o, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// storeResult is one store's run.
type storeResult struct {
	Store         string
	Load          *loadgen.Report
	Before, After runtimeSample
	Outage        *outage       // postgis
	OutageResult  *outageResult // postgis
	ReloadAt      float64       // memory: seconds from the start of the load; 0: none
	ReloadStatus  int
	PGStop        string // postgis: the commands that stopped and started PostgreSQL
	PGStart       string
	Failed        []string
}

// run runs every store and writes the report; ok is false when a check failed.
func run(ctx context.Context, o options) (ok bool, err error) {
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return false, err
	}
	bins, err := build(ctx, o.dir)
	if err != nil {
		return false, err
	}
	started, commit := time.Now(), proc.GitCommit()
	var results []storeResult
	for _, store := range o.stores {
		r, err := runStore(ctx, o, bins, store)
		if err != nil {
			return false, fmt.Errorf("%s: %w", store, err)
		}
		for _, f := range r.Failed {
			fmt.Fprintf(os.Stderr, "loadtest: %s: FAIL: %s\n", store, f)
		}
		results = append(results, r)
	}
	m := proc.ReadMachine(ctx, o.dbURL)
	if err := writeReport(o, m, commit, started, results); err != nil {
		return false, err
	}
	ok = true
	for _, r := range results {
		ok = ok && len(r.Failed) == 0
	}
	return ok, nil
}

type binaries struct{ controlmap, loadgen string }

// build compiles controlmap and loadgen into dir.
func build(ctx context.Context, dir string) (binaries, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return binaries{}, err
	}
	b := binaries{controlmap: filepath.Join(abs, "controlmap"), loadgen: filepath.Join(abs, "loadgen")}
	for pkg, out := range map[string]string{"./cmd/controlmap": b.controlmap, "./cmd/loadgen": b.loadgen} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		if outb, err := cmd.CombinedOutput(); err != nil {
			return b, fmt.Errorf("go build %s: %w\n%s", pkg, err, outb)
		}
	}
	return b, nil
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "loadtest: "+format+"\n", args...)
}

// runStore serves the dataset from one store and loads it.
func runStore(ctx context.Context, o options, bins binaries, store string) (storeResult, error) {
	r := storeResult{Store: store}
	token := proc.RandomToken()
	env := proc.ControlmapEnv("CONTROLMAP_ADMIN_TOKEN=" + token)
	args := []string{"--rate-limit", "0"}
	logPath := filepath.Join(o.dir, store+".log")
	var pg *cluster
	switch store {
	case "memory":
		// A copy of data/, so that the reload reads a folder of its own.
		dir := filepath.Join(o.dir, "data")
		if err := proc.CopyDataset("data", dir); err != nil {
			return r, err
		}
		args = append(args, "--data", dir)
	case "postgis":
		var err error
		if pg, err = findCluster(ctx, o); err != nil {
			return r, err
		}
		r.PGStop, r.PGStart = pg.stop, pg.start
		dbURL, drop, err := proc.CreateDB(ctx, o.dbURL, "controlmap_loadtest", "set CONTROLMAP_LOADTEST_DATABASE_URL")
		if err != nil {
			return r, err
		}
		defer drop()
		logf("postgis: importing data/ into a throwaway database")
		cmd := exec.CommandContext(ctx, bins.controlmap, "import", "--log-level", "warn", "data")
		cmd.Env = proc.ControlmapEnv("DATABASE_URL=" + dbURL)
		if out, err := cmd.CombinedOutput(); err != nil {
			return r, fmt.Errorf("controlmap import: %w\n%s", err, out)
		}
		env = append(env, "DATABASE_URL="+dbURL)
	}
	p, ready, err := proc.StartControlmap(bins.controlmap, store, logPath, env, args...)
	if err != nil {
		return r, err
	}
	defer p.Stop()
	base := "http://" + p.Addr
	logf("%s: serving on %s (ready in %s)", store, p.Addr, ready.Round(time.Millisecond))
	admin := &adminClient{base: base, token: token}

	popular, err := loadurls.Popular(ctx, base)
	if err != nil {
		return r, err
	}
	warm := filepath.Join(o.dir, store+"-warmup.urls")
	main := filepath.Join(o.dir, store+".urls")
	if err := loadurls.Write(warm, loadurls.Mix(base, popular, o.urlsPerLoad, 2)); err != nil {
		return r, err
	}
	if err := loadurls.Write(main, loadurls.Mix(base, popular, o.urlsPerLoad, 1)); err != nil {
		return r, err
	}

	logf("%s: warming up for %s", store, o.warmup)
	if _, err := runLoadgen(ctx, bins.loadgen, warm, o.conns, o.warmup, filepath.Join(o.dir, store+"-warmup.json")); err != nil {
		return r, err
	}
	time.Sleep(2 * time.Second)
	if r.Before, err = admin.sample(ctx, p); err != nil {
		return r, err
	}
	logf("%s: before: %d goroutines, live heap %s, RSS %s", store, r.Before.Goroutines, mib(r.Before.HeapAllocBytes), mib(uint64(r.Before.RSSBytes)))

	logf("%s: %d connections for %s", store, o.conns, o.duration)
	type done struct {
		rep *loadgen.Report
		err error
	}
	ch := make(chan done, 1)
	t0 := time.Now()
	go func() {
		rep, err := runLoadgen(ctx, bins.loadgen, main, o.conns, o.duration, filepath.Join(o.dir, store+".json"))
		ch <- done{rep, err}
	}()
	var stopAt, stoppedAt, startAt, startedAt time.Time
	switch store {
	case "memory":
		if sleepCtx(ctx, time.Until(t0.Add(o.reloadAt))) {
			r.ReloadAt = time.Since(t0).Seconds()
			r.ReloadStatus, err = admin.post(ctx, "/admin/reload", nil)
			if err != nil {
				r.Failed = append(r.Failed, "reload: "+err.Error())
			}
			logf("memory: POST /admin/reload at %.1f s: %d", r.ReloadAt, r.ReloadStatus)
		}
	case "postgis":
		if sleepCtx(ctx, time.Until(t0.Add(o.downAt))) {
			logf("postgis: stopping PostgreSQL (%s)", pg.stop)
			stopAt = time.Now()
			if err := pg.run(ctx, pg.stop); err != nil {
				// It may be stopped or stopping all the same.
				if upErr := pg.ensureUp(context.WithoutCancel(ctx), o.dbURL); upErr != nil {
					err = errors.Join(err, upErr)
				}
				<-ch
				return r, fmt.Errorf("stopping PostgreSQL: %w", err)
			}
			stoppedAt = time.Now()
			sleepCtx(ctx, time.Until(stopAt.Add(o.down)))
			logf("postgis: starting PostgreSQL (%s)", pg.start)
			startAt = time.Now()
			err := pg.ensureUp(context.WithoutCancel(ctx), o.dbURL)
			startedAt = time.Now()
			if err != nil {
				<-ch
				return r, err
			}
		}
	}
	d := <-ch
	if d.err != nil {
		return r, d.err
	}
	r.Load = d.rep
	loadStart := d.rep.Started

	// After: let the connections close, then sample; a growth in
	// goroutines gets a few seconds to wind down before it counts.
	time.Sleep(2 * time.Second)
	for i := 0; ; i++ {
		if r.After, err = admin.sample(ctx, p); err != nil {
			return r, err
		}
		if len(checkGrowth(r.Before, r.After)) == 0 || i == 10 {
			break
		}
		time.Sleep(time.Second)
	}
	logf("%s: after: %d goroutines, live heap %s, RSS %s", store, r.After.Goroutines, mib(r.After.HeapAllocBytes), mib(uint64(r.After.RSSBytes)))

	switch store {
	case "memory":
		r.Failed = append(r.Failed, checkLoad(r.Load)...)
		if r.ReloadStatus != http.StatusOK {
			r.Failed = append(r.Failed, fmt.Sprintf("POST /admin/reload answered %d, want 200", r.ReloadStatus))
		}
	case "postgis":
		if stoppedAt.IsZero() || startedAt.IsZero() {
			r.Failed = append(r.Failed, "PostgreSQL was not restarted")
			break
		}
		off := func(t time.Time) float64 { return t.Sub(loadStart).Seconds() }
		r.Outage = &outage{Stop: off(stopAt), Stopped: off(stoppedAt), Start: off(startAt), Started: off(startedAt)}
		res, bad := checkOutage(r.Load, *r.Outage)
		r.OutageResult = &res
		r.Failed = append(r.Failed, bad...)
	}
	r.Failed = append(r.Failed, checkGrowth(r.Before, r.After)...)
	if err := p.Stop(); err != nil {
		r.Failed = append(r.Failed, fmt.Sprintf("the server did not stop cleanly on SIGTERM: %v", err))
	}
	return r, nil
}

// runLoadgen runs cmd/loadgen and reads its JSON report.
func runLoadgen(ctx context.Context, bin, urls string, conns int, d time.Duration, out string) (*loadgen.Report, error) {
	cmd := exec.CommandContext(ctx, bin, "-urls", urls, "-c", fmt.Sprint(conns), "-d", d.String(),
		"-timeout", "10s", "-tag", "X-Cache", "-json", out)
	// Its own process group: a Ctrl-C reaches the load test, which ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var text strings.Builder
	cmd.Stdout, cmd.Stderr = &text, &text
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("loadgen: %w\n%s", err, text.String())
	}
	if err := os.WriteFile(strings.TrimSuffix(out, ".json")+".txt", []byte(text.String()), 0o644); err != nil {
		return nil, err
	}
	return loadgen.ReadReport(out)
}

// adminClient calls the server's admin endpoints with its token.
type adminClient struct {
	base, token string
}

func (a *adminClient) post(ctx context.Context, path string, v any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.base+path, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+a.token)
	// A connection of its own, closed after: it must not count as a
	// goroutine left over by the load.
	req.Close = true
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return resp.StatusCode, err
	}
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, fmt.Errorf("POST %s: %d %s", path, resp.StatusCode, body)
	}
	if v != nil {
		return resp.StatusCode, json.Unmarshal(body, v)
	}
	return resp.StatusCode, nil
}

// sample empties the response cache, collects garbage and reads the
// server's goroutines and live heap, and its RSS.
func (a *adminClient) sample(ctx context.Context, p *proc.Process) (runtimeSample, error) {
	var s runtimeSample
	if _, err := a.post(ctx, "/admin/cache/purge", nil); err != nil {
		return s, err
	}
	if _, err := a.post(ctx, "/admin/runtime/gc", &s); err != nil {
		return s, err
	}
	s.RSSBytes, _ = p.Memory()
	return s, nil
}

// cluster is the PostgreSQL server the PostGIS run stops and starts.
type cluster struct{ stop, start string }

// findCluster returns the commands that stop and start PostgreSQL: -pg-stop
// and -pg-start, or pg_ctlcluster for the Debian cluster listening on -db's
// port. It refuses a database that is not on this machine.
func findCluster(ctx context.Context, o options) (*cluster, error) {
	u, err := url.Parse(o.dbURL)
	if err != nil {
		return nil, fmt.Errorf("-db: %w", err)
	}
	host := u.Hostname()
	if addr, err := netip.ParseAddr(host); host != "localhost" && (err != nil || !addr.IsLoopback()) {
		return nil, fmt.Errorf("-db %s: the load test restarts PostgreSQL, so it must run on this machine (localhost)", proc.Redact(o.dbURL))
	}
	if o.pgStop != "" || o.pgStart != "" {
		if o.pgStop == "" || o.pgStart == "" {
			return nil, errors.New("give both -pg-stop and -pg-start")
		}
		return &cluster{stop: o.pgStop, start: o.pgStart}, nil
	}
	port := u.Port()
	if port == "" {
		port = "5432"
	}
	out, err := exec.CommandContext(ctx, "pg_lsclusters", "--no-header").Output()
	if err != nil {
		return nil, fmt.Errorf("pg_lsclusters: %w (not Debian's PostgreSQL? give -pg-stop and -pg-start)", err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[2] == port && f[3] == "online" {
			c := "pg_ctlcluster --skip-systemctl-redirect " + f[0] + " " + f[1]
			return &cluster{stop: c + " stop -m fast", start: c + " start"}, nil
		}
	}
	return nil, fmt.Errorf("no online cluster on port %s in pg_lsclusters:\n%s", port, out)
}

// run runs a stop or start command, in a process group of its own so that
// a Ctrl-C meant for the load test does not interrupt it.
func (c *cluster) run(ctx context.Context, command string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", command, err, out)
	}
	return nil
}

// ensureUp starts PostgreSQL and waits until dbURL accepts connections. A
// start command that fails (the server was running after all) is fine if
// the server answers within 30 s.
func (c *cluster) ensureUp(ctx context.Context, dbURL string) error {
	startErr := c.run(ctx, c.start)
	deadline := time.Now().Add(30 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		conn, err := pgx.Connect(cctx, dbURL)
		cancel()
		if err == nil {
			conn.Close(ctx)
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("PostgreSQL is not answering after its start (%v; start: %v); START IT BY HAND: %s", err, startErr, c.start)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(max(d, 0))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
