package postgis_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// withGeomCondition is the tile statement as it was before: the features
// left without a geometry in the tile removed by a condition, which
// PostgreSQL pushes down into the inlined subquery.
func withGeomCondition(t *testing.T, sql string) string {
	t.Helper()
	const tail = "FROM t)"
	if strings.Count(sql, tail) != 1 {
		t.Fatalf("the tile statement no longer ends its aggregate with %q:\n%s", tail, sql)
	}
	return strings.Replace(sql, tail, "FROM t WHERE t.geom IS NOT NULL)", 1)
}

// TestTileMVTGeomNotInACondition explains the tile statement of areas and of
// points and fails when ST_AsMVTGeom is in a condition of the plan (a plain
// EXPLAIN shows conditions, not what a node outputs): a condition on the
// tile geometry outside the inlined subquery is pushed down into it, and
// the most expensive function of a tile is then computed twice per row,
// once to test it and once for the tile. The control puts that condition
// back and must see the function in the plan.
func TestTileMVTGeomNotInACondition(t *testing.T) {
	conn := tileTestDB(t)
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	tile := maptile.At(orb.Point{38.8, 35.1}, 7)
	explain := func(t *testing.T, sql string, args []any) string {
		return strings.ToLower(explainPlan(t, conn, sql, args))
	}
	for _, collection := range []string{"areas", "points"} {
		t.Run(collection, func(t *testing.T) {
			sql, args := postgis.TileSQLForTest(collection, tile, geo.Query{Time: day})
			if plan := explain(t, sql, args); strings.Contains(plan, "st_asmvtgeom(") {
				t.Errorf("ST_AsMVTGeom is in a condition of the plan:\n%s", plan)
			}
			if plan := explain(t, withGeomCondition(t, sql), args); !strings.Contains(plan, "st_asmvtgeom(") {
				t.Errorf("control: with the condition on t.geom, the plan does not show ST_AsMVTGeom in a condition:\n%s", plan)
			}
		})
	}
}

// TestTileSameBytesWithoutTheCondition runs the tile statement with and
// without the condition on t.geom for tiles with features, without any,
// and with features that ST_AsMVTGeom leaves without a geometry (counted,
// so that the case is known to be there), and requires the same bytes:
// ST_AsMVT skips a feature without a geometry, its keys and values
// included, as the condition did.
func TestTileSameBytesWithoutTheCondition(t *testing.T) {
	ctx := context.Background()
	conn := tileTestDB(t)
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	tiles := cornerTiles(gen.DefaultOptions().Bound, 0, 2, 4, 7, 10, 13)
	tiles = append(tiles, maptile.New(0, 0, 10)) // far from any feature
	nonEmpty, empty, dropped := 0, 0, 0
	for _, collection := range []string{"areas", "points"} {
		for _, tile := range tiles {
			for _, q := range []geo.Query{{Time: day}, {}} {
				sql, args := postgis.TileSQLForTest(collection, tile, q)
				got := tileBytes(t, conn, sql, args)
				want := tileBytes(t, conn, withGeomCondition(t, sql), args)
				var exists bool
				if !bytes.Equal(got, want) {
					t.Errorf("%s tile %v, %v: %d bytes, %d with the condition", collection, tile, q.Time, len(got), len(want))
				}
				var nulls int
				if err := conn.QueryRow(ctx, countNullGeoms(t, sql), args...).Scan(&exists, &nulls); err != nil {
					t.Fatal(err)
				}
				dropped += nulls
				if len(got) == 0 {
					empty++
				} else {
					nonEmpty++
				}
			}
		}
	}
	if nonEmpty == 0 || empty == 0 || dropped == 0 {
		t.Errorf("compared %d tiles with features and %d without, with %d features left without a geometry: want some of each", nonEmpty, empty, dropped)
	}
}

// cornerTiles are the tiles at each zoom of zooms that hold the centre and
// the corners of area.
func cornerTiles(area orb.Bound, zooms ...maptile.Zoom) []maptile.Tile {
	var tiles []maptile.Tile
	for _, z := range zooms {
		for _, p := range []orb.Point{area.Center(), area.Min, area.Max, {area.Min[0], area.Max[1]}, {area.Max[0], area.Min[1]}} {
			tiles = append(tiles, maptile.At(p, z))
		}
	}
	return tiles
}

// tileBytes runs a tile statement and returns its tile.
func tileBytes(t *testing.T, conn *pgx.Conn, sql string, args []any) []byte {
	t.Helper()
	var exists bool
	var tile []byte
	if err := conn.QueryRow(context.Background(), sql, args...).Scan(&exists, &tile); err != nil {
		t.Fatalf("%v\n%s", err, sql)
	}
	return tile
}

// countNullGeoms turns the tile statement into one that counts the features
// it selects that ST_AsMVTGeom leaves without a geometry.
func countNullGeoms(t *testing.T, sql string) string {
	t.Helper()
	re := regexp.MustCompile(`\(SELECT ST_AsMVT\(t\.\*, (\$\d+), \d+, 'geom'\) FROM t\)`)
	if len(re.FindAllString(sql, -1)) != 1 {
		t.Fatalf("the tile statement's aggregate is not where it was:\n%s", sql)
	}
	// The layer's parameter (the expression's group, $1 below) is still
	// used, so that PostgreSQL knows its type.
	return re.ReplaceAllString(sql, `(SELECT count(*) FILTER (WHERE t.geom IS NULL AND $1::text IS NOT NULL) FROM t)`)
}

// tileTestDB imports a small generated dataset (points and areas) into a
// new test database and returns a connection to it.
func tileTestDB(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	opts := gen.DefaultOptions()
	opts.Points, opts.Polygons, opts.Facilities, opts.Events = 500, 40, 0, 0
	ds := gen.Scale(3, opts)
	// A sliver of an area at the centre of the dataset, a hundredth of a
	// metre wide: ST_AsMVTGeom leaves it without a geometry at every zoom
	// used here.
	sliver := ds.Features[gen.Areas][0]
	sliver.ID, sliver.Thing = "area-sliver", "area-sliver"
	c := opts.Bound.Center()
	sliver.Geometry = orb.Polygon{{c, {c[0] + 0.01, c[1]}, {c[0] + 0.01, c[1] + 1e-7}, c}}
	ds.Features[gen.Areas] = append(ds.Features[gen.Areas], sliver)
	if _, err := postgis.Import(ctx, dbURL, ds); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}
