// Command gen writes the scale dataset of issue 6 to a folder that
// `controlmap serve --data DIR`, `controlmap import DIR` and geo.LoadDir
// read:
//
//	go run ./bench/gen -seed 1 -out DIR [-points N] [-polygons N] [-facilities N] [-events N]
//
// The same seed and counts always give the same bytes. A count of 0 takes the
// default (2,000 polygons, 100,000 points, 50 facilities, 40 events); -1
// leaves that collection empty.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/controlmap/controlmap/geo/gen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, err)
		}
		os.Exit(2)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	seed := fs.Int64("seed", 1, "seed of the generator")
	out := fs.String("out", "", "folder to write catalog.json and the GeoJSON files to (required)")
	var o gen.Options
	fs.IntVar(&o.Polygons, "polygons", 0, "dated polygon features (0: default 2000, -1: none)")
	fs.IntVar(&o.Points, "points", 0, "dated point features (0: default 100000, -1: none)")
	fs.IntVar(&o.Facilities, "facilities", 0, "facility sites (0: default 50, -1: none)")
	fs.IntVar(&o.Events, "events", 0, "events (0: default 40, -1: none)")
	fs.IntVar(&o.MinVertices, "min-vertices", 0, "fewest vertices of a polygon (0: default 200)")
	fs.IntVar(&o.MaxVertices, "max-vertices", 0, "most vertices of a polygon (0: default 2000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *out == "" || fs.NArg() > 0 {
		fs.Usage()
		return errors.New("gen: -out DIR is required and no other arguments are taken")
	}
	if err := o.Validate(); err != nil {
		return err
	}
	start := time.Now()
	ds := gen.Scale(*seed, o)
	if err := gen.WriteDir(*out, ds); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "gen: wrote %s (seed %d, digest %s) in %s:", *out, *seed, ds.Digest, time.Since(start).Round(time.Millisecond))
	for _, c := range ds.Collections {
		fmt.Fprintf(stdout, " %s %d", c.ID, c.Count)
	}
	fmt.Fprintln(stdout)
	return nil
}
