// Package proc starts and stops the servers that the benchmark (bench/run),
// the load test (bench/loadtest) and the scale-out run (bench/scaleout)
// measure: controlmap and nginx processes on free loopback ports,
// throwaway PostgreSQL databases, and what they are given (an admin token,
// a copy of the dataset).
package proc

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// Process is a server started by Start.
type Process struct {
	Name string
	Cmd  *exec.Cmd
	Addr string // host:port it listens on
	Log  *os.File
	done chan error
}

// FreeAddr returns a loopback address with a port that was free a moment ago.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("proc: find a free port: %w", err)
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

// Start runs cmd with its output in logPath and returns once it runs.
func Start(name string, cmd *exec.Cmd, addr, logPath string) (*Process, error) {
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("proc: %s log: %w", name, err)
	}
	cmd.Stdout, cmd.Stderr = f, f
	// Its own process group, so that stopping it stops any children too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("proc: start %s: %w", name, err)
	}
	p := &Process{Name: name, Cmd: cmd, Addr: addr, Log: f, done: make(chan error, 1)}
	go func() { p.done <- cmd.Wait() }()
	return p, nil
}

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case err := <-p.done:
		p.done <- err
		return true, err
	default:
		return false, nil
	}
}

// WaitReady polls url until it answers 200, the process exits, or timeout
// passes; it returns how long that took from since.
func (p *Process) WaitReady(url string, since time.Time, timeout time.Duration) (time.Duration, error) {
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if exited, err := p.Exited(); exited {
			return 0, fmt.Errorf("proc: %s exited before it was ready (%v); see %s", p.Name, err, p.Log.Name())
		}
		resp, err := client.Get(url)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return time.Since(since), nil
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	return 0, fmt.Errorf("proc: %s not ready at %s after %s; see %s", p.Name, url, timeout, p.Log.Name())
}

// Stop sends SIGTERM to the process group and waits up to 10 s, then kills
// it. It returns how the process ended (nil for a clean exit).
func (p *Process) Stop() error {
	if p == nil {
		return nil
	}
	pgid := p.Cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	var err error
	select {
	case err = <-p.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		err = <-p.done
		if err == nil {
			err = fmt.Errorf("proc: %s killed after 10 s", p.Name)
		}
	}
	p.done <- err
	p.Log.Close()
	return err
}

// Memory reads VmRSS and VmHWM (peak RSS) of the process, in bytes.
func (p *Process) Memory() (rss, peak int64) { return ReadMemory(p.Cmd.Process.Pid) }

// ReadMemory reads VmRSS and VmHWM (peak RSS) of process pid from
// /proc/pid/status, in bytes (0, 0 when it cannot).
func ReadMemory(pid int) (rss, peak int64) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseInt(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = kb << 10
		case "VmHWM:":
			peak = kb << 10
		}
	}
	return rss, peak
}

// ControlmapEnv is the environment of controlmap processes: this one's
// without any database URL or controlmap setting, plus extra.
func ControlmapEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DATABASE_URL=") || strings.HasPrefix(kv, "CONTROLMAP_") {
			continue
		}
		env = append(env, kv)
	}
	return append(env, extra...)
}

// StartControlmap starts `controlmap serve` on a free loopback port and
// waits until /readyz answers; it returns the process and the time to ready.
func StartControlmap(bin, name, logPath string, env []string, args ...string) (*Process, time.Duration, error) {
	addr, err := FreeAddr()
	if err != nil {
		return nil, 0, err
	}
	args = append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	t0 := time.Now()
	p, err := Start(name, cmd, addr, logPath)
	if err != nil {
		return nil, 0, err
	}
	ready, err := p.WaitReady("http://"+addr+"/readyz", t0, 5*time.Minute)
	if err != nil {
		p.Stop()
		return nil, 0, err
	}
	return p, ready, nil
}

// CreateDB creates a throwaway database, named prefix and a number, on the
// server of adminURL and returns its URL and a function that drops it.
// hint, shown when the server cannot be reached, says how to point to
// another one.
func CreateDB(ctx context.Context, adminURL, prefix, hint string) (string, func(), error) {
	u, err := url.Parse(adminURL)
	if err != nil || !strings.HasPrefix(adminURL, "postgres") {
		return "", nil, fmt.Errorf("proc: the admin database URL must be a postgres:// URL (%s)", hint)
	}
	conn, err := pgx.Connect(ctx, adminURL)
	if err != nil {
		return "", nil, fmt.Errorf("proc: connect to %s (%s): %w", Redact(adminURL), hint, err)
	}
	defer conn.Close(ctx)
	name := fmt.Sprintf("%s_%d", prefix, time.Now().UnixNano())
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return "", nil, fmt.Errorf("proc: create database: %w", err)
	}
	u.Path = "/" + name
	drop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		conn, err := pgx.Connect(ctx, adminURL)
		if err != nil {
			fmt.Fprintf(os.Stderr, "proc: could not drop database %s: %v\n", name, err)
			return
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			fmt.Fprintf(os.Stderr, "proc: could not drop database %s: %v\n", name, err)
		}
	}
	return u.String(), drop, nil
}

// RandomToken returns a fresh admin token: 24 random bytes in hex.
func RandomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail (it crashes instead)
	return hex.EncodeToString(b)
}

// CopyDataset copies the dataset files of src (its *.geojson and
// catalog.json, not its subfolders) into dst, which it creates.
func CopyDataset(src, dst string) error {
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !(strings.HasSuffix(name, ".geojson") || name == "catalog.json") {
			continue
		}
		b, err := os.ReadFile(filepath.Join(src, name))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// Redact hides the password of a database URL.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// Machine describes the machine a measurement ran on.
type Machine struct {
	CPUs       int
	CPUModel   string
	MemTotal   string // "23.4 GiB"
	Kernel     string // uname -r
	OS         string // PRETTY_NAME of /etc/os-release
	Go         string
	PostgreSQL string // server_version of dbURL's server; "" when not reached
	PostGIS    string // the PostGIS version it offers; "" when not reached
}

// ReadMachine reads the machine's description from /proc, /etc/os-release
// and the PostgreSQL server of dbURL (within 5 s).
func ReadMachine(ctx context.Context, dbURL string) Machine {
	m := Machine{CPUs: runtime.NumCPU(), Go: runtime.Version()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			var kb int64
			if _, err := fmt.Sscanf(line, "MemTotal: %d kB", &kb); err == nil {
				m.MemTotal = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/etc/os-release"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "PRETTY_NAME="); ok {
				m.OS = strings.Trim(v, `"`)
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if conn, err := pgx.Connect(ctx, dbURL); err == nil {
		defer conn.Close(ctx)
		_ = conn.QueryRow(ctx, "SELECT current_setting('server_version'), coalesce((SELECT default_version FROM pg_available_extensions WHERE name = 'postgis'), 'not installed')").Scan(&m.PostgreSQL, &m.PostGIS)
	}
	return m
}

// GitCommit returns the short commit of the working tree, noting
// uncommitted changes to tracked files.
func GitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	c := strings.TrimSpace(string(out))
	if st, err := exec.Command("git", "status", "--porcelain", "--untracked-files=no").Output(); err == nil && len(st) > 0 {
		c += " (with uncommitted changes)"
	}
	return c
}
