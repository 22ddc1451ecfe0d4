package geo_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
)

// copyDataset writes the shipped dataset into a new folder and returns it.
func copyDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, data.FS); err != nil {
		t.Fatal(err)
	}
	return dir
}

// loadFolder loads dir as the commands do (geo.OpenFolder).
func loadFolder(t *testing.T, dir string) error {
	t.Helper()
	fsys, closeDir, err := geo.OpenFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer closeDir()
	_, err = geo.LoadDir(fsys)
	return err
}

// TestLoaderReadsOnlyRegularFilesInside: a data folder cannot make the
// loader read outside it, block on a FIFO, or read without limit; each case
// is a problem naming the file.
func TestLoaderReadsOnlyRegularFilesInside(t *testing.T) {
	if err := loadFolder(t, copyDataset(t)); err != nil {
		t.Fatalf("the shipped dataset, copied: %v", err)
	}
	outside := filepath.Join(t.TempDir(), "secret.geojson")
	if err := os.WriteFile(outside, []byte(`{"type":"FeatureCollection","features":[]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		file  string
		want  string
	}{
		{"link out of the folder", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "events.geojson")))
			must(t, os.Symlink(outside, filepath.Join(dir, "events.geojson")))
		}, "events.geojson", "cannot read"},
		{"link to a system file", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "events.geojson")))
			must(t, os.Symlink("/etc/passwd", filepath.Join(dir, "events.geojson")))
		}, "events.geojson", "cannot read"},
		{"FIFO", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "events.geojson")))
			must(t, syscall.Mkfifo(filepath.Join(dir, "events.geojson"), 0o644))
		}, "events.geojson", "not a regular file (a FIFO)"},
		{"folder", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, "events.geojson")))
			must(t, os.Mkdir(filepath.Join(dir, "events.geojson"), 0o755))
		}, "events.geojson", "its file is missing"}, // the folder lister skips folders
		{"larger than the limit", func(t *testing.T, dir string) {
			// A sparse file: its size is known without writing it.
			must(t, os.Truncate(filepath.Join(dir, "events.geojson"), geo.MaxFileBytes+1))
		}, "events.geojson", "the most the loader reads"},
		{"catalogue is a FIFO", func(t *testing.T, dir string) {
			must(t, os.Remove(filepath.Join(dir, geo.CatalogFile)))
			must(t, syscall.Mkfifo(filepath.Join(dir, geo.CatalogFile), 0o644))
		}, geo.CatalogFile, "not a regular file (a FIFO)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := copyDataset(t)
			tt.setup(t, dir)
			err := loadFolder(t, dir)
			var le *geo.LoadError
			if !errors.As(err, &le) {
				t.Fatalf("load = %v, want a LoadError", err)
			}
			for _, p := range le.Problems {
				if p.File == tt.file && strings.Contains(p.Reason, tt.want) {
					return
				}
			}
			t.Errorf("no problem for %s saying %q in %v", tt.file, tt.want, err)
		})
	}
	t.Run("link inside the folder", func(t *testing.T) {
		dir := copyDataset(t)
		must(t, os.Rename(filepath.Join(dir, "events.geojson"), filepath.Join(dir, "events.data")))
		must(t, os.Symlink("events.data", filepath.Join(dir, "events.geojson")))
		if err := loadFolder(t, dir); err != nil {
			t.Errorf("a link to a file inside the folder: %v", err)
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
