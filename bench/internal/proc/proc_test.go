package proc

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMain lets the test binary be the server the tests start: with
// PROC_TEST_ADDR set, it serves 200 on /readyz there until SIGTERM; with
// PROC_TEST_EXIT set, it exits at once with that status.
func TestMain(m *testing.M) {
	if code := os.Getenv("PROC_TEST_EXIT"); code != "" {
		os.Exit(3)
	}
	if addr := os.Getenv("PROC_TEST_ADDR"); addr != "" {
		srv := &http.Server{Addr: addr, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/readyz" {
				http.NotFound(w, r)
			}
		})}
		ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM)
		defer stop()
		go func() { <-ctx.Done(); srv.Shutdown(context.Background()) }()
		if err := srv.ListenAndServe(); err != http.ErrServerClosed {
			os.Exit(4)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func TestStartWaitStop(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PROC_TEST_ADDR="+addr)
	p, err := Start("child", cmd, addr, filepath.Join(t.TempDir(), "child.log"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.WaitReady("http://"+addr+"/readyz", time.Now(), 30*time.Second); err != nil {
		p.Stop()
		t.Fatal(err)
	}
	if exited, _ := p.Exited(); exited {
		t.Error("Exited reports a running process as ended")
	}
	if rss, peak := p.Memory(); rss <= 0 || peak < rss {
		t.Errorf("Memory: RSS %d, peak %d", rss, peak)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop of a process that exits 0 on SIGTERM: %v", err)
	}
	if exited, err := p.Exited(); !exited || err != nil {
		t.Errorf("after Stop: Exited %v, %v", exited, err)
	}
	if _, err := http.Get("http://" + addr + "/readyz"); err == nil {
		t.Error("the server still answers after Stop")
	}
}

func TestWaitReadySeesAnExit(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "PROC_TEST_EXIT=1")
	p, err := Start("failing", cmd, addr, filepath.Join(t.TempDir(), "failing.log"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.WaitReady("http://"+addr+"/readyz", time.Now(), 30*time.Second)
	if err == nil || !strings.Contains(err.Error(), "exited before it was ready") {
		t.Errorf("WaitReady = %v, want the exit reported", err)
	}
	if err := p.Stop(); err == nil {
		t.Error("Stop of a process that exited with status 3 reports no error")
	}
}

func TestControlmapEnv(t *testing.T) {
	t.Setenv("DATABASE_URL", "postgres://secret@db/x")
	t.Setenv("CONTROLMAP_ADMIN_TOKEN", "x")
	t.Setenv("PROC_TEST_KEEP", "1")
	env := ControlmapEnv("DATABASE_URL=postgres://mine")
	if !slices.Contains(env, "PROC_TEST_KEEP=1") || !slices.Contains(env, "DATABASE_URL=postgres://mine") {
		t.Errorf("env lacks what it must keep or add")
	}
	for _, kv := range env {
		if kv == "DATABASE_URL=postgres://secret@db/x" || strings.HasPrefix(kv, "CONTROLMAP_") {
			t.Errorf("env keeps %q", kv)
		}
	}
}

func TestRedact(t *testing.T) {
	if got := Redact("postgres://u:hunter2@127.0.0.1:5432/x"); strings.Contains(got, "hunter2") || !strings.Contains(got, "127.0.0.1") {
		t.Errorf("Redact = %q", got)
	}
}

func TestReadMachine(t *testing.T) {
	m := ReadMachine(context.Background(), "postgres://nobody@127.0.0.1:1/none?connect_timeout=1")
	if m.CPUs < 1 || m.Go == "" || m.Kernel == "" || m.MemTotal == "" || !strings.HasSuffix(m.MemTotal, " GiB") {
		t.Errorf("ReadMachine = %+v", m)
	}
	if m.PostgreSQL != "" || m.PostGIS != "" {
		t.Errorf("PostgreSQL %q, PostGIS %q from a server that does not exist", m.PostgreSQL, m.PostGIS)
	}
}

func TestRandomToken(t *testing.T) {
	a, b := RandomToken(), RandomToken()
	if len(a) != 48 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Errorf("RandomToken = %q, want 48 hex digits", a)
	}
	if a == b {
		t.Errorf("two tokens are the same: %q", a)
	}
}

func TestCopyDataset(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "new", "data")
	files := map[string]string{
		"catalog.json":     `{"layers":[]}`,
		"rivers.geojson":   `{"type":"FeatureCollection","features":[]}`,
		"notes.txt":        "not part of the dataset",
		"catalog.json.bak": "nor this",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(src, "sub.geojson"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := CopyDataset(src, dst); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if want := []string{"catalog.json", "rivers.geojson"}; !slices.Equal(got, want) {
		t.Fatalf("copied %v, want %v", got, want)
	}
	for _, name := range got {
		b, err := os.ReadFile(filepath.Join(dst, name))
		if err != nil || string(b) != files[name] {
			t.Errorf("%s: %q, %v; want %q", name, b, err, files[name])
		}
	}
	if err := CopyDataset(filepath.Join(src, "missing"), dst); err == nil {
		t.Error("CopyDataset of a missing folder reports no error")
	}
}
