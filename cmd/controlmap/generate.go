package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/controlmap/controlmap/geo/gen"
)

// generateUsage is the first line of `controlmap generate -h`.
const generateUsage = "usage: controlmap generate --out DIR [--seed N] [--polygons N] [--points N] [--facilities N] [--events N] [--min-vertices N] [--max-vertices N]"

// generate writes the scale dataset of issue 6 (geo/gen) to a folder that
// `serve --data` and `import` read: at least 2,000 dated polygons of
// 200–2,000 vertices, 100,000 dated points and 50 facilities by default,
// the same bytes for the same seed. It takes its own flags, and reads no
// environment variable and no database.
func generate(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("controlmap generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, generateUsage)
		fs.PrintDefaults()
	}
	seed := fs.Int64("seed", 1, "seed of the generator: the same seed gives the same bytes")
	out := fs.String("out", "", "`folder` to write catalog.json and the GeoJSON files to (required; created if missing)")
	var o gen.Options
	fs.IntVar(&o.Polygons, "polygons", 0, "dated polygon features (0: default 2000, -1: none)")
	fs.IntVar(&o.Points, "points", 0, "dated point features (0: default 100000, -1: none)")
	fs.IntVar(&o.Facilities, "facilities", 0, "facility sites (0: default 50, -1: none)")
	fs.IntVar(&o.Events, "events", 0, "events (0: default 40, -1: none)")
	fs.IntVar(&o.MinVertices, "min-vertices", 0, "fewest vertices of a polygon (0: default 200)")
	fs.IntVar(&o.MaxVertices, "max-vertices", 0, "most vertices of a polygon (0: default 2000)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{fmt.Errorf("controlmap generate: %w", err)}
	}
	if *out == "" || fs.NArg() > 0 {
		return usageError{errors.New("controlmap generate: --out DIR is required and no other arguments are taken (" + generateUsage + ")")}
	}
	if err := o.Validate(); err != nil {
		return usageError{fmt.Errorf("controlmap generate: %w", err)}
	}
	start := time.Now()
	ds := gen.Scale(*seed, o)
	if err := gen.WriteDir(*out, ds); err != nil {
		return fmt.Errorf("controlmap generate: %w", err)
	}
	fmt.Fprintf(stdout, "generated %s (seed %d, digest %s) in %s:", *out, *seed, ds.Digest, time.Since(start).Round(time.Millisecond))
	for _, c := range ds.Collections {
		fmt.Fprintf(stdout, " %s %d", c.ID, c.Count)
	}
	fmt.Fprintln(stdout)
	return nil
}
