package postgis_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"

	"github.com/controlmap/controlmap/internal/benchcpu"
)

// The cold-path benchmarks of the store: every iteration asks something
// different (another id, a box moved a little, another tile), as requests
// that no answer cache can serve do. They run on the scale dataset
// (gen.Scale with seed 1 and gen.DefaultOptions: 2,000 polygons of 200–2,000
// vertices, 100,000 points), imported once per test binary into a throwaway
// database that TestMain drops; the generation and import take about 40 s.
// Set EnvBenchURL to a database that already holds it (`controlmap generate
// --seed 1` and `controlmap import`) to skip that.

// EnvBenchURL names a database holding the scale dataset for the benchmarks.
const EnvBenchURL = "CONTROLMAP_BENCH_DATABASE_URL"

// benchDay is the date the dated benchmarks ask for.
var benchDay = geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))

// scaleDB is the benchmarks' database, made once per test binary.
var scaleDB struct {
	once sync.Once
	url  string
	drop func() error
	err  error
}

// dropScaleDB drops the benchmarks' database if they made one.
func dropScaleDB() error {
	if scaleDB.drop == nil {
		return nil
	}
	return scaleDB.drop()
}

// benchStore returns a store on the scale dataset, closed when b ends; it
// skips b when PostGIS is not available (as pgtest does).
func benchStore(b *testing.B) (*postgis.Store, string) {
	b.Helper()
	ctx := context.Background()
	scaleDB.once.Do(func() {
		if u := os.Getenv(EnvBenchURL); u != "" {
			scaleDB.url = u
			return
		}
		if scaleDB.err = pgtest.Available(ctx); scaleDB.err != nil {
			return
		}
		scaleDB.url, scaleDB.drop, scaleDB.err = pgtest.Create(ctx)
		if scaleDB.err != nil {
			return
		}
		if _, err := postgis.Import(ctx, scaleDB.url, gen.Scale(1, gen.DefaultOptions())); err != nil {
			scaleDB.err = fmt.Errorf("import the scale dataset: %w", err)
		}
	})
	if scaleDB.err != nil {
		if pgtest.RequireCI() {
			b.Fatal(scaleDB.err)
		}
		b.Skipf("SKIPPED: PostGIS benchmark not run: %v", scaleDB.err)
	}
	st, err := postgis.Open(ctx, scaleDB.url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(st.Close)
	return st, scaleDB.url
}

// pointIDs returns n ids of points spread over the collection.
func pointIDs(b *testing.B, dbURL string, n int) []string {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id FROM features WHERE collection = 'points' ORDER BY hash LIMIT $1`, n)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(ids) == 0 {
		b.Fatalf("point ids: %v (%d)", err, len(ids))
	}
	return ids
}

func BenchmarkItem(b *testing.B) {
	st, dbURL := benchStore(b)
	ids := pointIDs(b, dbURL, 1000)
	ctx := context.Background()
	b.ReportAllocs()
	defer benchcpu.Report(b)()
	for i := 0; b.Loop(); i++ {
		if _, err := st.Item(ctx, "points", ids[i%len(ids)]); err != nil {
			b.Fatal(err)
		}
	}
}

// shiftedBoxes returns n boxes of the given size from min, each moved east
// by 0.001° from the last, as the cold bbox cases of bench/run do.
func shiftedBoxes(min orb.Point, size float64, n int) []orb.Bound {
	boxes := make([]orb.Bound, n)
	for i := range boxes {
		x := min[0] + float64(i)*0.001
		boxes[i] = orb.Bound{Min: orb.Point{x, min[1]}, Max: orb.Point{x + size, min[1] + size}}
	}
	return boxes
}

func BenchmarkItemsBBoxPoints(b *testing.B) {
	benchBBox(b, "points", orb.Point{39, 35}, 0.5, geo.Query{Limit: 1000})
}

func BenchmarkItemsBBoxPolygons(b *testing.B) {
	benchBBox(b, "areas", orb.Point{38, 35}, 1, geo.Query{Time: benchDay, Limit: 100})
}

// BenchmarkItemsBBoxPointsEncoded is BenchmarkItemsBBoxPoints asked as the
// items route asks when the answer has every property: the encoded
// properties (props_json) instead of the decoded values.
func BenchmarkItemsBBoxPointsEncoded(b *testing.B) {
	benchBBox(b, "points", orb.Point{39, 35}, 0.5, geo.Query{Limit: 1000, EncodedProperties: true})
}

// BenchmarkItemsBBoxPolygonsEncoded is BenchmarkItemsBBoxPolygons asked
// likewise.
func BenchmarkItemsBBoxPolygonsEncoded(b *testing.B) {
	benchBBox(b, "areas", orb.Point{38, 35}, 1, geo.Query{Time: benchDay, Limit: 100, EncodedProperties: true})
}

// benchBBox asks q of collection with a new box of size degrees near
// center on every call (500 boxes, shifted), and fails on an empty page or,
// when q asks for them, on missing encoded properties.
func benchBBox(b *testing.B, collection string, center orb.Point, size float64, q geo.Query) {
	st, _ := benchStore(b)
	boxes := shiftedBoxes(center, size, 500)
	ctx := context.Background()
	b.ReportAllocs()
	defer benchcpu.Report(b)()
	for i := 0; b.Loop(); i++ {
		q.BBox = &boxes[i%len(boxes)]
		page, err := st.Items(ctx, collection, q)
		if err != nil || len(page.Features) == 0 || (q.EncodedProperties && page.Features[0].PropertiesJSON == nil) {
			b.Fatal(err, len(page.Features))
		}
	}
}

// BenchmarkItemsDatetime pages through the points of a date: the whole
// collection matches the filter, so numberMatched counts 50,000 rows.
func BenchmarkItemsDatetime(b *testing.B) {
	st, _ := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	defer benchcpu.Report(b)()
	for i := 0; b.Loop(); i++ {
		page, err := st.Items(ctx, "points", geo.Query{Time: benchDay, Limit: 10, Offset: (i % 100) * 10})
		if err != nil || len(page.Features) == 0 {
			b.Fatal(err, len(page.Features))
		}
	}
}

func BenchmarkTile(b *testing.B) {
	st, _ := benchStore(b)
	ctx := context.Background()
	area := orb.Bound{Min: orb.Point{38, 35}, Max: orb.Point{39.5, 36}}
	for _, collection := range []string{"areas", "points"} {
		for _, z := range []maptile.Zoom{7, 10, 13} {
			tiles := tilesAround(area, z, 64)
			b.Run(fmt.Sprintf("%s/z%d", collection, z), func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; b.Loop(); i++ {
					if _, err := st.Tile(ctx, collection, tiles[i%len(tiles)], geo.Query{Time: benchDay}); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// tilesAround returns up to n tiles at zoom z covering area, from its
// north-west corner in row order.
func tilesAround(area orb.Bound, z maptile.Zoom, n int) []maptile.Tile {
	lo, hi := maptile.At(orb.Point{area.Min[0], area.Max[1]}, z), maptile.At(orb.Point{area.Max[0], area.Min[1]}, z)
	var out []maptile.Tile
	for y := lo.Y; y <= hi.Y && len(out) < n; y++ {
		for x := lo.X; x <= hi.X && len(out) < n; x++ {
			out = append(out, maptile.New(x, y, z))
		}
	}
	return out
}

func BenchmarkCollection(b *testing.B) {
	st, _ := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Collection(ctx, "points"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCollections(b *testing.B) {
	st, _ := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Collections(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkChanges(b *testing.B) {
	st, _ := benchStore(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.Changes(ctx, "points"); err != nil {
			b.Fatal(err)
		}
	}
}
