// Command scaleout is `make scaleout` (bench/scaleout.sh): controlmap scaled
// out on the engines users already run, shown on this machine, bounded in
// time, stopping everything it started.
//
//	go run ./bench/scaleout [-replicas 2] [-c 64] [-d 60s] [-out docs/scaleout.md]
//	go run ./bench/scaleout -cleanup    # stop and drop what a killed run left
//
// It makes a second PostgreSQL cluster under -dir, a streaming standby of
// the machine's cluster (pg_basebackup through a replication slot, its own
// port, PostGIS with it since the extension lives in the database); imports
// the shipped dataset on the primary and creates a read-only role; starts
// -replicas `controlmap serve` reading from the standby as that role; puts
// nginx in front (generated configuration: consistent-hash balancing with
// passive health checks, retry on the next replica, a shared cache held to
// the replicas' s-maxage and revalidated with their ETags). Then, under the
// `make loadtest` generator through nginx (-c connections for -d, after a
// warm-up), it imports edits on the primary and measures when each is seen
// on the standby, on each replica and through nginx; kills one replica
// (SIGKILL) and restarts it; stops the standby and starts it again. It
// checks: every edit visible through nginx within -visible; no request
// without an answer and no error while the replica is down; while the
// standby is down only stale answers or 503 with Retry-After, then every
// answer a success again within 10 s; no goroutine or live heap growth on
// the replicas that ran throughout. It writes the report (-out) naming every
// figure, keeps logs under -dir, and exits 1 when a check failed.
//
// On this machine's cluster it creates, and removes when it ends (or at
// the start of the next run, or with -cleanup, after a run that was killed):
// a database controlmap_scaleout_N, the role controlmap_scaleout_reader, the
// physical replication slot controlmap_scaleout, and, only when the cluster
// refuses replication connections from loopback, one line in its
// pg_hba.conf. Since every run uses these same names and the same -dir,
// a run or -cleanup takes an exclusive lock (the file -dir.lock) first, and
// a second one started meanwhile fails at once.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

type options struct {
	replicas     int
	conns        int
	duration     time.Duration
	warmup       time.Duration
	dir          string
	out          string
	dbURL        string
	pgBin        string
	edits        []time.Duration
	killAt       time.Duration
	killFor      time.Duration
	standbyAt    time.Duration
	standbyDown  time.Duration
	visible      time.Duration
	changePoll   time.Duration
	sharedMaxAge time.Duration
	urls         int
	cleanup      bool
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
	// One run or cleanup at a time on the work folder (see lockRun); the
	// lock is held until the process ends.
	lock, err := lockRun(o.dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer lock.Close()
	if o.cleanup {
		if err := cleanLeftovers(context.WithoutCancel(ctx), o); err != nil {
			fmt.Fprintln(os.Stderr, "scaleout: cleanup:", err)
			os.Exit(1)
		}
		return
	}
	ok, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "scaleout:", err)
		os.Exit(1)
	}
	if !ok {
		fmt.Fprintln(os.Stderr, "scaleout: FAILED: see", o.out)
		os.Exit(1)
	}
	fmt.Println("scaleout: every check passed; results in", o.out)
}

// durations is a comma-separated list of durations, as a flag.
type durations []time.Duration

func (d *durations) String() string {
	var s []string
	for _, x := range *d {
		s = append(s, x.String())
	}
	return strings.Join(s, ",")
}

func (d *durations) Set(v string) error {
	var out durations
	for _, p := range strings.Split(v, ",") {
		x, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil {
			return err
		}
		out = append(out, x)
	}
	*d = out
	return nil
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("scaleout", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	edits := durations{8 * time.Second, 14 * time.Second, 52 * time.Second}
	fs.IntVar(&o.replicas, "replicas", 2, "controlmap replicas behind nginx (2..8)")
	fs.IntVar(&o.conns, "c", 64, "concurrent connections of the load")
	fs.DurationVar(&o.duration, "d", 60*time.Second, "duration of the load")
	fs.DurationVar(&o.warmup, "warmup", 10*time.Second, "warm-up load before the first sample")
	fs.StringVar(&o.dir, "dir", filepath.Join(os.TempDir(), "controlmap-scaleout"), "work folder: the standby's data, nginx's cache, binaries and logs (emptied at the start; its lock file DIR.lock, next to it, keeps a second run out)")
	fs.StringVar(&o.out, "out", "docs/scaleout.md", "the report to write")
	fs.StringVar(&o.dbURL, "db", envOr("CONTROLMAP_SCALEOUT_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"),
		"this machine's PostgreSQL, as a superuser (env CONTROLMAP_SCALEOUT_DATABASE_URL): the primary")
	fs.StringVar(&o.pgBin, "pg-bin", "/usr/lib/postgresql/15/bin", "PostgreSQL's programs (pg_basebackup, pg_ctl), the primary's version")
	fs.Var(&edits, "edits", "when to import an edit on the primary, from the start of the load")
	fs.DurationVar(&o.killAt, "kill-at", 20*time.Second, "when to kill one replica (SIGKILL)")
	fs.DurationVar(&o.killFor, "kill-for", 5*time.Second, "how long it stays down before it is started again")
	fs.DurationVar(&o.standbyAt, "standby-at", 34*time.Second, "when to stop the standby")
	fs.DurationVar(&o.standbyDown, "standby-down", 5*time.Second, "how long the standby stays stopped")
	fs.DurationVar(&o.visible, "visible", 2*time.Second, "bound on the time from an import to its answer through nginx")
	fs.DurationVar(&o.changePoll, "change-poll", 500*time.Millisecond, "the replicas' --change-poll")
	fs.DurationVar(&o.sharedMaxAge, "shared-max-age", time.Second, "the replicas' --shared-max-age: how long nginx may keep an answer")
	fs.IntVar(&o.urls, "urls", 60000, "URLs in the load's list (half distinct bbox queries)")
	fs.BoolVar(&o.cleanup, "cleanup", false, "only stop and drop what an earlier run left, then exit")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	o.edits = edits
	if fs.NArg() > 0 {
		return o, fmt.Errorf("scaleout: unexpected argument %q", fs.Arg(0))
	}
	switch {
	case o.replicas < 2 || o.replicas > 8:
		return o, fmt.Errorf("scaleout: -replicas %d: want 2..8 (one is killed, the others must carry the load)", o.replicas)
	case o.conns < 1 || o.conns > 1024:
		return o, fmt.Errorf("scaleout: -c %d: want 1..1024", o.conns)
	case o.duration < 30*time.Second || o.duration > 5*time.Minute:
		return o, fmt.Errorf("scaleout: -d %s: want 30s..5m", o.duration)
	case !filepath.IsAbs(o.dir) || filepath.Clean(o.dir) == "/" || strings.ContainsAny(o.dir, " '\";{}"):
		return o, fmt.Errorf("scaleout: -dir %q: want an absolute folder without spaces or quotes, not /", o.dir)
	case o.killAt <= 0 || o.killAt+o.killFor >= o.standbyAt:
		return o, fmt.Errorf("scaleout: -kill-at %s and -kill-for %s must end before -standby-at %s", o.killAt, o.killFor, o.standbyAt)
	case o.standbyAt+o.standbyDown+recoveryLimit*time.Second > o.duration:
		return o, fmt.Errorf("scaleout: -standby-at %s, -standby-down %s and %d s of recovery must fit in -d %s", o.standbyAt, o.standbyDown, recoveryLimit, o.duration)
	case o.visible <= 0 || o.changePoll < 10*time.Millisecond || o.sharedMaxAge < time.Second:
		return o, errors.New("scaleout: -visible must be positive, -change-poll at least 10ms, -shared-max-age at least 1s")
	case o.urls < 100 || o.urls > 100000:
		return o, fmt.Errorf("scaleout: -urls %d: want 100..100000", o.urls)
	}
	for _, e := range o.edits {
		if e <= 0 || e+o.visible+time.Second > o.duration {
			return o, fmt.Errorf("scaleout: -edits %s: each within the load, -visible and a second before its end", e)
		}
	}
	return o, nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "scaleout: "+format+"\n", args...)
}

// paths are where the run keeps things under -dir.
type paths struct{ root string }

func (p paths) bin(name string) string { return filepath.Join(p.root, "bin", name) }
func (p paths) standbyData() string    { return filepath.Join(p.root, "pg", standbyName) }
func (p paths) standbySock() string    { return filepath.Join(p.root, "pg") }
func (p paths) standbyLog() string     { return filepath.Join(p.root, "pg", "standby.log") }
func (p paths) nginx() string          { return filepath.Join(p.root, "nginx") }
func (p paths) replicaPID(i int) string {
	return filepath.Join(p.root, fmt.Sprintf("replica-%d.pid", i+1))
}
func (p paths) log(name string) string { return filepath.Join(p.root, "logs", name) }
func (p paths) data() string           { return filepath.Join(p.root, "data") }

// cleanLeftovers stops what an earlier run left running and drops what it
// left on the primary: the standby (by its postmaster.pid), nginx and the
// replicas (by their pid files), each checked to be this run's (its
// command line names the work folder), the
// replication slot, the databases and role, and the pg_hba.conf line. It
// is safe to run at any time no run is going on; main holds the work
// folder's lock (lockRun) around it, so that it cannot be.
func cleanLeftovers(ctx context.Context, o options) error {
	pt := paths{o.dir}
	var errs []error
	// Each process is signalled only if its command line names this
	// run's work folder (see ownProcess): a pid file outlives its process,
	// and the pid may since be another's, the system's nginx or PostgreSQL.
	for i := 0; i < 8; i++ {
		stopByPIDFile(pt.replicaPID(i), "controlmap", pt.bin("controlmap"))
	}
	stopByPIDFile(filepath.Join(pt.nginx(), "nginx.pid"), "nginx", nginxConfPath(pt.nginx()))
	sb := &standby{bin: o.pgBin, dir: pt.standbyData(), logPath: pt.standbyLog()}
	if sb.running() {
		// pg_ctl stop signals the pid of postmaster.pid without asking
		// whose it is.
		if pid, err := readPID(filepath.Join(sb.dir, "postmaster.pid")); err != nil || !ownProcess(pid, "postgres", sb.dir) {
			logf("%s/postmaster.pid names no postgres of %s (pid %d, %v): stale, nothing signalled", sb.dir, sb.dir, pid, err)
		} else {
			logf("stopping the standby left running in %s (pid %d)", sb.dir, pid)
			if err := sb.stop(ctx); err != nil {
				if err2 := sb.asPG(ctx, "pg_ctl", "-D", sb.dir, "-m", "immediate", "-w", "stop"); err2 != nil {
					errs = append(errs, err, err2)
				}
			}
		}
	}
	p, err := newPrimary(o.dbURL)
	if err != nil {
		return err
	}
	if err := p.dropSlot(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := p.dropLeftovers(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := p.removeReplicationLine(ctx); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}
