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
	"github.com/controlmap/controlmap/geo/cql2"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// TestFilterUsesTheIndexes explains the statements of CQL2 filters bounded
// by a box (in the bbox parameter or in the filter itself) or by a time, on
// 5,000 generated points, and fails on a sequential scan of the features
// table: the translation must leave PostgreSQL its GiST indexes on geom and
// valid. The plans are PostgreSQL's own choice (nothing is disabled), so a
// condition the index cannot serve shows as a Seq Scan.
func TestFilterUsesTheIndexes(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	opts := gen.DefaultOptions()
	opts.Points, opts.Polygons, opts.Facilities, opts.Events = 5_000, 0, 0, 0
	ds := gen.Scale(7, opts)
	if _, err := postgis.Import(ctx, dbURL, ds); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "ANALYZE features"); err != nil {
		t.Fatal(err)
	}
	var col geo.Collection
	for _, c := range ds.Collections {
		if c.ID == "points" {
			col = c
		}
	}
	schema := cql2.Schema{Properties: col.Properties}
	box := orb.Bound{Min: orb.Point{38, 34}, Max: orb.Point{38.5, 34.5}}
	cases := []struct {
		name   string
		filter string
		bbox   bool
		index  string // "" for the control: a filter no index serves
	}{
		{"control: a property alone is read by a scan", `controller = 'sdf'`, false, ""},
		{"bbox parameter and a property filter", `controller IN ('government', 'sdf') AND status <> 'besieged'`, true, "features_geom_collection_idx"},
		{"S_INTERSECTS with a box in the filter", `S_INTERSECTS(geometry, BBOX(38, 34, 38.5, 34.5)) AND controller = 'sdf'`, false, "features_geom_collection_idx"},
		{"S_WITHIN a polygon", `S_WITHIN(geometry, POLYGON((38 34, 38.5 34, 38.5 34.5, 38 34.5, 38 34)))`, false, "features_geom_collection_idx"},
		{"box and time", `S_INTERSECTS(geometry, BBOX(38, 34, 38.5, 34.5)) AND T_INTERSECTS(INTERVAL(valid_from, valid_to), DATE('2025-11-15'))`, false, "_idx"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e, err := cql2.ParseText(tc.filter, schema, cql2.DefaultLimits)
			if err != nil {
				t.Fatal(err)
			}
			q := geo.Query{Filter: e, Limit: 100}
			if tc.bbox {
				q.BBox = &box
			}
			sql, args := postgis.ItemsSQLForTest("points", q)
			plan := explainPlan(t, conn, sql, args)
			if tc.index == "" {
				if !strings.Contains(plan, "Seq Scan on features") {
					t.Errorf("the control has no sequential scan; the check below would prove nothing:\n%s", plan)
				}
				return
			}
			if strings.Contains(plan, "Seq Scan on features") {
				t.Errorf("a sequential scan of features:\n%s\n%s", sql, plan)
			}
			if !strings.Contains(plan, tc.index) {
				t.Errorf("no index %s in the plan:\n%s", tc.index, plan)
			}
		})
	}
}

// TestBoxReadsOneCollectionInTheIndex explains the statements that read
// features by place — a page by bbox at a date, a tile — for a small
// collection (200 polygons) beside a large one (20,000 points) in the same
// table, and for the large one, and fails unless the spatial index checks
// the collection itself (migration 0004: the index on geom and collection):
// with the index on geom alone, a box of areas found the points' rows there
// and read each from the table to drop it.
func TestBoxReadsOneCollectionInTheIndex(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	opts := gen.DefaultOptions()
	opts.Points, opts.Polygons, opts.MinVertices, opts.MaxVertices, opts.Facilities, opts.Events = 20_000, 200, 8, 16, 0, 0
	if _, err := postgis.Import(ctx, dbURL, gen.Scale(7, opts)); err != nil {
		t.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "ANALYZE features"); err != nil {
		t.Fatal(err)
	}
	day := geo.Day(time.Date(2025, 11, 15, 0, 0, 0, 0, time.UTC))
	box := orb.Bound{Min: orb.Point{38, 34}, Max: orb.Point{39, 35}}
	tile := maptile.At(orb.Point{38.5, 34.5}, 10)
	for _, collection := range []string{gen.Areas, gen.Points} {
		items, itemArgs := postgis.ItemsSQLForTest(collection, geo.Query{BBox: &box, Time: day, Limit: 100})
		tiles, tileArgs := postgis.TileSQLForTest(collection, tile, geo.Query{Time: day})
		for name, st := range map[string]struct {
			sql  string
			args []any
		}{"page": {items, itemArgs}, "tile": {tiles, tileArgs}} {
			t.Run(collection+" "+name, func(t *testing.T) {
				plan := explainPlan(t, conn, st.sql, st.args)
				var inIndex bool
				for _, line := range strings.Split(plan, "\n") {
					line = strings.TrimSpace(line)
					if strings.HasPrefix(line, "Filter:") && strings.Contains(line, "collection =") {
						t.Errorf("the collection is tested on the table's rows, not in the index:\n%s", plan)
					}
					if strings.HasPrefix(line, "Index Cond:") && strings.Contains(line, "collection =") && strings.Contains(line, "geom &&") {
						inIndex = true
					}
				}
				if !inIndex || !strings.Contains(plan, "features_geom_collection_idx") {
					t.Errorf("no index condition on both geom and collection (features_geom_collection_idx):\n%s", plan)
				}
			})
		}
	}
}

// explainPlan returns PostgreSQL's plan of the statement (a plain EXPLAIN:
// its nodes and their conditions), one line of text a node.
func explainPlan(t *testing.T, conn *pgx.Conn, sql string, args []any) string {
	t.Helper()
	rows, err := conn.Query(context.Background(), "EXPLAIN "+sql, args...)
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(lines, "\n")
}
