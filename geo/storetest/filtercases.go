package storetest

import (
	"fmt"
	"slices"
	"testing"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
)

// filterCase is one CQL2 filter (text encoding), with an optional order and
// page, and its answer written out by hand from the fixture. Several are
// the examples of the CQL2 standard (OGC 21-065) put to this fixture's
// properties.
type filterCase struct {
	name       string
	collection string
	filter     string
	sort       []geo.SortKey
	limit      int
	offset     int
	want       []string
	matched    int // -1: len(want)
}

var (
	holIDs  = []string{"al-hol-1", "al-hol-2", "al-hol-3"}
	shadIDs = []string{"shaddadi-1", "shaddadi-2", "shaddadi-3"}
)

func cat(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
}

func asc(name string) geo.SortKey  { return geo.SortKey{Name: name} }
func desc(name string) geo.SortKey { return geo.SortKey{Name: name, Desc: true} }

// cql2Cases is the one table of filters both stores must answer alike.
func cql2Cases() []filterCase {
	const f, a, ev, v, b = "facilities", "areas", "events", "villages", "border"
	return []filterCase{
		// Basic CQL2: comparisons, AND, OR, NOT, IS NULL (three-valued logic).
		{"equals", f, `controller = 'sdf'`, nil, 0, 0, []string{"al-hol-1", "al-hol-2", "roj-1", "shaddadi-1"}, -1},
		{"not equal", f, `controller <> 'sdf'`, nil, 0, 0, []string{"al-hol-3", "shaddadi-2", "shaddadi-3"}, -1},
		{"and", f, `controller = 'sdf' AND status = 'besieged'`, nil, 0, 0, []string{"al-hol-2"}, -1},
		{"or", f, `status = 'besieged' OR controller = 'contested'`, nil, 0, 0, []string{"al-hol-2", "shaddadi-2"}, -1},
		{"literal on the left", f, `'government' = controller`, nil, 0, 0, []string{"al-hol-3", "shaddadi-3"}, -1},
		{"case matters", f, `name = 'roj camp'`, nil, 0, 0, nil, -1},
		{"number greater", f, `population > 1000`, nil, 0, 0, []string{"al-hol-3"}, -1},
		{"number not written as stored", v, `n = 7.0`, nil, 0, 0, []string{"v07"}, -1},
		{"NOT of unknown is unknown", f, `NOT (population > 1000)`, nil, 0, 0, nil, -1},
		{"is null", f, `population IS NULL`, nil, 0, 0, []string{"al-hol-1", "al-hol-2", "roj-1", "shaddadi-1", "shaddadi-2", "shaddadi-3"}, -1},
		{"is not null", f, `population IS NOT NULL`, nil, 0, 0, []string{"al-hol-3"}, -1},
		{"boolean", f, `estimated = true`, nil, 0, 0, []string{"roj-1"}, -1},
		{"boolean not equal, missing elsewhere", f, `estimated <> true`, nil, 0, 0, nil, -1},
		{"boolean false", v, `even = false AND district = 'a'`, nil, 0, 0, []string{"v01", "v03", "v05", "v07", "v09"}, -1},
		{"number against a string is unknown", f, `population = '24000'`, nil, 0, 0, nil, -1},
		{"id", f, `id = 'roj-1'`, nil, 0, 0, []string{"roj-1"}, -1},
		{"numbers, or", v, `n <= 2 OR n >= 24`, nil, 0, 0, []string{"v01", "v02", "v24", "v25"}, -1},
		{"TRUE", b, `TRUE`, nil, 0, 0, []string{"border-Turkey", "border-iraq"}, -1},
		{"FALSE", b, `FALSE`, nil, 0, 0, nil, -1},
		{"nested", f, `(controller = 'sdf' OR controller = 'government') AND NOT (status = 'besieged' OR site = 'roj')`, nil, 0, 0,
			[]string{"al-hol-1", "al-hol-3", "shaddadi-1", "shaddadi-3"}, -1},
		{"Arabic text", f, `name_ar = 'مخيم الهول'`, nil, 0, 0, holIDs, -1},
		{"quote in a string", f, `name = 'al-Hol''s camp'`, nil, 0, 0, nil, -1},

		// Advanced comparison: LIKE, BETWEEN, IN.
		{"like prefix", f, `name LIKE 'al-%'`, nil, 0, 0, cat(holIDs, shadIDs), -1},
		{"like suffix", f, `name LIKE '%camp'`, nil, 0, 0, cat(holIDs, []string{"roj-1"}), -1},
		{"like one character", f, `name LIKE 'al-_ol%'`, nil, 0, 0, holIDs, -1},
		{"not like", f, `name NOT LIKE '%camp'`, nil, 0, 0, shadIDs, -1},
		{"like on the id", f, `id LIKE 'shaddadi-%'`, nil, 0, 0, shadIDs, -1},
		{"like an escaped wildcard", v, `name LIKE 'Village 0\%'`, nil, 0, 0, nil, -1},
		{"between", v, `n BETWEEN 5 AND 7`, nil, 0, 0, []string{"v05", "v06", "v07"}, -1},
		{"not between", f, `population NOT BETWEEN 0 AND 100`, nil, 0, 0, []string{"al-hol-3"}, -1},
		{"between and more", v, `n BETWEEN 5 AND 7 AND even = true`, nil, 0, 0, []string{"v06"}, -1},
		{"in", f, `controller IN ('government', 'contested')`, nil, 0, 0, []string{"al-hol-3", "shaddadi-2", "shaddadi-3"}, -1},
		{"not in", f, `controller NOT IN ('sdf')`, nil, 0, 0, []string{"al-hol-3", "shaddadi-2", "shaddadi-3"}, -1},
		{"in numbers", ev, `count IN (120, 150)`, nil, 0, 0, []string{"2026-01-19-shaddadi-escape", "2026-01-21-transfer"}, -1},

		// Case-insensitive comparison.
		{"casei equals", f, `CASEI(name) = CASEI('ROJ CAMP')`, nil, 0, 0, []string{"roj-1"}, -1},
		{"casei like", f, `CASEI(name) LIKE CASEI('AL-HOL%')`, nil, 0, 0, holIDs, -1},
		{"casei of the id", f, `CASEI(id) LIKE 'ROJ%'`, nil, 0, 0, nil, -1},
		{"casei of the id, both sides", f, `CASEI(id) LIKE CASEI('ROJ%')`, nil, 0, 0, []string{"roj-1"}, -1},
		{"casei of casei", f, `CASEI(CASEI(name)) = 'roj camp'`, nil, 0, 0, []string{"roj-1"}, -1},
		{"casei in", f, `CASEI(status) IN (CASEI('BESIEGED'), CASEI('Contested'))`, nil, 0, 0, []string{"al-hol-2", "shaddadi-2"}, -1},

		// Property-property.
		{"property equals property", f, `controller = status`, nil, 0, 0, []string{"shaddadi-2"}, -1},
		{"properties of other types", f, `name = population`, nil, 0, 0, nil, -1},

		// Spatial functions.
		{"intersects a bbox", f, `S_INTERSECTS(geometry, BBOX(41.10, 36.33, 41.20, 36.42))`, nil, 0, 0, holIDs, -1},
		{"intersects a point", f, `S_INTERSECTS(geometry, POINT(41.1486 36.3756))`, nil, 0, 0, holIDs, -1},
		{"within a polygon", f, `S_WITHIN(geometry, POLYGON((40 35.5, 41.5 35.5, 41.5 36.5, 40 36.5, 40 35.5)))`, nil, 0, 0, cat(holIDs, shadIDs), -1},
		{"disjoint", f, `S_DISJOINT(geometry, BBOX(40, 35.5, 41.5, 36.5))`, nil, 0, 0, []string{"roj-1"}, -1},
		{"equals a point", f, `S_EQUALS(geometry, POINT(42.05 36.99))`, nil, 0, 0, []string{"roj-1"}, -1},
		{"intersects a multipoint", f, `S_INTERSECTS(geometry, MULTIPOINT((42.05 36.99), (40.73 36.05)))`, nil, 0, 0, cat([]string{"roj-1"}, shadIDs), -1},
		{"contains a point in a hole", a, `S_CONTAINS(geometry, POINT(40.75 36.5))`, nil, 0, 0, []string{"hasakah-1", "ne-1"}, -1},
		{"touches", a, `S_TOUCHES(geometry, POLYGON((40.7 36.45, 40.8 36.45, 40.8 36.40, 40.7 36.40, 40.7 36.45)))`, nil, 0, 0, []string{"hasakah-1"}, -1},
		{"overlaps", a, `S_OVERLAPS(geometry, BBOX(42.3, 35.1, 43.1, 35.15))`, nil, 0, 0, []string{"corridor-1", "ne-1", "ne-2"}, -1},
		{"crosses", b, `S_CROSSES(geometry, LINESTRING(41 36, 42 37))`, nil, 0, 0, []string{"border-iraq"}, -1},
		{"intersects a polygon with a hole", a, `S_INTERSECTS(geometry, POLYGON((40.72 36.47, 40.78 36.47, 40.78 36.53, 40.72 36.53, 40.72 36.47)))`, nil, 0, 0,
			[]string{"hasakah-1", "ne-1"}, -1},
		{"spatial and property", f, `S_INTERSECTS(geometry, BBOX(40, 35.5, 41.5, 36.5)) AND controller = 'government'`, nil, 0, 0, []string{"al-hol-3", "shaddadi-3"}, -1},
		{"spatial or spatial", f, `S_INTERSECTS(geometry, POINT(42.05 36.99)) OR S_INTERSECTS(geometry, POINT(40.73 36.05))`, nil, 0, 0, cat([]string{"roj-1"}, shadIDs), -1},
		{"intersects a box that is a point", f, `S_INTERSECTS(geometry, BBOX(42.05, 36.99, 42.05, 36.99))`, nil, 0, 0, []string{"roj-1"}, -1},
		{"disjoint from a box that is a point", f, `S_DISJOINT(geometry, BBOX(42.05, 36.99, 42.05, 36.99))`, nil, 0, 0, cat(holIDs, shadIDs), -1},
		{"intersects a box that is a line", f, `S_INTERSECTS(geometry, BBOX(40.73, 36, 40.73, 36.1))`, nil, 0, 0, shadIDs, -1},
		{"intersects a collection", f, `S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(42.05 36.99), LINESTRING(40.73 36, 40.73 36.1)))`, nil, 0, 0,
			cat([]string{"roj-1"}, shadIDs), -1},
		{"boxes that do not meet", f, `S_INTERSECTS(geometry, BBOX(41, 36, 41.2, 36.4)) AND S_INTERSECTS(geometry, BBOX(42, 36.9, 42.1, 37))`, nil, 0, 0, nil, -1},

		// Temporal functions on the validity and on instants.
		{"validity on a day", f, `T_INTERSECTS(INTERVAL(valid_from, valid_to), DATE('2026-01-20'))`, nil, 0, 0, []string{"al-hol-2", "roj-1", "shaddadi-2"}, -1},
		{"ended before a day", f, `T_BEFORE(INTERVAL(valid_from, valid_to), DATE('2026-01-19'))`, nil, 0, 0, []string{"al-hol-1", "shaddadi-1"}, -1},
		{"began after a day", f, `T_AFTER(INTERVAL(valid_from, valid_to), DATE('2026-01-20'))`, nil, 0, 0, []string{"al-hol-3", "shaddadi-3"}, -1},
		{"during an interval", f, `T_DURING(INTERVAL(valid_from, valid_to), INTERVAL('2026-01-17', '2026-01-21'))`, nil, 0, 0, []string{"al-hol-2", "shaddadi-2"}, -1},
		{"equals an interval", f, `T_EQUALS(INTERVAL(valid_from, valid_to), INTERVAL('2026-01-18T00:00:00Z', '2026-01-20T23:59:59.999999Z'))`, nil, 0, 0, []string{"al-hol-2"}, -1},
		{"disjoint from an interval", f, `T_DISJOINT(INTERVAL(valid_from, valid_to), INTERVAL('2026-01-18', '2026-01-20'))`, nil, 0, 0, []string{"al-hol-1", "al-hol-3", "shaddadi-3"}, -1},
		{"contains a day", f, `T_CONTAINS(INTERVAL(valid_from, valid_to), DATE('2026-01-19'))`, nil, 0, 0, []string{"al-hol-2", "roj-1"}, -1},
		{"open interval", f, `T_INTERSECTS(INTERVAL(valid_from, valid_to), INTERVAL('2026-01-21', '..'))`, nil, 0, 0, []string{"al-hol-3", "roj-1", "shaddadi-3"}, -1},
		{"valid_from after an instant", f, `T_AFTER(valid_from, TIMESTAMP('2026-01-18T12:00:00Z'))`, nil, 0, 0, []string{"al-hol-3", "shaddadi-2", "shaddadi-3"}, -1},
		{"valid_from compared", f, `valid_from >= DATE('2026-01-21')`, nil, 0, 0, []string{"al-hol-3", "shaddadi-3"}, -1},
		{"valid_from compared with a string", f, `valid_from >= '2026-01-21'`, nil, 0, 0, []string{"al-hol-3", "shaddadi-3"}, -1},
		{"open end", f, `valid_to IS NULL`, nil, 0, 0, []string{"al-hol-3", "roj-1", "shaddadi-3"}, -1},
		{"event at an instant", ev, `T_INTERSECTS(INTERVAL(valid_from, valid_to), TIMESTAMP('2026-01-21T09:00:00Z'))`, nil, 0, 0, []string{"2026-01-21-hol-handover"}, -1},
		{"event equals an instant", ev, `T_EQUALS(valid_from, TIMESTAMP('2026-01-21T18:00:00Z'))`, nil, 0, 0, []string{"2026-01-21-transfer"}, -1},
		{"events during a day", ev, `T_DURING(INTERVAL(valid_from, valid_to), DATE('2026-01-21'))`, nil, 0, 0, []string{"2026-01-21-hol-handover", "2026-01-21-transfer"}, -1},
		{"event starts a day", ev, `T_STARTS(INTERVAL(valid_from, valid_to), DATE('2026-01-20'))`, nil, 0, 0, []string{"2026-01-20-ceasefire"}, -1},
		{"meets", f, `T_MEETS(INTERVAL('2026-01-01', '2026-01-17'), valid_from)`, nil, 0, 0, nil, -1},
		{"undated features meet every time", b, `T_INTERSECTS(INTERVAL(valid_from, valid_to), DATE('1990-01-01'))`, nil, 0, 0, []string{"border-Turkey", "border-iraq"}, -1},
		{"spatial and temporal", f, `S_INTERSECTS(geometry, BBOX(40, 35.5, 41.5, 36.5)) AND T_INTERSECTS(INTERVAL(valid_from, valid_to), DATE('2026-01-20'))`, nil, 0, 0,
			[]string{"al-hol-2", "shaddadi-2"}, -1},

		// Array functions (arrays of scalars).
		{"array contains", ev, `A_CONTAINS(tags, ('al-hol'))`, nil, 0, 0, []string{"2026-01-21-hol-handover", "2026-01-21-transfer"}, -1},
		{"array overlaps", ev, `A_OVERLAPS(tags, ('escape', 'ceasefire'))`, nil, 0, 0, []string{"2026-01-19-shaddadi-escape"}, -1},
		{"array contained by", ev, `A_CONTAINEDBY(tags, ('handover', 'al-hol', 'escape', 'shaddadi'))`, nil, 0, 0,
			[]string{"2026-01-19-shaddadi-escape", "2026-01-20-ceasefire", "2026-01-21-hol-handover"}, -1},
		{"array equals", ev, `A_EQUALS(tags, ('escape', 'shaddadi'))`, nil, 0, 0, []string{"2026-01-19-shaddadi-escape"}, -1},
		{"array of objects holds no string", f, `A_CONTAINS(figures, ('population'))`, nil, 0, 0, nil, -1},

		// Sorting, stable across pages.
		{"sort descending", v, `n > 0`, []geo.SortKey{desc("n")}, 3, 0, []string{"v25", "v24", "v23"}, 25},
		{"sort by two keys, paged", v, `TRUE`, []geo.SortKey{desc("district"), asc("n")}, 3, 14, []string{"v25", "v01", "v02"}, 25},
		{"sort by open starts first", f, `TRUE`, []geo.SortKey{asc("valid_from")}, 0, 0,
			[]string{"al-hol-1", "roj-1", "shaddadi-1", "al-hol-2", "shaddadi-2", "al-hol-3", "shaddadi-3"}, -1},
		{"sort by open ends first, descending", f, `TRUE`, []geo.SortKey{desc("valid_to")}, 0, 0,
			[]string{"al-hol-3", "roj-1", "shaddadi-3", "al-hol-2", "shaddadi-2", "shaddadi-1", "al-hol-1"}, -1},
		{"sort numbers before missing", f, `TRUE`, []geo.SortKey{asc("population")}, 0, 0,
			[]string{"al-hol-3", "al-hol-1", "al-hol-2", "roj-1", "shaddadi-1", "shaddadi-2", "shaddadi-3"}, -1},
		{"sort missing first, descending", f, `TRUE`, []geo.SortKey{desc("population")}, 0, 0,
			[]string{"al-hol-1", "al-hol-2", "roj-1", "shaddadi-1", "shaddadi-2", "shaddadi-3", "al-hol-3"}, -1},
		{"sort strings by bytes", f, `controller = 'sdf'`, []geo.SortKey{asc("name"), desc("valid_from")}, 0, 0,
			[]string{"roj-1", "al-hol-2", "al-hol-1", "shaddadi-1"}, -1},
		{"sort booleans", v, `n <= 4`, []geo.SortKey{asc("even"), desc("id")}, 0, 0, []string{"v03", "v01", "v04", "v02"}, -1},
		{"sort a page past the end", v, `TRUE`, []geo.SortKey{asc("n")}, 5, 30, nil, 25},
	}
}

// filterTable runs every case of cql2Cases, parsed from its text and from
// its canonical text.
func (c checker) filterTable(t *testing.T) {
	for _, tc := range cql2Cases() {
		t.Run(tc.name, func(t *testing.T) {
			e, err := cql2.ParseText(tc.filter, c.schema(t, tc.collection), cql2.DefaultLimits)
			if err != nil {
				t.Fatalf("storetest: bug: filter %q: %v", tc.filter, err)
			}
			q := geo.Query{Filter: e, SortBy: tc.sort, Limit: tc.limit, Offset: tc.offset}
			matched := tc.matched
			if matched < 0 {
				matched = len(tc.want)
			}
			c.checkPage(t, tc.collection, c.items(t, tc.collection, q), tc.want, matched)
			q.EncodedProperties = true
			c.checkEncodedPage(t, tc.collection, c.items(t, tc.collection, q), tc.want, matched)
			c.checkKnown(t, tc.collection, q, tc.want, matched)
		})
	}
}

// schema is the CQL2 schema of a fixture collection.
func (c checker) schema(t *testing.T, collection string) cql2.Schema {
	t.Helper()
	for _, col := range c.fx.Collections {
		if col.ID == collection {
			return cql2.Schema{Properties: slices.Clone(col.Properties)}
		}
	}
	panic(fmt.Sprintf("storetest: bug: no collection %q", collection))
}
