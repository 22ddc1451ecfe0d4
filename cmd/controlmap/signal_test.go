package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// envMainArgs, when set, makes the test binary run main with these
// arguments (space-separated) instead of the tests: the child process of
// TestSIGTERMDrains and TestSIGHUPReloads, running the real main (signal
// handling included).
const envMainArgs = "CONTROLMAP_TEST_MAIN_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(envMainArgs); args != "" {
		os.Args = append([]string{"controlmap"}, strings.Fields(args)...)
		main() // exits
	}
	os.Exit(m.Run())
}

// bigDataset writes a folder with one collection of n points, whose
// download is far larger than the socket buffers between a client and the
// server.
func bigDataset(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	cat := `{"collections":[{"id":"points","title":"Points","geometry_type":"Point","required":["name"],
		"style":{"property":"","colors":{},"default_color":"#000"}}]}`
	var b strings.Builder
	b.WriteString(`{"type":"FeatureCollection","features":[`)
	for i := range n {
		if i > 0 {
			b.WriteString(",\n")
		}
		fmt.Fprintf(&b, `{"type":"Feature","id":"p%06d","geometry":{"type":"Point","coordinates":[%.6f,%.6f]},`+
			`"properties":{"name":"point %d, with a description long enough to make the file large","sources":[{"publisher":"test"}]}}`,
			i, 38+float64(i%1000)/250, 35+float64(i/1000)/50, i)
	}
	b.WriteString("]}")
	for name, body := range map[string]string{"catalog.json": cat, "points.geojson": b.String()} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// lineLog collects a child's output lines and signals when one matches.
type lineLog struct {
	mu    sync.Mutex
	lines []string
	added chan struct{}
}

func (l *lineLog) read(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		l.mu.Lock()
		l.lines = append(l.lines, sc.Text())
		l.mu.Unlock()
		select {
		case l.added <- struct{}{}:
		default:
		}
	}
}

func (l *lineLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// wait returns the first submatch of re in the output, waiting up to limit.
func (l *lineLog) wait(t *testing.T, re *regexp.Regexp, limit time.Duration) string {
	t.Helper()
	deadline := time.After(limit)
	for {
		if m := re.FindStringSubmatch(l.String()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-l.added:
		case <-time.After(50 * time.Millisecond):
		case <-deadline:
			t.Fatalf("no %q in the output within %s:\n%s", re, limit, l)
		}
	}
}

// startChild runs main with args (space-separated) in a child process of
// the test binary (see TestMain) and waits up to a minute until it listens.
// It returns the process, its collected stderr, a channel that receives
// the process's exit once its output is read, and the host:port it listens
// on. The process is killed when the test ends if it has not exited.
func startChild(t *testing.T, args string) (cmd *exec.Cmd, logs *lineLog, exited <-chan error, addr string) {
	t.Helper()
	cmd, logs, exited = spawnChild(t, args)
	addr = logs.wait(t, regexp.MustCompile(`msg=listening url=http://(\S+)`), time.Minute)
	return cmd, logs, exited, addr
}

// spawnChild is startChild without the wait.
func spawnChild(t *testing.T, args string) (cmd *exec.Cmd, logs *lineLog, exited <-chan error) {
	t.Helper()
	cmd = exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), envMainArgs+"="+args)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs = &lineLog{added: make(chan struct{}, 1)}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		logs.read(stderr)
		done <- cmd.Wait()
	}()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
		}
	})
	return cmd, logs, done
}

// TestSIGTERMDrains runs the real process, starts downloading a layer much
// larger than the socket buffers (the client reads a little and pauses, so
// the server is blocked writing), sends SIGTERM while the answer is being
// written, and checks that the process stops accepting connections, lets
// the download finish whole, and exits with status 0.
func TestSIGTERMDrains(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large dataset and runs a child process")
	}
	const n = 60000
	dir := bigDataset(t, n)
	cmd, logs, exited, addr := startChild(t, "serve --addr 127.0.0.1:0 --shutdown-timeout 60s --data "+dir)

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "GET /collections/points/items?download=1 HTTP/1.1\r\nHost: "+addr+"\r\nConnection: close\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReaderSize(conn, 4<<10)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %s", resp.Status)
	}
	head := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, head); err != nil {
		t.Fatal(err)
	}

	// The answer is being written; stop the process.
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	logs.wait(t, regexp.MustCompile(`msg="shutting down: draining in-flight requests"()`), 30*time.Second)
	for start := time.Now(); ; time.Sleep(10 * time.Millisecond) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break // no longer accepting
		}
		c.Close()
		if time.Since(start) > 30*time.Second {
			t.Fatal("the server still accepts connections after SIGTERM")
		}
	}
	select {
	case err := <-exited:
		t.Fatalf("the process exited (%v) before the download finished:\n%s", err, logs)
	default:
	}
	if strings.Contains(logs.String(), "msg=stopped") {
		t.Fatalf("the server stopped before the download was read: it was not in flight\n%s", logs)
	}

	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading the rest of the download after SIGTERM: %v", err)
	}
	body := append(head, rest...)
	var fc struct {
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(body, &fc); err != nil || len(fc.Features) != n {
		t.Errorf("download after SIGTERM: %d bytes, %d features (err %v); want all %d", len(body), len(fc.Features), err, n)
	}
	t.Logf("a %d-byte download in flight at SIGTERM completed", len(body))

	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("the process exited with %v after SIGTERM, want status 0:\n%s", err, logs)
		}
	case <-time.After(time.Minute):
		t.Fatalf("the process did not exit after the download:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "msg=stopped") {
		t.Errorf("no clean stop logged:\n%s", logs)
	}
}
