package postgis

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
)

const cols = `id, thing, ST_AsBinary(geom), props, sources, lower(valid), upper(valid), NULL::text`

// The condition of a bbox (bboxCondition) with its shape as the second
// parameter and its sides (west, east, south, north: boxIntersects) as the
// next four, and the shapes it is given: each as PostGIS writes the same shape
// (lower(ST_AsHexEWKB(…, 'NDR')) of ST_MakeEnvelope(40, 36, 41, 37, 4326),
// of ST_MakeEnvelope(38, 35, 39, 36, 4326), of
// ST_SetSRID(ST_MakePoint(40, 36), 4326), and of
// ST_SetSRID(ST_MakeLine(ST_MakePoint(40, 36), ST_MakePoint(41, 36)), 4326)).
const (
	bboxSQL   = `geom && $2::geometry AND CASE WHEN px IS NULL THEN ST_Intersects(geom, $2::geometry) ELSE px BETWEEN $3 AND $4 AND py BETWEEN $5 AND $6 END`
	box4036   = "0103000020e610000001000000050000000000000000004440000000000000424000000000000044400000000000804240000000000080444000000000008042400000000000804440000000000000424000000000000044400000000000004240"
	box3835   = "0103000020e610000001000000050000000000000000004340000000000080414000000000000043400000000000004240000000000080434000000000000042400000000000804340000000000080414000000000000043400000000000804140"
	point4036 = "0101000020e610000000000000000044400000000000004240"
	line4036  = "0102000020e6100000020000000000000000004440000000000000424000000000008044400000000000004240"
)

// pageSQL is the statement of itemsSQL for the conditions where and the
// paging clause (LIMIT and OFFSET): the number matched is a window count
// when where holds a bbox condition, else a scalar subquery.
func pageSQL(where, paging string) string {
	count := `(SELECT count(*) FROM features WHERE ` + where + `)`
	if strings.Contains(where, "ST_Intersects") {
		count = `count(*) OVER ()`
	}
	return `SELECT ` + cols + `, ` + count + ` FROM features WHERE ` + where + ` ORDER BY id COLLATE "C"` + paging
}

func TestItemsSQL(t *testing.T) {
	jan16 := time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC)
	jan17 := jan16.AddDate(0, 0, 1)
	box := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}
	tests := []struct {
		name     string
		q        geo.Query
		wantSQL  string
		wantArgs []any
	}{
		{
			name:     "no filter",
			q:        geo.Query{},
			wantSQL:  pageSQL(`collection = $1`, ``),
			wantArgs: []any{"facilities"},
		},
		{
			name: "bbox",
			q:    geo.Query{BBox: &box},
			wantSQL: pageSQL(`collection = $1 AND `+
				bboxSQL, ``),
			wantArgs: []any{"facilities", box4036, 40.0, 41.0, 36.0, 37.0},
		},
		{
			name: "bbox that is a point",
			q:    geo.Query{BBox: &orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{40, 36}}},
			wantSQL: pageSQL(`collection = $1 AND `+
				bboxSQL, ``),
			wantArgs: []any{"facilities", point4036, 40.0, 40.0, 36.0, 36.0},
		},
		{
			name: "bbox that is a line",
			q:    geo.Query{BBox: &orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 36}}},
			wantSQL: pageSQL(`collection = $1 AND `+
				bboxSQL, ``),
			wantArgs: []any{"facilities", line4036, 40.0, 41.0, 36.0, 36.0},
		},
		{
			name: "day",
			q:    geo.Query{Time: geo.Day(jan16)},
			wantSQL: pageSQL(`collection = $1 AND `+
				`valid && tstzrange($2::timestamptz, $3::timestamptz, '[)')`, ``),
			wantArgs: []any{"facilities", jan16, jan17},
		},
		{
			name: "open start",
			q:    geo.Query{Time: geo.Interval{End: jan17}},
			wantSQL: pageSQL(`collection = $1 AND `+
				`valid && tstzrange($2::timestamptz, $3::timestamptz, '[)')`, ``),
			wantArgs: []any{"facilities", nil, jan17},
		},
		{
			name: "open end",
			q:    geo.Query{Time: geo.Interval{Start: jan16}},
			wantSQL: pageSQL(`collection = $1 AND `+
				`valid && tstzrange($2::timestamptz, $3::timestamptz, '[)')`, ``),
			wantArgs: []any{"facilities", jan16, nil},
		},
		{
			name: "instant is a closed range",
			q:    geo.Query{Time: geo.Instant(jan16)},
			wantSQL: pageSQL(`collection = $1 AND `+
				`valid && tstzrange($2::timestamptz, $3::timestamptz, '[]')`, ``),
			wantArgs: []any{"facilities", jan16, jan16},
		},
		{
			name: "time in another zone is passed in UTC",
			q:    geo.Query{Time: geo.Interval{Start: jan16.In(time.FixedZone("AST", 3*3600))}},
			wantSQL: pageSQL(`collection = $1 AND `+
				`valid && tstzrange($2::timestamptz, $3::timestamptz, '[)')`, ``),
			wantArgs: []any{"facilities", jan16, nil},
		},
		{
			name: "property filters in key order",
			q:    geo.Query{Filters: map[string]string{"status": "besieged", "controller": "sdf"}},
			wantSQL: pageSQL(`collection = $1 AND `+
				`props ->> $2::text = $3::text AND jsonb_typeof(props -> $2::text) IN ('string', 'number', 'boolean') AND `+
				`props ->> $4::text = $5::text AND jsonb_typeof(props -> $4::text) IN ('string', 'number', 'boolean')`, ``),
			wantArgs: []any{"facilities", "controller", "sdf", "status", "besieged"},
		},
		{
			name: "hostile values stay values",
			q:    geo.Query{Filters: map[string]string{`x'); DROP TABLE features; --`: `' OR 1=1 --`}},
			wantSQL: pageSQL(`collection = $1 AND `+
				`props ->> $2::text = $3::text AND jsonb_typeof(props -> $2::text) IN ('string', 'number', 'boolean')`, ``),
			wantArgs: []any{"facilities", `x'); DROP TABLE features; --`, `' OR 1=1 --`},
		},
		{
			name:     "limit and offset",
			q:        geo.Query{Limit: 3, Offset: 2},
			wantSQL:  pageSQL(`collection = $1`, ` LIMIT $2 OFFSET $3`),
			wantArgs: []any{"facilities", 3, 2},
		},
		{
			name:     "no limit, negative offset ignored",
			q:        geo.Query{Limit: 0, Offset: -4},
			wantSQL:  pageSQL(`collection = $1`, ``),
			wantArgs: []any{"facilities"},
		},
		{
			name: "everything",
			q:    geo.Query{BBox: &box, Time: geo.Day(jan16), Filters: map[string]string{"controller": "sdf"}, Limit: 10, Offset: 20},
			wantSQL: pageSQL(`collection = $1 AND `+
				bboxSQL+` AND `+
				`valid && tstzrange($7::timestamptz, $8::timestamptz, '[)') AND `+
				`props ->> $9::text = $10::text AND jsonb_typeof(props -> $9::text) IN ('string', 'number', 'boolean')`+
				``, ` LIMIT $11 OFFSET $12`),
			wantArgs: []any{"facilities", box4036, 40.0, 41.0, 36.0, 37.0, jan16, jan17, "controller", "sdf", 10, 20},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sql, args := itemsSQLCounted("facilities", tt.q)
			checkSQL(t, sql, args, tt.wantSQL, tt.wantArgs)
		})
	}
}

// TestItemsSQLNumberMatched spells out the two ways itemsSQL counts the
// matches, which pageSQL chooses between for the table above.
func TestItemsSQLNumberMatched(t *testing.T) {
	box := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}
	sql, args := itemsSQLCounted("points", geo.Query{Limit: 10})
	checkSQL(t, sql, args, `SELECT `+cols+`, (SELECT count(*) FROM features WHERE collection = $1) `+
		`FROM features WHERE collection = $1 ORDER BY id COLLATE "C" LIMIT $2`, []any{"points", 10})
	sql, args = itemsSQLCounted("points", geo.Query{BBox: &box, Limit: 10})
	checkSQL(t, sql, args, `SELECT `+cols+`, count(*) OVER () FROM features WHERE collection = $1 AND `+
		bboxSQL+` `+
		`ORDER BY id COLLATE "C" LIMIT $7`, []any{"points", box4036, 40.0, 41.0, 36.0, 37.0, 10})
}

func TestItemsCountSQL(t *testing.T) {
	box := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}
	q := geo.Query{BBox: &box, Filters: map[string]string{"controller": "sdf"}, Limit: 3, Offset: 50}
	sql, args := itemsCountSQL("facilities", q)
	checkSQL(t, sql, args,
		`SELECT EXISTS (SELECT 1 FROM collections WHERE id = $1), (SELECT count(*) FROM features WHERE collection = $1 AND `+
			bboxSQL+` AND `+
			`props ->> $7::text = $8::text AND jsonb_typeof(props -> $7::text) IN ('string', 'number', 'boolean'))`,
		[]any{"facilities", box4036, 40.0, 41.0, 36.0, 37.0, "controller", "sdf"})
}

// TestItemsSQLEncoded checks that a query asking for encoded properties
// reads props_json, and props and sources only where it is NULL.
func TestItemsSQLEncoded(t *testing.T) {
	sql, args := itemsSQLCounted("points", geo.Query{Limit: 10, EncodedProperties: true})
	checkSQL(t, sql, args, `SELECT id, thing, ST_AsBinary(geom), CASE WHEN props_json IS NULL THEN props END, `+
		`CASE WHEN props_json IS NULL THEN sources END, lower(valid), upper(valid), props_json, `+
		`(SELECT count(*) FROM features WHERE collection = $1) FROM features WHERE collection = $1 ORDER BY id COLLATE "C" LIMIT $2`,
		[]any{"points", 10})
}

func TestItemSQL(t *testing.T) {
	sql, args := itemSQL("facilities", "al-hol-1", false)
	checkSQL(t, sql, args, `SELECT id, thing, ST_AsBinary(geom), props, sources, lower(valid), upper(valid), props_json `+
		`FROM features WHERE collection = $1 AND id = $2`, []any{"facilities", "al-hol-1"})
	sql, args = itemSQL("facilities", "al-hol-1", true)
	checkSQL(t, sql, args, `SELECT id, thing, ST_AsBinary(geom), CASE WHEN props_json IS NULL THEN props END, `+
		`CASE WHEN props_json IS NULL THEN sources END, lower(valid), upper(valid), props_json `+
		`FROM features WHERE collection = $1 AND id = $2`, []any{"facilities", "al-hol-1"})
}

func TestCollectionsSQL(t *testing.T) {
	sql, args := collectionsSQL()
	checkSQL(t, sql, args, collectionsQuery+` ORDER BY c.position, c.id COLLATE "C"`, nil)
	sql, args = collectionSQL("events")
	checkSQL(t, sql, args, collectionsQuery+` WHERE c.id = $1`, []any{"events"})
}

func TestVersionSQL(t *testing.T) {
	sql, args := versionSQL()
	checkSQL(t, sql, args, `SELECT version FROM data_version`, nil)
}

func TestUpsertCollectionsSQL(t *testing.T) {
	cols := []geo.Collection{{ID: "facilities"}, {ID: "events"}}
	sql, args := upsertCollectionsSQL(cols, []string{`{"id":"facilities"}`, `{"id":"events"}`})
	checkSQL(t, sql, args,
		`INSERT INTO collections (id, position, meta) SELECT * FROM unnest($1::text[], $2::int4[], $3::jsonb[]) `+
			`ON CONFLICT (id) DO UPDATE SET position = EXCLUDED.position, meta = EXCLUDED.meta `+
			`WHERE collections.position IS DISTINCT FROM EXCLUDED.position OR collections.meta IS DISTINCT FROM EXCLUDED.meta`,
		[]any{[]string{"facilities", "events"}, []int32{0, 1}, []string{`{"id":"facilities"}`, `{"id":"events"}`}})
}

func checkSQL(t *testing.T, sql string, args []any, wantSQL string, wantArgs []any) {
	t.Helper()
	if sql != wantSQL {
		t.Errorf("sql:\n got %s\nwant %s", sql, wantSQL)
	}
	if !reflect.DeepEqual(args, wantArgs) {
		t.Errorf("args:\n got %#v\nwant %#v", args, wantArgs)
	}
}

// TestItemsSQLSimplify: a query asking for simplified geometries sends
// them through ST_Simplify with the tolerance as a parameter, collapsed
// parts kept; the conditions are on the geometries as stored.
func TestItemsSQLSimplify(t *testing.T) {
	box := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}
	sql, args := itemsSQLCounted("areas", geo.Query{BBox: &box, Limit: 10, Simplify: 0.002})
	checkSQL(t, sql, args, `SELECT id, thing, ST_AsBinary(ST_Simplify(geom, $7::float8, true)), props, sources, lower(valid), upper(valid), NULL::text, `+
		`count(*) OVER () FROM features WHERE collection = $1 AND `+
		bboxSQL+` ORDER BY id COLLATE "C" LIMIT $8`,
		[]any{"areas", box4036, 40.0, 41.0, 36.0, 37.0, 0.002, 10})
	sql, args = itemsSQLCounted("areas", geo.Query{Limit: 10, EncodedProperties: true, Simplify: 0.5})
	if !strings.Contains(sql, `SELECT id, thing, ST_AsBinary(ST_Simplify(geom, $2::float8, true)), CASE WHEN props_json`) || args[1] != 0.5 {
		t.Errorf("encoded and simplified: %s %v", sql, args)
	}
	for _, tol := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if sql, _ := itemsSQLCounted("areas", geo.Query{Simplify: tol}); strings.Contains(sql, "ST_Simplify") {
			t.Errorf("Simplify %v: %s", tol, sql)
		}
	}
}

// TestItemsSQLProperties: a query naming the properties it reads gets only
// those, each in a column of its own under a bound name, and no sources;
// naming none reads none; with EncodedProperties the names are not used.
func TestItemsSQLProperties(t *testing.T) {
	sql, args := itemsSQLCounted("points", geo.Query{Limit: 10, Properties: []string{"controller", "claim_status"}})
	checkSQL(t, sql, args, `SELECT id, thing, ST_AsBinary(geom), props -> $2::text, props -> $3::text, `+
		`lower(valid), upper(valid), NULL::text, (SELECT count(*) FROM features WHERE collection = $1) FROM features WHERE collection = $1 ORDER BY id COLLATE "C" LIMIT $4`,
		[]any{"points", "controller", "claim_status", 10})
	sql, args = itemsSQLCounted("points", geo.Query{Limit: 10, Properties: []string{}})
	checkSQL(t, sql, args, `SELECT id, thing, ST_AsBinary(geom), `+
		`lower(valid), upper(valid), NULL::text, (SELECT count(*) FROM features WHERE collection = $1) FROM features WHERE collection = $1 ORDER BY id COLLATE "C" LIMIT $2`,
		[]any{"points", 10})
	// With a bbox (the count as a window) and simplified geometries, as a
	// picture of lines reads them.
	sql, args = itemsSQLCounted("border", geo.Query{BBox: &orb.Bound{Min: orb.Point{38, 35}, Max: orb.Point{39, 36}}, Simplify: 0.01, Properties: []string{"kind"}})
	checkSQL(t, sql, args, `SELECT id, thing, ST_AsBinary(ST_Simplify(geom, $8::float8, true)), props -> $7::text, `+
		`lower(valid), upper(valid), NULL::text, count(*) OVER () FROM features WHERE collection = $1 `+
		`AND `+bboxSQL+` ORDER BY id COLLATE "C"`,
		[]any{"border", box3835, 38.0, 39.0, 35.0, 36.0, "kind", 0.01})
	if sql, _ := itemsSQLCounted("points", geo.Query{Properties: []string{"controller"}, EncodedProperties: true}); strings.Contains(sql, "props -> ") {
		t.Errorf("encoded: %s", sql)
	}
}

// TestItemsSQLUncountedUnordered: an uncounted query has no count column;
// an unordered one no ORDER BY, unless it has an offset (whose page is
// defined by the order) or keys of its own.
func TestItemsSQLUncountedUnordered(t *testing.T) {
	box := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}
	sql, args := itemsSQLCounted("points", geo.Query{BBox: &box, Limit: 10, Uncounted: true, Unordered: true})
	checkSQL(t, sql, args, `SELECT `+cols+` FROM features WHERE collection = $1 AND `+
		bboxSQL+` `+
		`LIMIT $7`, []any{"points", box4036, 40.0, 41.0, 36.0, 37.0, 10})
	sql, args = itemsSQLCounted("points", geo.Query{Limit: 10, Uncounted: true})
	checkSQL(t, sql, args, `SELECT `+cols+` FROM features WHERE collection = $1 ORDER BY id COLLATE "C" LIMIT $2`, []any{"points", 10})
	sql, _ = itemsSQLCounted("points", geo.Query{Limit: 10, Offset: 5, Unordered: true})
	if !strings.Contains(sql, `ORDER BY id COLLATE "C" LIMIT $2 OFFSET $3`) || !strings.Contains(sql, "count(*)") {
		t.Errorf("unordered with an offset: %s", sql)
	}
	sql, _ = itemsSQLCounted("points", geo.Query{Unordered: true, SortBy: []geo.SortKey{{Name: "valid_from"}}})
	if !strings.Contains(sql, "ORDER BY coalesce(lower(valid)") {
		t.Errorf("unordered with keys: %s", sql)
	}
}

// itemsSQLCounted is the statement items runs for q where the window or
// subquery counts the matches (countsApart false): counted unless q is
// Uncounted.
func itemsSQLCounted(collection string, q geo.Query) (string, []any) {
	return itemsSQL(collection, q, !q.Uncounted)
}

// TestItemsSQLCountedApart: read for a collection counted apart, the page
// statement counts nothing, with or without a bbox; it is otherwise the
// same statement.
func TestItemsSQLCountedApart(t *testing.T) {
	box := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}
	for _, q := range []geo.Query{{Limit: 10}, {BBox: &box, Limit: 10}, {Time: geo.Day(time.Date(2026, 1, 16, 0, 0, 0, 0, time.UTC))}} {
		sql, args := itemsSQL("points", q, false)
		if strings.Contains(sql, "count(") {
			t.Errorf("%+v: the page statement counts: %s", q, sql)
		}
		counted, cargs := itemsSQL("points", q, true)
		// The count runs from after the columns to the page's own FROM
		// (the last: a subquery count has one of its own).
		i := strings.Index(counted, ", count(*) OVER ()")
		if i < 0 {
			i = strings.Index(counted, ", (SELECT count(*)")
		}
		if i < 0 {
			t.Fatalf("%+v: the counted statement has no count: %s", q, counted)
		}
		counted = counted[:i] + counted[strings.LastIndex(counted, " FROM features WHERE "):]
		if sql != counted || !reflect.DeepEqual(args, cargs) {
			t.Errorf("%+v: apart\n%s\ncounted, its count taken out\n%s", q, sql, counted)
		}
	}
}

// TestKnownPageSQL: the two statements of a page read in two. The first is
// itemsSQL's with the id alone in place of the feature's columns (same
// conditions, count, order and paging); the second reads those columns, as
// itemsSQL would for the query (here selected properties and simplified
// geometries), of the ids given that still match the query's conditions.
func TestKnownPageSQL(t *testing.T) {
	box := orb.Bound{Min: orb.Point{38, 35}, Max: orb.Point{39, 36}}
	q := geo.Query{BBox: &box, Limit: 100, Offset: 100, Simplify: 0.01, Properties: []string{"kind"}}
	sql, args := itemIDsSQL("areas", q, true)
	checkSQL(t, sql, args, `SELECT id, count(*) OVER () FROM features WHERE collection = $1 `+
		`AND `+bboxSQL+` ORDER BY id COLLATE "C" LIMIT $7 OFFSET $8`,
		[]any{"areas", box3835, 38.0, 39.0, 35.0, 36.0, 100, 100})
	sql, args = itemIDsSQL("areas", geo.Query{Limit: 10}, false)
	checkSQL(t, sql, args, `SELECT id FROM features WHERE collection = $1 ORDER BY id COLLATE "C" LIMIT $2`, []any{"areas", 10})

	ids := []string{"b", "a"}
	sql, args = featuresByIDSQL("areas", q, ids)
	checkSQL(t, sql, args, `SELECT id, thing, ST_AsBinary(ST_Simplify(geom, $8::float8, true)), props -> $7::text, `+
		`lower(valid), upper(valid), NULL::text FROM features WHERE collection = $1 `+
		`AND `+bboxSQL+` AND id = ANY($9::text[])`,
		[]any{"areas", box3835, 38.0, 39.0, 35.0, 36.0, "kind", 0.01, ids})
	sql, args = featuresByIDSQL("areas", geo.Query{EncodedProperties: true}, ids)
	checkSQL(t, sql, args, `SELECT `+encodedColumns+` FROM features WHERE collection = $1 AND id = ANY($2::text[])`, []any{"areas", ids})
}

// TestWholePrepared: wholePage's read runs prepared for a box, a date, and
// a CQL2 filter of places and times combined with AND, OR and NOT, and is
// planned for its values as soon as a property is tested, by a filter
// parameter or in the CQL2 filter.
func TestWholePrepared(t *testing.T) {
	schema := cql2.Schema{Properties: []string{"controller", "name"}}
	box := orb.Bound{Min: orb.Point{40, 36}, Max: orb.Point{41, 37}}
	for _, tc := range []struct {
		filter  string
		filters map[string]string
		want    bool
	}{
		{"", nil, true},
		{"", map[string]string{"controller": "sdf"}, false},
		{`S_INTERSECTS(geometry, BBOX(39, 35, 39.5, 35.5)) AND T_INTERSECTS(INTERVAL(valid_from, valid_to), DATE('2025-10-18'))`, nil, true},
		{`S_WITHIN(geometry, POLYGON((38 34, 38.5 34, 38.5 34.5, 38 34.5, 38 34))) OR NOT T_BEFORE(valid_from, TIMESTAMP('2026-01-01T00:00:00Z'))`, nil, true},
		{`S_INTERSECTS(geometry, BBOX(39, 35, 39.5, 35.5)) AND controller = 'sdf'`, nil, false},
		{`S_INTERSECTS(geometry, BBOX(39, 35, 39.5, 35.5)) AND (T_AFTER(valid_from, DATE('2026-01-01')) OR name LIKE 'A%')`, nil, false},
		{`S_INTERSECTS(geometry, BBOX(39, 35, 39.5, 35.5))`, map[string]string{"name": "x"}, false},
	} {
		q := geo.Query{BBox: &box, Filters: tc.filters}
		if tc.filter != "" {
			e, err := cql2.ParseText(tc.filter, schema, cql2.DefaultLimits)
			if err != nil {
				t.Fatalf("%s: %v", tc.filter, err)
			}
			q.Filter = e
		}
		if got := wholePrepared(q); got != tc.want {
			t.Errorf("filter %q, filters %v: prepared %v, want %v", tc.filter, tc.filters, got, tc.want)
		}
	}
}
