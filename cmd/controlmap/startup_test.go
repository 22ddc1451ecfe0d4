package main

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestServeStoppedWhileLoading runs serve with a context that is done
// before the folder is loaded (a signal at start-up): it stops without
// serving, says so, and reports no error.
func TestServeStoppedWhileLoading(t *testing.T) {
	dir := t.TempDir()
	writeGeneration(t, dir, "a", 5)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	logs := &syncBuffer{}
	listened := false
	err := run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--data", dir}, sys{
		lookupEnv: envFrom(nil), stdout: io.Discard, stderr: logs,
		listening: func(net.Addr) { listened = true },
	})
	if err != nil {
		t.Errorf("run = %v, want nil (a stop that was asked for)", err)
	}
	if listened || strings.Contains(logs.String(), "msg=listening") {
		t.Error("the server listened after a stop during loading")
	}
	if !strings.Contains(logs.String(), `msg="stopped while loading the data at start-up; not serving"`) {
		t.Errorf("the stop is not logged:\n%s", logs)
	}
}

// TestReloadFuncCancelled checks that the folder's reload honours its
// context: cancelled, it keeps the dataset and says it was cancelled.
func TestReloadFuncCancelled(t *testing.T) {
	dir := t.TempDir()
	writeGeneration(t, dir, "a", 3)
	cfg, err := parseConfig([]string{"serve", "--data", dir}, envFrom(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	st, err := openStore(context.Background(), cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	v1, _ := st.Version(context.Background())
	writeGeneration(t, dir, "b", 2)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := st.reload(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("a cancelled reload: %v, want context.Canceled", err)
	}
	if v2, _ := st.Version(context.Background()); v2 != v1 {
		t.Error("a cancelled reload replaced the dataset")
	}
}

// TestSIGTERMWhileLoading sends the real SIGTERM to a process decoding a
// large folder at start-up: it stops loading, says so, never listens, and
// exits with status 0.
func TestSIGTERMWhileLoading(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a large dataset and runs a child process")
	}
	dir := bigDataset(t, 150_000)
	cmd, logs, exited := spawnChild(t, "serve --addr 127.0.0.1:0 --data "+dir)
	logs.wait(t, regexp.MustCompile(`msg=loading`), time.Minute)
	// Into the file: the 40 MB take seconds to decode.
	time.Sleep(250 * time.Millisecond)
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM while loading: %v, want status 0\n%s", err, logs)
		}
	case <-time.After(time.Minute):
		t.Fatalf("no exit within a minute of SIGTERM while loading:\n%s", logs)
	}
	out := logs.String()
	if strings.Contains(out, "msg=loaded") || strings.Contains(out, "msg=listening") {
		t.Fatalf("the load finished before SIGTERM arrived (the folder loads too fast for this test):\n%s", out)
	}
	if !strings.Contains(out, `msg="stopped while loading the data at start-up; not serving" cause="terminated signal received"`) ||
		!strings.Contains(out, "context canceled") {
		t.Errorf("the stop is not explained:\n%s", out)
	}
	t.Logf("log:\n%s", out)
}
