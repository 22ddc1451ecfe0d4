package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
)

// importData validates the dataset named by cfg.Args and loads it into
// PostGIS in one transaction. Every problem is printed (file, feature,
// reason) and nothing is written when there is any.
func importData(ctx context.Context, cfg Config, s sys) error {
	ds, source, err := loadImport(ctx, cfg.Args)
	if err != nil {
		return reportProblems(s.stderr, source, err)
	}
	if cfg.DryRun {
		n := 0
		for _, feats := range ds.Features {
			n += len(feats)
		}
		fmt.Fprintf(s.stdout, "checked %s: %d collection(s), %d feature(s), no problems; nothing written (dry run)\n", source, len(ds.Collections), n)
		return nil
	}
	if cfg.Migrate {
		if err := postgis.Migrate(ctx, cfg.AdminDatabaseURL); err != nil {
			return fmt.Errorf("controlmap import: migrate: %w", err)
		}
	}
	res, err := postgis.Import(ctx, cfg.AdminDatabaseURL, ds)
	if err != nil {
		return reportProblems(s.stderr, source, err)
	}
	fmt.Fprintf(s.stdout, "imported %s: %d inserted, %d updated, %d deleted, %d unchanged\n",
		source, res.Inserted, res.Updated, res.Deleted, res.Unchanged)
	return nil
}

// reportProblems prints each problem of a *geo.LoadError on its own line and
// returns a summary error; other errors are returned wrapped.
func reportProblems(w io.Writer, source string, err error) error {
	var le *geo.LoadError
	if !errors.As(err, &le) {
		return fmt.Errorf("controlmap import: %w", err)
	}
	for _, p := range le.Problems {
		fmt.Fprintln(w, p.String())
	}
	return fmt.Errorf("controlmap import: %s: %d problem(s); nothing was written", source, len(le.Problems))
}

// loadImport reads the dataset to import: the embedded dataset when args is
// empty, a dataset folder when args is one folder, or the named .geojson
// files of one folder read against that folder's catalog.json. It also
// returns a description of the source for messages. It stops when ctx is
// done.
func loadImport(ctx context.Context, args []string) (*geo.Dataset, string, error) {
	if len(args) == 0 {
		ds, err := geo.LoadDirContext(ctx, data.FS)
		return ds, "embedded dataset", err
	}
	if len(args) == 1 {
		if fi, err := os.Stat(args[0]); err == nil && fi.IsDir() {
			fsys, closeDir, err := geo.OpenFolder(args[0])
			if err != nil {
				return nil, args[0], err
			}
			defer closeDir()
			ds, err := geo.LoadDirContext(ctx, fsys)
			return ds, args[0], err
		}
	}
	source := strings.Join(args, " ")
	var probs []geo.Problem
	dir := ""
	names := make([]string, 0, len(args))
	for _, a := range args {
		fi, err := os.Stat(a)
		switch {
		case err != nil:
			reason := err.Error()
			var pe *fs.PathError
			if errors.As(err, &pe) {
				reason = pe.Err.Error()
			}
			probs = append(probs, geo.Problem{File: a, Reason: "cannot read: " + reason})
			continue
		case fi.IsDir():
			probs = append(probs, geo.Problem{File: a, Reason: "is a folder: give one folder alone, or .geojson files"})
			continue
		case filepath.Ext(a) != ".geojson":
			probs = append(probs, geo.Problem{File: a, Reason: "not a .geojson file (its name must be COLLECTION.geojson)"})
			continue
		}
		d := filepath.Dir(a)
		if dir == "" {
			dir = d
		} else if d != dir {
			probs = append(probs, geo.Problem{File: a, Reason: fmt.Sprintf("not in %s: files imported together must share one folder and its %s", dir, geo.CatalogFile)})
			continue
		}
		names = append(names, filepath.Base(a))
	}
	if len(probs) > 0 {
		return nil, source, &geo.LoadError{Problems: probs}
	}
	fsys, closeDir, err := geo.OpenFolder(dir)
	if err != nil {
		return nil, source, err
	}
	defer closeDir()
	cat, err := geo.ReadCatalog(fsys)
	if err != nil {
		return nil, source, err
	}
	ds, err := geo.LoadFilesContext(ctx, fsys, cat, names, false)
	return ds, source, err
}
