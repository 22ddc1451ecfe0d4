package postgis_test

import (
	"context"
	"fmt"
	"math"
	"strconv"
	"testing"
	"testing/fstest"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// TestBoxEdgesExactly holds the exact test of a box (bboxCondition and a
// CQL2 S_INTERSECTS of a BBOX: a point's columns px and py between the
// box's sides, ST_Intersects for anything else) to geo.Query.Match, on
// points at the box's corners and on its sides, the next floats inside and
// outside them (which the index's float4 boxes cannot tell apart), and
// lines that cross or stop short of a side; for the box, a box without
// area (a point, a line) and a CQL2 filter of the box.
func TestBoxEdgesExactly(t *testing.T) {
	ctx := context.Background()
	b := orb.Bound{Min: orb.Point{39.00002, 35}, Max: orb.Point{39.50002, 35.5}}
	near := func(v float64) []float64 {
		return []float64{math.Nextafter(v, math.Inf(-1)), v, math.Nextafter(v, math.Inf(1))}
	}
	xs := append(append(near(b.Min[0]), (b.Min[0]+b.Max[0])/2), near(b.Max[0])...)
	ys := append(append(near(b.Min[1]), (b.Min[1]+b.Max[1])/2), near(b.Max[1])...)
	var events, lines []string
	for i, x := range xs {
		for j, y := range ys {
			events = append(events, feature(fmt.Sprintf("p%d-%d", i, j), point(x, y), `"kind": "k", "valid_from": null, "valid_to": null`))
		}
	}
	for i, x := range near(b.Min[0]) {
		// Lines from the west that end just short of, on and just past the
		// west side: px is NULL for them, ST_Intersects decides.
		lines = append(lines, feature(fmt.Sprintf("l%d", i),
			fmt.Sprintf(`{"type": "LineString", "coordinates": [[38, 35.25], [%v, 35.25]]}`, x), `"name": "l"`))
	}
	ds := mustLoad(t, fstest.MapFS{
		"catalog.json":   {Data: []byte(testCatalog)},
		"sites.geojson":  {Data: []byte(fc())},
		"zones.geojson":  {Data: []byte(fc())},
		"events.geojson": {Data: []byte(fc(events...))},
		"lines.geojson":  {Data: []byte(fc(lines...))},
	})
	st := pgtest.NewStore(t, ds)
	num := func(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
	boxes := map[string]orb.Bound{
		"box":        b,
		"corner":     {Min: b.Min, Max: b.Min},
		"south side": {Min: b.Min, Max: orb.Point{b.Max[0], b.Min[1]}},
		"east side":  {Min: orb.Point{b.Max[0], b.Min[1]}, Max: b.Max},
	}
	inside := 0
	for name, box := range boxes {
		filter, err := cql2.ParseText(fmt.Sprintf("S_INTERSECTS(geometry, BBOX(%s, %s, %s, %s))",
			num(box.Min[0]), num(box.Min[1]), num(box.Max[0]), num(box.Max[1])), cql2.Schema{}, cql2.DefaultLimits)
		if err != nil {
			t.Fatal(err)
		}
		for kind, q := range map[string]geo.Query{"bbox": {BBox: &box}, "cql2": {Filter: filter}} {
			for _, col := range []string{"events", "lines"} {
				var want []geo.Feature
				for _, f := range ds.Features[col] {
					if q.Match(f) {
						want = append(want, f)
					}
				}
				if name == "box" && kind == "bbox" {
					inside += len(want)
				}
				page, err := st.Items(ctx, col, q)
				if err != nil {
					t.Fatal(err)
				}
				assertSameFeatures(t, name+"/"+kind+"/"+col, page.Features, want)
			}
		}
	}
	// The box holds 5×5 of the 7×7 points, and the lines that reach it.
	if inside != 25+2 {
		t.Fatalf("%d features in the box by geo.Query.Match, want 27: the cases are not what they say", inside)
	}
}
