package postgis_test

import (
	"context"
	"strconv"
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
)

// TestFilterUsesTheIndexes explains the statements of CQL2 filters bounded
// by a box (in the bbox parameter or in the filter itself) or by a time, on
// 5,000 generated points, and fails on a sequential scan of the features
// table: the translation must leave PostgreSQL its GiST indexes on geom
// (with the collection) and valid. The plans are PostgreSQL's own choice
// (nothing is disabled), so a condition the index cannot serve shows as a
// Seq Scan.
func TestFilterUsesTheIndexes(t *testing.T) {
	ctx := context.Background()
	opts := gen.DefaultOptions()
	opts.Points, opts.Polygons, opts.Facilities, opts.Events = 5_000, -1, -1, -1
	ds, conn := importScale(t, 7, opts)
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
		{"bbox parameter and a property filter", `controller IN ('government', 'sdf') AND status <> 'besieged'`, true, "features_geom_collection_valid_idx"},
		{"S_INTERSECTS with a box in the filter", `S_INTERSECTS(geometry, BBOX(38, 34, 38.5, 34.5)) AND controller = 'sdf'`, false, "features_geom_collection_valid_idx"},
		{"S_WITHIN a polygon", `S_WITHIN(geometry, POLYGON((38 34, 38.5 34, 38.5 34.5, 38 34.5, 38 34)))`, false, "features_geom_collection_valid_idx"},
		{"box and time", `S_INTERSECTS(geometry, BBOX(38, 34, 38.5, 34.5)) AND T_INTERSECTS(INTERVAL(valid_from, valid_to), DATE('2025-11-15'))`, false, "features_geom_collection_valid_idx"},
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

// TestBoxReadsOneCollectionAndDateInTheIndex explains the statements that
// read features by place at a date — a page by bbox, a tile planned for its
// values, and with the generic plan of a prepared statement a tile (as
// tiles from tilePlannedBelow run), three tiles read together (as tiles
// asked at once are: tilebatch.go) and a page read unordered up to its
// limit, by bbox and datetime or by a CQL2 filter (as wholePage reads one)
// — for a small collection (200 polygons) beside
// a large one (20,000 points) in the same table, and for the large one. It
// fails unless the spatial index tests the collection and the validity
// itself (migration 0004 put the collection in it, 0005 the validity): with
// the index on geom alone, a box of areas found the points' rows there and
// read each from the table to drop it, or ANDed the index with the primary
// key's rows of the whole collection; without the validity, the other
// dates' versions were read from the table to be dropped, and the generic
// plan of a tile could AND the validity's own index with the spatial one
// (64 ms against 0.95 ms on the scale dataset).
func TestBoxReadsOneCollectionAndDateInTheIndex(t *testing.T) {
	ctx := context.Background()
	opts := gen.DefaultOptions()
	opts.Points, opts.Polygons, opts.MinVertices, opts.MaxVertices, opts.Facilities, opts.Events = 20_000, 200, 8, 16, -1, -1
	_, conn := importScale(t, 7, opts)
	// ANALYZE reads every row of a table this small: the same statistics,
	// and plans, on every run. The session is the store's (sessionDefaults).
	if _, err := conn.Exec(ctx, "ANALYZE features; SET jit = off; SET max_parallel_workers_per_gather = 0"); err != nil {
		t.Fatal(err)
	}
	generic := func(t *testing.T, sql string, args []any) string {
		t.Helper()
		if _, err := conn.Exec(ctx, "PREPARE generic AS "+sql+"; SET plan_cache_mode = force_generic_plan"); err != nil {
			t.Fatal(err)
		}
		defer func() {
			if _, err := conn.Exec(ctx, "DEALLOCATE generic; RESET plan_cache_mode"); err != nil {
				t.Fatal(err)
			}
		}()
		// EXECUTE takes its values as literals, not parameters.
		lits := make([]string, len(args))
		for i, a := range args {
			switch v := a.(type) {
			case string:
				lits[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
			case time.Time:
				lits[i] = "'" + v.Format(time.RFC3339Nano) + "'"
			case float64:
				lits[i] = strconv.FormatFloat(v, 'g', -1, 64)
			case int:
				lits[i] = strconv.Itoa(v)
			case nil:
				lits[i] = "NULL"
			case []float64:
				fs := make([]string, len(v))
				for j, f := range v {
					fs[j] = strconv.FormatFloat(f, 'g', -1, 64)
				}
				lits[i] = "ARRAY[" + strings.Join(fs, ", ") + "]::float8[]"
			default:
				t.Fatalf("argument %d: %T has no literal here", i+1, a)
			}
		}
		return explainPlan(t, conn, "EXECUTE generic("+strings.Join(lits, ", ")+")", nil)
	}
	day := geo.Day(time.Date(2025, 11, 15, 0, 0, 0, 0, time.UTC))
	box := orb.Bound{Min: orb.Point{38, 34}, Max: orb.Point{39, 35}}
	tile := maptile.At(orb.Point{38.5, 34.5}, 10)
	for _, collection := range []string{gen.Areas, gen.Points} {
		items, itemArgs := postgis.ItemsSQLForTest(collection, geo.Query{BBox: &box, Time: day, Limit: 100})
		tiles, tileArgs := postgis.TileSQLForTest(collection, tile, geo.Query{Time: day})
		// Three tiles read together (tilebatch.go), by their sides.
		batch, batchArgs := postgis.TileBatchSQLForTest(collection, geo.Query{Time: day})
		var sides [4][]float64
		for i := range uint32(3) {
			b := geo.TileBound(maptile.New(tile.X+i, tile.Y, tile.Z))
			for j, v := range []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]} {
				sides[j] = append(sides[j], v)
			}
		}
		batchArgs = append(batchArgs, sides[0], sides[1], sides[2], sides[3])
		// The page of points read unordered, up to one more than its
		// limit, as a prepared statement (wholePage, wholePrepared).
		whole, wholeArgs := postgis.ItemsSQLForTest(collection, geo.Query{BBox: &box, Time: day, Limit: 101, Unordered: true, Uncounted: true})
		// The same page asked by a CQL2 filter (the bench's g-cql2).
		filter, err := cql2.ParseText(`S_INTERSECTS(geometry, BBOX(38, 34, 39, 35)) AND T_INTERSECTS(INTERVAL(valid_from, valid_to), DATE('2025-11-15'))`, cql2.Schema{}, cql2.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		wholeCQL2, wholeCQL2Args := postgis.ItemsSQLForTest(collection, geo.Query{Filter: filter, Limit: 101, Unordered: true, Uncounted: true})
		plans := map[string]func(t *testing.T) string{
			"page":                                func(t *testing.T) string { return explainPlan(t, conn, items, itemArgs) },
			"tile":                                func(t *testing.T) string { return explainPlan(t, conn, tiles, tileArgs) },
			"generic tile":                        func(t *testing.T) string { return generic(t, tiles, tileArgs) },
			"generic tiles together":              func(t *testing.T) string { return generic(t, batch, batchArgs) },
			"generic whole page":                  func(t *testing.T) string { return generic(t, whole, wholeArgs) },
			"generic whole page by a CQL2 filter": func(t *testing.T) string { return generic(t, wholeCQL2, wholeCQL2Args) },
		}
		for name, explain := range plans {
			t.Run(collection+" "+name, func(t *testing.T) {
				plan := explain(t)
				var inIndex bool
				for _, line := range strings.Split(plan, "\n") {
					line = strings.TrimSpace(line)
					if strings.HasPrefix(line, "Filter:") && (strings.Contains(line, "collection =") || strings.Contains(line, "valid &&")) {
						t.Errorf("the collection or the validity is tested on the table's rows, not in the index:\n%s", plan)
					}
					if strings.HasPrefix(line, "Index Cond:") && strings.Contains(line, "geom &&") &&
						strings.Contains(line, "collection =") && strings.Contains(line, "valid &&") {
						inIndex = true
					}
				}
				if !inIndex || !strings.Contains(plan, "features_geom_collection_valid_idx") {
					t.Errorf("no index condition on geom, collection and validity together (features_geom_collection_valid_idx):\n%s", plan)
				}
				for _, other := range []string{"features_pkey", "features_valid_idx"} {
					if strings.Contains(plan, other) {
						t.Errorf("%s is read too:\n%s", other, plan)
					}
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
