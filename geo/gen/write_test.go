package gen_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/geo/gen"
)

func TestWriteDir(t *testing.T) {
	ds := gen.Scale(1, gen.Options{Polygons: 3, MinVertices: 10, MaxVertices: 20, Points: 5, Facilities: 2, Events: 1})
	t.Run("refuses other collections", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "rivers.geojson"), []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		err := gen.WriteDir(dir, ds)
		if err == nil || !strings.Contains(err.Error(), "rivers.geojson") {
			t.Fatalf("WriteDir into a folder holding rivers.geojson: %v", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "catalog.json")); !os.IsNotExist(err) {
			t.Errorf("catalog.json written although WriteDir refused: %v", err)
		}
	})
	t.Run("replaces its own files and leaves no temporary ones", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "new", "folder")
		for range 2 {
			if err := gen.WriteDir(dir, ds); err != nil {
				t.Fatal(err)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if got := strings.Join(names, " "); got != "areas.geojson catalog.json events.geojson facilities.geojson points.geojson" {
			t.Errorf("folder holds %s", got)
		}
	})
}
