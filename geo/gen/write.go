package gen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/controlmap/controlmap/geo"
)

// WriteDir writes ds as a dataset folder in the format of
// docs/data-format.md: catalog.json and one <id>.geojson per collection, one
// feature per line, in id order. It creates dir if needed and replaces the
// files it writes (each through a temporary file and a rename), and refuses a
// folder holding other .geojson files, which would make it unloadable. The
// bytes depend only on ds.
func WriteDir(dir string, ds *geo.Dataset) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	want := map[string]bool{}
	for _, c := range ds.Collections {
		want[c.ID+".geojson"] = true
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	var other []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".geojson") && !want[e.Name()] {
			other = append(other, e.Name())
		}
	}
	if len(other) > 0 {
		return fmt.Errorf("gen: %s holds GeoJSON files of other collections (%s); write to an empty folder", dir, strings.Join(other, ", "))
	}

	cat, err := json.MarshalIndent(geo.Catalog{Collections: ds.Collections}, "", "  ")
	if err != nil {
		return fmt.Errorf("gen: encode catalogue: %w", err)
	}
	err = writeFile(filepath.Join(dir, geo.CatalogFile), func(w io.Writer) error {
		_, err := w.Write(append(cat, '\n'))
		return err
	})
	if err != nil {
		return err
	}
	for _, c := range ds.Collections {
		feats := ds.Features[c.ID]
		err := writeFile(filepath.Join(dir, c.ID+".geojson"), func(w io.Writer) error {
			return encodeFeatures(w, feats)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// encodeFeatures writes a FeatureCollection with one feature per line, laid
// out like the shipped data files.
func encodeFeatures(w io.Writer, feats []geo.Feature) error {
	if _, err := io.WriteString(w, `{"type": "FeatureCollection", "features": [`+"\n"); err != nil {
		return err
	}
	for i, f := range feats {
		b, err := json.Marshal(f.GeoJSON())
		if err != nil {
			return fmt.Errorf("feature %s: %w", f.ID, err)
		}
		if i < len(feats)-1 {
			b = append(b, ',')
		}
		if _, err := w.Write(append(b, '\n')); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, "]}\n")
	return err
}

// writeFile writes path through a temporary file in the same folder (named
// so the loader ignores it) and renames it into place once complete.
func writeFile(path string, write func(io.Writer) error) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	bw := bufio.NewWriterSize(tmp, 1<<20)
	if err := write(bw); err != nil {
		return fmt.Errorf("gen: write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("gen: write %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("gen: write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("gen: %w", err)
	}
	return nil
}
