package postgis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

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
		{"bbox parameter and a property filter", `controller IN ('government', 'sdf') AND status <> 'besieged'`, true, "features_geom_idx"},
		{"S_INTERSECTS with a box in the filter", `S_INTERSECTS(geometry, BBOX(38, 34, 38.5, 34.5)) AND controller = 'sdf'`, false, "features_geom_idx"},
		{"S_WITHIN a polygon", `S_WITHIN(geometry, POLYGON((38 34, 38.5 34, 38.5 34.5, 38 34.5, 38 34)))`, false, "features_geom_idx"},
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
