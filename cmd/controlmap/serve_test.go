package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
)

// syncBuffer is a bytes.Buffer safe for the server's goroutines and the test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startServe runs `controlmap serve args...` in-process with env, waits until
// it listens, and returns its base URL and a stop function that cancels it
// and returns run's error.
func startServe(t *testing.T, args []string, env map[string]string, reload <-chan os.Signal) (base string, logs *syncBuffer, stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	logs = &syncBuffer{}
	addrc := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), sys{
			lookupEnv: envFrom(env),
			stdout:    io.Discard,
			stderr:    logs,
			reload:    reload,
			listening: func(a net.Addr) { addrc <- a },
		})
	}()
	var stopped bool
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { _ = stop() })
	select {
	case a := <-addrc:
		return "http://" + a.String(), logs, stop
	case err := <-done:
		stopped = true
		cancel()
		t.Fatalf("serve ended before listening: %v\nlogs:\n%s", err, logs)
		return "", nil, nil
	}
}

func getJSON(t *testing.T, url string, into any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, body)
	}
	if err := json.Unmarshal(body, into); err != nil {
		t.Fatalf("GET %s: %v\n%s", url, err, body)
	}
}

func TestServeEmbedded(t *testing.T) {
	base, logs, stop := startServe(t, nil, nil, nil)
	var health map[string]any
	getJSON(t, base+"/healthz", &health)
	if health["status"] != "ok" {
		t.Errorf("/healthz = %v", health)
	}
	checkCollections(t, base)
	if err := stop(); err != nil {
		t.Fatalf("serve returned %v", err)
	}
	for _, want := range []string{"msg=listening", `store="embedded dataset"`, "msg=stopped"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Error("server still answers after shutdown")
	}
}

func TestServeJSONLogs(t *testing.T) {
	_, logs, stop := startServe(t, []string{"--log-format", "json"}, nil, nil)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Errorf("log line is not JSON: %q", line)
		}
	}
}

func TestRunUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown command", []string{"serf"}, nil, `unknown command "serf"`},
		{"bad addr", []string{"--addr", "nope"}, nil, "--addr / CONTROLMAP_ADDR"},
		{"bad env", nil, map[string]string{"CONTROLMAP_LOG_FORMAT": "yaml"}, "must be text or json"},
		{"migrate without a database", []string{"migrate"}, nil, "migrate needs a database"},
		{"missing data folder", []string{"--data", "/nonexistent/controlmap"}, nil, "--data / CONTROLMAP_DATA"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			err := run(context.Background(), tt.args, sys{lookupEnv: envFrom(tt.env), stdout: io.Discard, stderr: &stderr})
			if code := exitCode(err, &stderr); code != 2 {
				t.Errorf("exit code %d, want 2 (err %v)", code, err)
			}
			if !strings.Contains(stderr.String(), tt.want) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.want)
			}
		})
	}
}

func TestVersionAndHelp(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, sys{lookupEnv: envFrom(nil), stdout: &out, stderr: io.Discard}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "controlmap ") || !strings.Contains(out.String(), "go1.") {
		t.Errorf("version printed %q", out.String())
	}
	out.Reset()
	err := run(context.Background(), []string{"help"}, sys{lookupEnv: envFrom(nil), stdout: &out, stderr: io.Discard})
	if code := exitCode(err, io.Discard); code != 0 {
		t.Errorf("help exits %d", code)
	}
	if !strings.Contains(out.String(), "import") {
		t.Errorf("help lacks the commands: %q", out.String())
	}
}

// TestRunServerDrains checks graceful shutdown: a request in flight when the
// context is cancelled still completes, and runServer returns cleanly.
func TestRunServerDrains(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		_, _ = io.WriteString(w, "done")
	})
	ctx, cancel := context.WithCancel(context.Background())
	logs := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, ln, h, time.Minute, slog.New(slog.NewTextHandler(logs, nil))) }()

	type result struct {
		body string
		err  error
	}
	resc := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			resc <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		resc <- result{string(b), err}
	}()
	<-entered
	cancel()
	// Shutdown has begun once the listener refuses new connections; the
	// request is still held.
	for {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			break
		}
		c.Close()
		time.Sleep(time.Millisecond)
	}
	close(release)
	res := <-resc
	if res.err != nil || res.body != "done" {
		t.Errorf("in-flight request: body %q, err %v; want it completed", res.body, res.err)
	}
	if err := <-done; err != nil {
		t.Errorf("runServer = %v", err)
	}
}

// TestRunServerShutdownTimeout checks that a request outliving the shutdown
// timeout is cut off and reported.
func TestRunServerShutdownTimeout(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	entered, release := make(chan struct{}), make(chan struct{})
	defer close(release)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runServer(ctx, ln, h, 10*time.Millisecond, slog.New(slog.DiscardHandler)) }()
	go func() {
		if resp, err := http.Get("http://" + ln.Addr().String() + "/stuck"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	cancel()
	err = <-done
	if err == nil || !strings.Contains(err.Error(), "cut off") {
		t.Errorf("runServer = %v, want a shutdown error", err)
	}
}

// copyDataset writes the embedded dataset into a new folder and returns it.
func copyDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, data.FS); err != nil {
		t.Fatal(err)
	}
	return dir
}

// editFile rewrites a file of dir with f applied to its content.
func editFile(t *testing.T, dir, name string, f func(string) string) {
	t.Helper()
	p := filepath.Join(dir, name)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(f(string(b))), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestReload serves a folder, then edits it and sends SIGHUP (on the test's
// channel): a good edit is served, a broken one keeps the previous dataset.
func TestReload(t *testing.T) {
	dir := copyDataset(t)
	cfg, err := parseConfig([]string{"serve", "--data", dir}, envFrom(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	st, err := openStore(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal) // unbuffered: a second send waits until the first reload is done
	done := make(chan struct{})
	go func() { defer close(done); watchReload(ctx, sig, st, log) }()
	defer func() { cancel(); <-done }()
	hup := func() {
		sig <- nil
		sig <- nil
	}
	version := func() string {
		v, err := st.Version(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}

	v1 := version()
	editFile(t, dir, "facilities.geojson", func(s string) string {
		return strings.Replace(s, "al-Hol camp", "al-Hol camp (edited)", 1)
	})
	hup()
	v2 := version()
	if v2 == v1 {
		t.Fatalf("version unchanged after a good reload; logs:\n%s", logs)
	}
	if !strings.Contains(logs.String(), "msg=reloaded") {
		t.Errorf("reload not logged:\n%s", logs)
	}

	editFile(t, dir, "facilities.geojson", func(string) string { return "{not json" })
	hup()
	if v3 := version(); v3 != v2 {
		t.Errorf("a broken folder replaced the dataset (version %s -> %s)", v2, v3)
	}
	if !strings.Contains(logs.String(), "reload failed; still serving the previous dataset") || !strings.Contains(logs.String(), "facilities.geojson") {
		t.Errorf("failed reload not logged with its problem:\n%s", logs)
	}
}

// TestServedStoreIsLocal: the store serve hands the handlers is the memory
// store itself for a folder and for the embedded dataset, so that they see
// that it answers from memory (geo.LocalStore) and bound how many pages and
// tiles it computes at once.
func TestServedStoreIsLocal(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	folder, err := parseConfig([]string{"serve", "--data", copyDataset(t)}, envFrom(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	for name, cfg := range map[string]Config{"folder": folder, "embedded": {}} {
		st, err := openStore(context.Background(), cfg, log)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := st.Store.(geo.LocalStore); !ok {
			t.Errorf("%s: the served store %T is not a geo.LocalStore", name, st.Store)
		}
		st.close()
	}
}

func TestReloadEmbeddedIsANoOp(t *testing.T) {
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	st, err := openStore(context.Background(), Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	sig := make(chan os.Signal)
	done := make(chan struct{})
	go func() { defer close(done); watchReload(ctx, sig, st, log) }()
	sig <- nil
	sig <- nil
	cancel()
	<-done
	if !strings.Contains(logs.String(), "nothing to reload") {
		t.Errorf("logs:\n%s", logs)
	}
}

// checkCollections asserts that the server at base lists every collection of
// the shipped dataset.
func checkCollections(t *testing.T, base string) {
	t.Helper()
	ds, err := geo.LoadDir(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	var cols struct {
		Collections []struct {
			ID string `json:"id"`
		} `json:"collections"`
	}
	getJSON(t, base+"/collections?f=json", &cols)
	var got, want []string
	for _, c := range cols.Collections {
		got = append(got, c.ID)
	}
	for _, c := range ds.Collections {
		want = append(want, c.ID)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("/collections lists %q, want %q", got, want)
	}
}

// TestGCFloor: the heap floor applies when serving from PostGIS, as
// configured, and never to the embedded store.
func TestGCFloor(t *testing.T) {
	for _, tc := range []struct {
		db    string
		floor int64
		want  uint64
	}{
		{"postgres://localhost/x", 64 << 20, 64 << 20},
		{"postgres://localhost/x", 0, 0},
		{"", 64 << 20, 0},
		{"", 1 << 30, 0},
	} {
		if got := gcFloor(Config{DatabaseURL: tc.db, GCFloor: tc.floor}); got != tc.want {
			t.Errorf("gcFloor(DATABASE_URL %q, --gc-floor %d) = %d, want %d", tc.db, tc.floor, got, tc.want)
		}
	}
}
