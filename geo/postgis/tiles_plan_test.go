package postgis_test

import (
	"context"
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

// TestTileComputesEachGeometryOnce explains the tile statement of areas and
// of points and fails when ST_AsMVTGeom is in a condition of the plan (a
// plain EXPLAIN shows conditions, not what a node outputs): a condition on
// the tile geometry outside the inlined subquery is pushed down into it,
// and the most expensive function of a tile is then computed twice per
// row, once to test it and once for the tile. The tiles themselves are
// checked against the memory store's, byte for byte, by the golden tests.
func TestTileComputesEachGeometryOnce(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	opts := gen.DefaultOptions()
	opts.Points, opts.Polygons, opts.Facilities, opts.Events = 500, 40, 0, 0
	ds := gen.Scale(3, opts)
	if _, err := postgis.Import(ctx, dbURL, ds); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	tile := maptile.At(orb.Point{38.8, 35.1}, 7)
	for _, collection := range []string{"areas", "points"} {
		t.Run(collection, func(t *testing.T) {
			sql, args := postgis.TileSQLForTest(collection, tile, geo.Query{Time: day})
			rows, err := conn.Query(ctx, "EXPLAIN "+sql, args...)
			if err != nil {
				t.Fatal(err)
			}
			lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
			if err != nil {
				t.Fatal(err)
			}
			plan := strings.Join(lines, "\n")
			if strings.Contains(strings.ToLower(plan), "st_asmvtgeom(") {
				t.Errorf("ST_AsMVTGeom is in a condition of the plan:\n%s", plan)
			}
			// The tile has features: the statement is not checked on an
			// empty plan.
			s, err := postgis.Open(ctx, dbURL)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			b, err := s.Tile(ctx, collection, tile, geo.Query{Time: day})
			if err != nil || len(b) == 0 {
				t.Fatalf("tile %v of %s: %d bytes, %v", tile, collection, len(b), err)
			}
		})
	}
}
