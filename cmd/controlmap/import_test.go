package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// runCmd runs one command in-process and returns its output and error.
func runCmd(t *testing.T, env map[string]string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(context.Background(), args, sys{lookupEnv: envFrom(env), stdout: &out, stderr: &errOut})
	return out.String(), errOut.String(), err
}

// TestImportRejectsBrokenInput tries broken inputs against a database URL
// nothing listens on: import must report every problem and stop before it
// connects (the error would otherwise be a connection error).
func TestImportRejectsBrokenInput(t *testing.T) {
	env := map[string]string{"CONTROLMAP_ADMIN_DATABASE_URL": "postgres://nobody@127.0.0.1:1/none?sslmode=disable&connect_timeout=1"}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) []string // returns the import arguments
		want  []string                                // in stderr
	}{
		{"not JSON", func(t *testing.T, dir string) []string {
			editFile(t, dir, "facilities.geojson", func(string) string { return "{not json" })
			return []string{dir}
		}, []string{"facilities.geojson"}},
		{"duplicate id", func(t *testing.T, dir string) []string {
			editFile(t, dir, "crossings.geojson", func(s string) string {
				ids := regexp.MustCompile(`"id": *"[^"]+"`).FindAllString(s, 2)
				return strings.Replace(s, ids[1], ids[0], 1)
			})
			return []string{dir}
		}, []string{"crossings.geojson", "duplicate"}},
		{"unknown collection", func(t *testing.T, dir string) []string {
			if err := os.WriteFile(filepath.Join(dir, "rivers.geojson"), []byte(`{"type":"FeatureCollection","features":[]}`), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{dir}
		}, []string{"rivers.geojson", `unknown collection "rivers"`}},
		{"not a geojson file", func(t *testing.T, dir string) []string {
			p := filepath.Join(dir, "notes.txt")
			if err := os.WriteFile(p, []byte("hello"), 0o644); err != nil {
				t.Fatal(err)
			}
			return []string{p}
		}, []string{"notes.txt", "not a .geojson file"}},
		{"missing file", func(t *testing.T, dir string) []string {
			return []string{filepath.Join(dir, "facilities.geojson"), filepath.Join(dir, "nope.geojson")}
		}, []string{"nope.geojson", "no such file"}},
		{"files from two folders", func(t *testing.T, dir string) []string {
			other := copyDataset(t)
			return []string{filepath.Join(dir, "facilities.geojson"), filepath.Join(other, "events.geojson")}
		}, []string{"events.geojson", "must share one folder"}},
		{"folder among files", func(t *testing.T, dir string) []string {
			return []string{dir, filepath.Join(dir, "facilities.geojson")}
		}, []string{"is a folder"}},
		{"no catalogue", func(t *testing.T, dir string) []string {
			if err := os.Remove(filepath.Join(dir, geo.CatalogFile)); err != nil {
				t.Fatal(err)
			}
			return []string{dir}
		}, []string{"catalog.json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDataset(t)
			args := tt.setup(t, dir)
			stdout, stderr, err := runCmd(t, env, append([]string{"import"}, args...)...)
			if err == nil || !strings.Contains(err.Error(), "nothing was written") {
				t.Fatalf("import error = %v, want a report of problems with nothing written\nstderr:\n%s", err, stderr)
			}
			if code := exitCode(err, io.Discard); code != 1 {
				t.Errorf("exit code %d, want 1", code)
			}
			for _, w := range tt.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout = %q, want nothing", stdout)
			}
		})
	}
}

func TestImportDryRun(t *testing.T) {
	out, stderr, err := runCmd(t, nil, "import", "--dry-run")
	if err != nil {
		t.Fatalf("dry run of the embedded dataset: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "checked embedded dataset:") || !strings.Contains(out, "nothing written (dry run)") {
		t.Errorf("dry run printed %q", out)
	}

	dir := copyDataset(t)
	editFile(t, dir, "events.geojson", func(s string) string {
		return strings.Replace(s, `"valid_from": "2026-`, `"valid_from": "26-`, 1)
	})
	out, stderr, err = runCmd(t, nil, "import", "--dry-run", dir)
	if err == nil || out != "" {
		t.Fatalf("dry run of a broken folder: err %v, stdout %q", err, out)
	}
	if !strings.Contains(stderr, "events.geojson: feature ") || !strings.Contains(stderr, "valid_from") {
		t.Errorf("dry run did not name the file, feature and field:\n%s", stderr)
	}
}

// TestImportAndServePostGIS runs migrate, import and serve against a
// throwaway PostGIS database.
func TestImportAndServePostGIS(t *testing.T) {
	url := pgtest.NewDB(t)
	env := map[string]string{"DATABASE_URL": url}
	ds, err := geo.LoadDir(data.FS)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, fs := range ds.Features {
		total += len(fs)
	}
	wantLine := func(ins, upd, del, unch int) string {
		return fmt.Sprintf("%d inserted, %d updated, %d deleted, %d unchanged", ins, upd, del, unch)
	}

	out, stderr, err := runCmd(t, env, "migrate")
	if err != nil || !strings.Contains(out, "up to date") {
		t.Fatalf("migrate: %v\n%s%s", err, out, stderr)
	}

	out, stderr, err = runCmd(t, env, "import")
	if err != nil {
		t.Fatalf("import: %v\n%s", err, stderr)
	}
	if !strings.Contains(out, "imported embedded dataset: "+wantLine(total, 0, 0, 0)) {
		t.Errorf("first import printed %q, want %s", out, wantLine(total, 0, 0, 0))
	}
	out, _, err = runCmd(t, env, "import")
	if err != nil || !strings.Contains(out, wantLine(0, 0, 0, total)) {
		t.Errorf("second import: %v %q, want %s", err, out, wantLine(0, 0, 0, total))
	}

	// Edit one file and import it alone: exactly the edited features change.
	dir := copyDataset(t)
	nameRE := regexp.MustCompile(`"name": *"al-Hol camp"`)
	var edited int
	editFile(t, dir, "facilities.geojson", func(s string) string {
		edited = len(nameRE.FindAllString(s, -1))
		return nameRE.ReplaceAllString(s, `"name": "al-Hol camp (edited)"`)
	})
	if edited == 0 {
		t.Fatal("no al-Hol camp feature to edit in facilities.geojson")
	}
	facilities := len(ds.Features["facilities"])
	file := filepath.Join(dir, "facilities.geojson")
	out, stderr, err = runCmd(t, env, "import", file)
	if err != nil || !strings.Contains(out, wantLine(0, edited, 0, facilities-edited)) {
		t.Errorf("import of an edited file: %v %q, want %s\n%s", err, out, wantLine(0, edited, 0, facilities-edited), stderr)
	}

	// A broken import writes nothing: the next import finds everything unchanged.
	broken := copyDataset(t)
	editFile(t, broken, "facilities.geojson", func(s string) string {
		return strings.Replace(s, `"type": "Point"`, `"type": "Pointy"`, 1)
	})
	if _, stderr, err = runCmd(t, env, "import", broken); err == nil {
		t.Errorf("broken import succeeded\n%s", stderr)
	}
	out, _, err = runCmd(t, env, "import", file)
	if err != nil || !strings.Contains(out, wantLine(0, 0, 0, facilities)) {
		t.Errorf("import after a rejected one: %v %q, want %s", err, out, wantLine(0, 0, 0, facilities))
	}

	base, logs, stop := startServe(t, nil, env, nil)
	var health map[string]any
	getJSON(t, base+"/healthz", &health)
	// serve checks the migrations in the background: until it is ready the
	// API answers 503.
	waitStatus(t, base+"/readyz", http.StatusOK, 30*time.Second)
	checkCollections(t, base)
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, logs)
	}
	if !strings.Contains(logs.String(), "store=postgis") {
		t.Errorf("serve did not use PostGIS:\n%s", logs)
	}
}
