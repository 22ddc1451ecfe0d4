package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/controlmap/controlmap/bench/internal/loadurls"
	"github.com/controlmap/controlmap/bench/internal/proc"
	"github.com/controlmap/controlmap/internal/loadgen"
)

// replica is one controlmap serve behind nginx.
type replica struct {
	n    int // 1-based
	addr string
	p    *proc.Process
	env  []string
	args []string
	log  string
}

// result is everything the report shows.
type result struct {
	Options  options
	Machine  proc.Machine
	Commit   string
	Started  time.Time
	Nginx    string
	Standby  standbyInfo
	Warmup   *loadgen.Report
	Load     *loadgen.Report
	Edits    []editResult
	Kill     *killEvent
	Outage   *standbyEvent
	Before   []runtimeSample // by replica, after the warm-up
	After    []runtimeSample // by replica, after the load
	Served   []replicaCounts // by replica, from /metrics after the load
	HBAAdded bool
	Repl     replicationState
	Failed   []string
	edge     string // nginx's base URL
	killRes  killResult
	outRes   outageResult
}

type standbyInfo struct {
	Port        int
	Backup      time.Duration // pg_basebackup
	Ready       time.Duration // start to serving the database in recovery
	PrimaryVer  string
	DatabaseMiB float64
}

// run sets everything up, runs the load and its events, checks, reports,
// and stops everything it started whatever happens.
func run(ctx context.Context, o options) (ok bool, err error) {
	pt := paths{o.dir}
	r := &result{Options: o, Commit: proc.GitCommit(), Started: time.Now()}
	p, err := newPrimary(o.dbURL)
	if err != nil {
		return false, err
	}
	// Start from nothing: whatever an earlier run left is stopped and dropped.
	if err := cleanLeftovers(ctx, o); err != nil {
		return false, fmt.Errorf("clean what an earlier run left: %w", err)
	}
	if err := os.RemoveAll(o.dir); err != nil {
		return false, err
	}
	for _, d := range []string{"bin", "logs"} {
		if err := os.MkdirAll(filepath.Join(o.dir, d), 0o755); err != nil {
			return false, err
		}
	}
	if err := os.Chmod(o.dir, 0o755); err != nil { // nginx's workers (nobody) write under it
		return false, err
	}

	// Everything started is stopped in reverse order, also on error or a
	// signal (ctx), without ctx so that the stops themselves run.
	var undo []func()
	defer func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}()
	bg := context.WithoutCancel(ctx)

	logf("building controlmap and loadgen into %s", pt.bin(""))
	if err := build(ctx, pt); err != nil {
		return false, err
	}

	// The primary: replication allowed, a slot, the dataset, a reader.
	added, err := p.allowReplication(ctx)
	r.HBAAdded = added
	if added {
		undo = append(undo, func() {
			if err := p.removeReplicationLine(bg); err != nil {
				logf("could not remove the pg_hba.conf line: %v (run: go run ./bench/scaleout -cleanup)", err)
			}
		})
	}
	if err != nil {
		return false, err
	}
	dbURL, drop, err := proc.CreateDB(ctx, o.dbURL, dbPrefix, "set CONTROLMAP_SCALEOUT_DATABASE_URL")
	if err != nil {
		return false, err
	}
	u, err := url.Parse(dbURL)
	if err != nil {
		return false, err
	}
	dbName := strings.TrimPrefix(u.Path, "/")
	undo = append(undo, func() {
		drop()
		if err := p.dropReader(bg); err != nil {
			logf("could not drop role %s: %v", readerRole, err)
		}
	})
	if err := proc.CopyDataset("data", pt.data()); err != nil {
		return false, err
	}
	logf("importing data/ into %s on the primary", dbName)
	if _, err := importOn(ctx, pt, dbURL, pt.data()); err != nil {
		return false, err
	}
	if err := p.createReader(ctx, dbURL, dbName); err != nil {
		return false, fmt.Errorf("create the read-only role: %w", err)
	}

	// The standby.
	port, err := freePort()
	if err != nil {
		return false, err
	}
	sc := standbyConfig{Port: port, SocketDir: pt.standbySock(), PrimaryHost: p.host, PrimaryPort: p.port, PrimaryUser: pgReplUser,
		Slot: slotName, AppName: standbyApp}
	if err := p.limits(ctx, &sc); err != nil {
		return false, fmt.Errorf("read the primary's settings: %w", err)
	}
	if err := sc.Validate(); err != nil {
		return false, err
	}
	if err := p.createSlot(ctx); err != nil {
		return false, err
	}
	undo = append(undo, func() {
		if err := p.dropSlot(bg); err != nil {
			logf("could not drop the replication slot %s: %v (it keeps WAL on the primary: run go run ./bench/scaleout -cleanup)", slotName, err)
		}
	})
	sb := &standby{bin: o.pgBin, dir: pt.standbyData(), sockDir: pt.standbySock(), logPath: pt.standbyLog(), port: port}
	logf("pg_basebackup of the primary into %s", sb.dir)
	t0 := time.Now()
	if err := sb.create(ctx, p, sc); err != nil {
		return false, err
	}
	r.Standby.Backup = time.Since(t0)
	t0 = time.Now()
	undo = append(undo, func() {
		if sb.running() {
			if err := sb.stop(bg); err != nil {
				logf("could not stop the standby: %v", err)
			}
		}
		_ = os.RemoveAll(sb.dir) // the copy of the cluster; its log stays
	})
	if err := sb.start(ctx); err != nil {
		return false, err
	}
	if err := sb.waitReplica(ctx, readerRole, dbName, 60*time.Second); err != nil {
		return false, err
	}
	r.Standby.Ready = time.Since(t0)
	r.Standby.Port = port
	logf("standby on 127.0.0.1:%d, serving %s in recovery (backup %s, ready %s)", port, dbName, r.Standby.Backup.Round(time.Millisecond), r.Standby.Ready.Round(time.Millisecond))

	// The replicas and nginx.
	token := proc.RandomToken()
	edgeAddr, err := proc.FreeAddr()
	if err != nil {
		return false, err
	}
	replicas := make([]*replica, o.replicas)
	for i := range replicas {
		addr, err := proc.FreeAddr()
		if err != nil {
			return false, err
		}
		replicas[i] = &replica{n: i + 1, addr: addr, log: pt.log(fmt.Sprintf("replica-%d.log", i+1)),
			env: proc.ControlmapEnv("DATABASE_URL="+sb.url(readerRole, dbName), "CONTROLMAP_ADMIN_TOKEN="+token),
			args: []string{"serve", "--addr", addr, "--migrate=false", "--log-level", "warn",
				"--change-poll", o.changePoll.String(), "--shared-max-age", o.sharedMaxAge.String(),
				"--base-url", "http://" + edgeAddr, "--trusted-proxies", "127.0.0.1"}}
	}
	defer func() {
		for _, rep := range replicas {
			if rep.p != nil {
				_ = rep.p.Stop()
			}
		}
	}()
	for _, rep := range replicas {
		if err := rep.start(pt); err != nil {
			return false, err
		}
	}
	ec := edgeConfig{Dir: pt.nginx(), Listen: edgeAddr, FailTimeout: 2 * time.Second, MaxFails: 1,
		RetryAfter: 5 * time.Second, CacheSize: "512m", Inactive: 10 * time.Minute}
	for _, rep := range replicas {
		ec.Replicas = append(ec.Replicas, rep.addr)
	}
	edge, err := startNginx(ec)
	if err != nil {
		return false, err
	}
	writePID(filepath.Join(pt.nginx(), "nginx.master.pid"), edge)
	defer edge.Stop()
	r.Nginx = nginxVersion()
	base := "http://" + edgeAddr
	r.edge = base
	logf("nginx on %s in front of %d replicas", edgeAddr, len(replicas))

	// The load.
	popular, err := loadurls.Popular(ctx, base)
	if err != nil {
		return false, err
	}
	warm, main := pt.log("warmup.urls"), pt.log("load.urls")
	if err := loadurls.Write(warm, loadurls.Mix(base, popular, o.urls, 2)); err != nil {
		return false, err
	}
	if err := loadurls.Write(main, loadurls.Mix(base, popular, o.urls, 1)); err != nil {
		return false, err
	}
	ed, err := newEditor(ctx, pt, base, dbURL)
	if err != nil {
		return false, err
	}
	logf("warming up for %s", o.warmup)
	if r.Warmup, err = runLoadgen(ctx, pt, warm, o.conns, o.warmup, pt.log("warmup.json")); err != nil {
		return false, err
	}
	time.Sleep(2 * time.Second)
	for _, rep := range replicas {
		s, err := sample(ctx, rep, token)
		if err != nil {
			return false, err
		}
		r.Before = append(r.Before, s)
	}

	logf("%d connections through nginx for %s", o.conns, o.duration)
	type done struct {
		rep *loadgen.Report
		err error
	}
	ch := make(chan done, 1)
	start := time.Now()
	go func() {
		rep, err := runLoadgen(ctx, pt, main, o.conns, o.duration, pt.log("load.json"))
		ch <- done{rep, err}
	}()
	evErr := r.events(ctx, o, start, ed, replicas, sb, dbName, pt)
	d := <-ch
	if d.err != nil {
		return false, d.err
	}
	if evErr != nil {
		return false, evErr
	}
	r.Load = d.rep
	r.shift(d.rep.Started.Sub(start).Seconds())

	time.Sleep(2 * time.Second)
	for i, rep := range replicas {
		var s runtimeSample
		for try := 0; ; try++ {
			if s, err = sample(ctx, rep, token); err != nil {
				return false, err
			}
			if i == r.Kill.Replica-1 || len(checkGrowth(r.Before[i], s)) == 0 || try == 10 {
				break
			}
			time.Sleep(time.Second)
		}
		r.After = append(r.After, s)
		r.Served = append(r.Served, countsOf(ctx, rep))
	}
	r.Repl, _ = p.replication(ctx)
	r.Machine = proc.ReadMachine(ctx, o.dbURL)
	r.Standby.PrimaryVer = r.Machine.PostgreSQL
	r.Failed = r.check(o)
	for _, rep := range replicas {
		if err := rep.p.Stop(); err != nil {
			r.Failed = append(r.Failed, fmt.Sprintf("replica %d did not stop cleanly on SIGTERM: %v", rep.n, err))
		}
		rep.p = nil
		_ = os.Remove(pt.replicaPID(rep.n - 1))
	}
	if err := writeReport(o.out, r); err != nil {
		return false, err
	}
	for _, f := range r.Failed {
		logf("FAIL: %s", f)
	}
	return len(r.Failed) == 0, nil
}

// build compiles controlmap and loadgen.
func build(ctx context.Context, pt paths) error {
	for pkg, out := range map[string]string{"./cmd/controlmap": pt.bin("controlmap"), "./cmd/loadgen": pt.bin("loadgen")} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", out, pkg)
		if b, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("go build %s: %w\n%s", pkg, err, b)
		}
	}
	return nil
}

// importOn runs controlmap import of what (a folder or a file) into dbURL
// and returns how long it took.
func importOn(ctx context.Context, pt paths, dbURL, what string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, pt.bin("controlmap"), "import", "--log-level", "warn", what)
	cmd.Env = proc.ControlmapEnv("DATABASE_URL=" + dbURL)
	t0 := time.Now()
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, fmt.Errorf("controlmap import %s: %w\n%s", what, err, out)
	}
	return time.Since(t0), nil
}

// start starts the replica on its address and waits until /readyz says 200.
func (rep *replica) start(pt paths) error {
	cmd := exec.Command(pt.bin("controlmap"), rep.args...)
	cmd.Env = rep.env
	f, err := os.OpenFile(rep.log, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	f.Close()
	t0 := time.Now()
	p, err := proc.Start(fmt.Sprintf("replica %d", rep.n), cmd, rep.addr, rep.log+".run")
	if err != nil {
		return err
	}
	writePID(pt.replicaPID(rep.n-1), p)
	if _, err := p.WaitReady("http://"+rep.addr+"/readyz", t0, 60*time.Second); err != nil {
		_ = p.Stop()
		return err
	}
	rep.p = p
	return nil
}

// kill ends the replica with SIGKILL, as a crash would.
func (rep *replica) kill() {
	_ = syscall.Kill(-rep.p.Cmd.Process.Pid, syscall.SIGKILL)
	_ = rep.p.Stop() // reaps it
	rep.p = nil
}

// startNginx writes the configuration and starts nginx, waiting until it
// answers /readyz through a replica.
func startNginx(c edgeConfig) (*proc.Process, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return nil, err
	}
	conf := nginxConfPath(c.Dir)
	if err := os.WriteFile(conf, []byte(nginxConf(c)), 0o644); err != nil {
		return nil, err
	}
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	p, err := proc.Start("nginx", exec.Command(bin, "-e", filepath.Join(c.Dir, "error.log"), "-p", c.Dir, "-c", conf), c.Listen, filepath.Join(c.Dir, "nginx.out"))
	if err != nil {
		return nil, err
	}
	if _, err := p.WaitReady("http://"+c.Listen+"/readyz", time.Now(), 30*time.Second); err != nil {
		_ = p.Stop()
		return nil, err
	}
	return p, nil
}

func nginxVersion() string {
	bin, err := exec.LookPath("nginx")
	if err != nil {
		bin = "/usr/sbin/nginx"
	}
	out, err := exec.Command(bin, "-v").CombinedOutput()
	if err != nil {
		return "unknown"
	}
	return strings.TrimPrefix(strings.TrimSpace(string(out)), "nginx version: ")
}

// runLoadgen runs cmd/loadgen, tagging answers by nginx's X-Edge, and reads
// its JSON report.
func runLoadgen(ctx context.Context, pt paths, urls string, conns int, d time.Duration, out string) (*loadgen.Report, error) {
	cmd := exec.CommandContext(ctx, pt.bin("loadgen"), "-urls", urls, "-c", strconv.Itoa(conns), "-d", d.String(),
		"-timeout", "10s", "-tag", edgeHeader, "-json", out)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var text bytes.Buffer
	cmd.Stdout, cmd.Stderr = &text, &text
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("loadgen: %w\n%s", err, text.String())
	}
	if err := os.WriteFile(strings.TrimSuffix(out, ".json")+".txt", text.Bytes(), 0o644); err != nil {
		return nil, err
	}
	return loadgen.ReadReport(out)
}

// runtimeSample is what POST /admin/runtime/gc reports, with the RSS.
type runtimeSample struct {
	Goroutines     int    `json:"goroutines"`
	HeapAllocBytes uint64 `json:"heap_alloc_bytes"`
	HeapObjects    uint64 `json:"heap_objects"`
	RSSBytes       int64  `json:"rss_bytes"`
	Conns          int    `json:"-"` // established TCP connections to the replica
}

// sample empties the replica's response cache, collects garbage and reads
// its goroutines and live heap, and its RSS.
func sample(ctx context.Context, rep *replica, token string) (runtimeSample, error) {
	var s runtimeSample
	if err := adminPost(ctx, rep.addr, token, "/admin/cache/purge", nil); err != nil {
		return s, err
	}
	if err := adminPost(ctx, rep.addr, token, "/admin/runtime/gc", &s); err != nil {
		return s, err
	}
	s.RSSBytes, _ = rep.p.Memory()
	s.Conns = openConns(rep.addr)
	return s, nil
}

// openConns counts the established TCP connections whose local end is addr
// (an IPv4 loopback host:port), from /proc/net/tcp.
func openConns(addr string) int {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0
	}
	p, err := strconv.Atoi(port)
	if err != nil {
		return 0
	}
	b, err := os.ReadFile("/proc/net/tcp")
	if err != nil {
		return 0
	}
	return countConns(string(b), p)
}

// countConns counts the lines of a /proc/net/tcp text in state 01
// (established) with local port port.
func countConns(table string, port int) int {
	n := 0
	suffix := fmt.Sprintf(":%04X", port)
	for _, line := range strings.Split(table, "\n") {
		f := strings.Fields(line)
		if len(f) > 3 && strings.HasSuffix(f[1], suffix) && f[3] == "01" {
			n++
		}
	}
	return n
}

func adminPost(ctx context.Context, addr, token, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+addr+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Close = true // not a connection left open on the replica
	resp, err := (&http.Client{Timeout: 30 * time.Second}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s%s: %d %s", addr, path, resp.StatusCode, body)
	}
	if v != nil {
		return json.Unmarshal(body, v)
	}
	return nil
}

// replicaCounts are what a replica's /metrics says it served.
type replicaCounts struct {
	Requests  float64 // controlmap_http_requests_total, every route and status
	NotModify float64 // its 304s: nginx's revalidations that cost no body
	Stale     float64 // controlmap_stale_answers_total
}

func countsOf(ctx context.Context, rep *replica) replicaCounts {
	var c replicaCounts
	b, err := loadurls.Get(ctx, "http://"+rep.addr+"/metrics", 10*time.Second)
	if err != nil {
		return c
	}
	for _, line := range strings.Split(string(b), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 || strings.HasPrefix(line, "#") {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			continue
		}
		name := line[:i]
		switch {
		case strings.HasPrefix(name, "controlmap_http_requests_total{"):
			c.Requests += v
			if strings.Contains(name, `status="304"`) {
				c.NotModify += v
			}
		case strings.HasPrefix(name, "controlmap_stale_answers_total"):
			c.Stale += v
		}
	}
	return c
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// errNotSeen marks a change not seen within the wait.
var errNotSeen = errors.New("not seen")
