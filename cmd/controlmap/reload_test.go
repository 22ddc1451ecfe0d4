package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// writeGeneration writes a dataset folder whose one collection holds n
// points, every one marked with gen in its id and properties.
func writeGeneration(t *testing.T, dir, gen string, n int) {
	t.Helper()
	cat := `{"collections":[{"id":"things","title":"Things","geometry_type":"Point","required":["gen"],
		"style":{"property":"","colors":{},"default_color":"#000"}}]}`
	feats := make([]any, n)
	for i := range feats {
		feats[i] = map[string]any{
			"type": "Feature", "id": fmt.Sprintf("%s%03d", gen, i),
			"geometry":   map[string]any{"type": "Point", "coordinates": []float64{40 + float64(i%10)/10, 36 + float64(i/10)/10}},
			"properties": map[string]any{"gen": gen, "sources": []any{map[string]any{"publisher": "test"}}},
		}
	}
	b, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": feats})
	if err != nil {
		t.Fatal(err)
	}
	// Each file is replaced whole (written aside, then renamed), so that a
	// reload running meanwhile reads the old file or the new one.
	for name, body := range map[string][]byte{"catalog.json": []byte(cat), "things.geojson": b} {
		tmp := filepath.Join(dir, "."+name+".tmp")
		if err := os.WriteFile(tmp, body, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestReloadAtomicUnderLoad reloads a served folder again and again between
// two datasets that differ in every feature, while clients query through
// HTTP: every answer comes wholly from one dataset, never a mix.
func TestReloadAtomicUnderLoad(t *testing.T) {
	sizes := map[string]int{"a": 60, "b": 40}
	dir := t.TempDir()
	writeGeneration(t, dir, "a", sizes["a"])
	hup := make(chan os.Signal)
	base, logs, stop := startServe(t, []string{"--data", dir}, nil, hup)

	var (
		done    atomic.Bool
		wg      sync.WaitGroup
		answers atomic.Int64
		seen    sync.Map // gen -> true
	)
	check := func() error {
		resp, err := http.Get(base + "/collections/things/items?f=json&limit=1000")
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("status %d: %s", resp.StatusCode, body)
		}
		var fc struct {
			NumberMatched int `json:"numberMatched"`
			Features      []struct {
				ID         string         `json:"id"`
				Properties map[string]any `json:"properties"`
			} `json:"features"`
		}
		if err := json.Unmarshal(body, &fc); err != nil {
			return err
		}
		gen, _ := fc.Features[0].Properties["gen"].(string)
		for _, f := range fc.Features {
			if f.Properties["gen"] != gen || !strings.HasPrefix(f.ID, gen) {
				return fmt.Errorf("an answer mixes generation %s with %s (%s)", gen, f.Properties["gen"], f.ID)
			}
		}
		if fc.NumberMatched != sizes[gen] || len(fc.Features) != sizes[gen] {
			return fmt.Errorf("generation %s: numberMatched %d, %d features; want %d", gen, fc.NumberMatched, len(fc.Features), sizes[gen])
		}
		seen.Store(gen, true)
		answers.Add(1)
		return nil
	}
	errc := make(chan error, 4)
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !done.Load() {
				if err := check(); err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	for i := range 20 {
		gen := []string{"b", "a"}[i%2]
		writeGeneration(t, dir, gen, sizes[gen])
		// An unbuffered send returns once watchReload has taken it, so the
		// second returns once the first reload is done and the folder may
		// be written again.
		hup <- syscall.SIGHUP
		hup <- syscall.SIGHUP
	}
	done.Store(true)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	for _, gen := range []string{"a", "b"} {
		if _, ok := seen.Load(gen); !ok {
			t.Errorf("no answer from generation %s", gen)
		}
	}
	// Stopped first: the server writes its log lines in batches, the last
	// of them when it returns.
	if err := stop(); err != nil {
		t.Errorf("serve: %v", err)
	}
	if n := strings.Count(logs.String(), "msg=reloaded"); n < 39 || strings.Contains(logs.String(), "reload failed") {
		t.Errorf("%d reloads logged, want at least 39 and no failure:\n%s", n, logs)
	}
	t.Logf("%d consistent answers across 40 reloads", answers.Load())
}

// TestSIGHUPReloads sends the real SIGHUP to the process serving a folder:
// an edit is served afterwards without a restart; a broken folder keeps the
// previous dataset and the log says what is wrong.
func TestSIGHUPReloads(t *testing.T) {
	dir := copyDataset(t)
	cmd, logs, exited, addr := startChild(t, "serve --addr 127.0.0.1:0 --data "+dir)
	base := "http://" + addr

	served := func() string {
		resp, err := http.Get(base + "/collections/facilities/items?f=json&limit=1000")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("items: %s %s", resp.Status, b)
		}
		return string(b)
	}
	if strings.Contains(served(), "(edited)") {
		t.Fatal("the dataset is edited already")
	}
	editFile(t, dir, "facilities.geojson", func(s string) string {
		return strings.Replace(s, "al-Hol camp", "al-Hol camp (edited)", 1)
	})
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	logs.wait(t, regexp.MustCompile(`msg=reloaded()`), 30*time.Second)
	if !strings.Contains(served(), "al-Hol camp (edited)") {
		t.Error("the edit is not served after SIGHUP")
	}

	editFile(t, dir, "facilities.geojson", func(string) string { return `{"type": "FeatureCollection", "features": [{]}` })
	if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	line := logs.wait(t, regexp.MustCompile(`(.*reload failed; still serving the previous dataset.*)`), 30*time.Second)
	if !strings.Contains(line, "facilities.geojson") {
		t.Errorf("the failed reload's log line does not name the broken file: %s", line)
	}
	if !strings.Contains(served(), "al-Hol camp (edited)") {
		t.Error("a broken folder replaced the served dataset")
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", err, logs)
		}
	case <-time.After(time.Minute):
		t.Fatalf("no exit after SIGTERM:\n%s", logs)
	}
}

// TestReloadFunc checks what the admin reload endpoint is given: the
// folder's reload (a broken folder keeps the dataset and says why), and
// nothing for the embedded dataset.
func TestReloadFunc(t *testing.T) {
	dir := t.TempDir()
	writeGeneration(t, dir, "a", 3)
	cfg, err := parseConfig([]string{"serve", "--data", dir}, envFrom(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	st, err := openStore(context.Background(), cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	defer st.close()
	reload := st.reload
	if reload == nil {
		t.Fatal("no reload for a folder store")
	}
	ctx := context.Background()
	v1, _ := st.Version(ctx)
	writeGeneration(t, dir, "b", 2)
	if err := reload(ctx); err != nil {
		t.Fatalf("reload: %v", err)
	}
	v2, _ := st.Version(ctx)
	if v2 == v1 {
		t.Error("version unchanged after reloading an edited folder")
	}
	if err := os.WriteFile(filepath.Join(dir, "things.geojson"), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := reload(ctx); err == nil || !strings.Contains(err.Error(), "things.geojson") {
		t.Errorf("reload of a broken folder = %v, want an error naming the file", err)
	}
	if v3, _ := st.Version(ctx); v3 != v2 {
		t.Error("a broken folder replaced the dataset")
	}

	embedded, err := openStore(ctx, Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	defer embedded.close()
	if embedded.reload != nil {
		t.Error("the embedded dataset has a reload")
	}
}
