package mvt_test

import (
	"bytes"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/paulmach/orb"
	orbmvt "github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/mvt"
)

func feature(id string, g orb.Geometry, props map[string]any, valid geo.Interval) geo.Feature {
	return geo.Feature{ID: id, Geometry: g, Properties: props, Valid: valid}
}

func square(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// decode returns the features of the tile's one layer, keyed by id, with
// their geometry back in longitude and latitude.
func decode(t *testing.T, b []byte, tile maptile.Tile, layer string) map[string]map[string]any {
	t.Helper()
	layers, err := orbmvt.Unmarshal(b)
	if err != nil {
		t.Fatalf("the tile does not decode: %v", err)
	}
	if len(layers) != 1 || layers[0].Name != layer || layers[0].Extent != geo.TileExtent || layers[0].Version != 2 {
		t.Fatalf("layers %+v, want one layer %q of extent %d, version 2", layers, layer, geo.TileExtent)
	}
	out := map[string]map[string]any{}
	for _, f := range layers[0].Features {
		id, _ := f.Properties["id"].(string)
		out[id] = f.Properties
	}
	return out
}

func TestEncode(t *testing.T) {
	jan := func(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }
	tile := maptile.At(orb.Point{40.5, 36.5}, 8)
	b := tile.Bound()
	mid := b.Center()
	feats := []geo.Feature{
		feature("inside", orb.Point{mid[0], mid[1]}, map[string]any{"controller": "sdf", "population": 24000.0, "estimated": true,
			"figures": []any{map[string]any{"label": "x"}}, "note": nil}, geo.Interval{Start: jan(18), End: jan(21)}),
		feature("far", orb.Point{10, 10}, map[string]any{}, geo.Interval{}),
		feature("area", orb.Polygon{square(b.Min[0]-1, b.Min[1]-1, b.Max[0]+1, b.Max[1]+1)}, map[string]any{"controller": "government"}, geo.Interval{Start: jan(21)}),
		feature("line", orb.LineString{{b.Min[0] - 1, mid[1]}, {b.Max[0] + 1, mid[1]}}, map[string]any{"name": "Iraq–Syria"}, geo.Interval{}),
		// Smaller than a tile unit: nothing to draw.
		feature("speck", orb.Polygon{square(mid[0], mid[1], mid[0]+1e-7, mid[1]+1e-7)}, map[string]any{}, geo.Interval{}),
	}
	before := orb.Clone(feats[2].Geometry)
	data, err := mvt.Encode("facilities", tile, feats)
	if err != nil {
		t.Fatal(err)
	}
	if !orb.Equal(feats[2].Geometry, before) {
		t.Error("Encode changed a feature's geometry")
	}
	got := decode(t, data, tile, "facilities")
	var ids []string
	for id := range got {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	if want := []string{"area", "inside", "line"}; !slices.Equal(ids, want) {
		t.Fatalf("features %v, want %v", ids, want)
	}
	in := got["inside"]
	if in["controller"] != "sdf" || in["population"] != 24000.0 || in["estimated"] != true ||
		in["valid_from"] != "2026-01-18T00:00:00Z" || in["valid_to"] != "2026-01-21T00:00:00Z" {
		t.Errorf("properties %v", in)
	}
	for _, k := range []string{"figures", "note", "sources"} {
		if _, ok := in[k]; ok {
			t.Errorf("property %s is not a scalar but is in the tile", k)
		}
	}
	if _, ok := got["area"]["valid_to"]; ok {
		t.Error("an open end is written")
	}
}

// TestEncodeGeometry checks positions, clipping and the winding of rings.
func TestEncodeGeometry(t *testing.T) {
	tile := maptile.New(0, 0, 1) // the north-west quarter of the world
	// A square with a hole, counter-clockwise in longitude and latitude as
	// RFC 7946 says; and the same wound the other way.
	outer := square(-100, 20, -60, 60)
	hole := square(-90, 30, -70, 50)
	hole.Reverse()
	cw := square(-100, 20, -60, 60)
	cw.Reverse()
	feats := []geo.Feature{
		feature("ccw", orb.Polygon{outer, hole}, nil, geo.Interval{}),
		feature("cw", orb.Polygon{cw}, nil, geo.Interval{}),
		feature("half-out", orb.Polygon{square(-20, 10, 40, 30)}, nil, geo.Interval{}),
	}
	data, err := mvt.Encode("areas", tile, feats)
	if err != nil {
		t.Fatal(err)
	}
	layers, err := orbmvt.Unmarshal(data)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range layers[0].Features {
		poly, ok := f.Geometry.(orb.Polygon)
		if !ok {
			t.Fatalf("%v: %T, want a polygon", f.Properties["id"], f.Geometry)
		}
		for i, r := range poly {
			// Positive area in tile coordinates (y down) for the exterior.
			a := surveyor(r)
			if (a > 0) != (i == 0) {
				t.Errorf("%v: ring %d has area %v in tile coordinates", f.Properties["id"], i, a)
			}
			for _, p := range r {
				if p[0] < -geo.TileBuffer || p[0] > geo.TileExtent+geo.TileBuffer || p[1] < -geo.TileBuffer || p[1] > geo.TileExtent+geo.TileBuffer {
					t.Errorf("%v: point %v outside the tile and its buffer", f.Properties["id"], p)
				}
			}
		}
	}
	// Back in longitude and latitude the square is where it was.
	layers.ProjectToWGS84(tile)
	for _, f := range layers[0].Features {
		if f.Properties["id"] != "ccw" {
			continue
		}
		got := f.Geometry.Bound()
		want := outer.Bound()
		if math.Abs(got.Min[0]-want.Min[0]) > 0.05 || math.Abs(got.Max[1]-want.Max[1]) > 0.05 {
			t.Errorf("bound %v, want about %v", got, want)
		}
	}
}

// surveyor is a ring's signed area by the surveyor's formula.
func surveyor(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s / 2
}

func TestEncodeEmpty(t *testing.T) {
	b, err := mvt.Encode("x", maptile.New(0, 0, 3), []geo.Feature{feature("far", orb.Point{170, -80}, nil, geo.Interval{})})
	if err != nil || len(b) != 0 {
		t.Errorf("a tile without features: %d bytes, %v", len(b), err)
	}
}

func BenchmarkEncode(b *testing.B) {
	// 200 polygons of 1,000 vertices around 38.5,35.5, as at z7 in the
	// scale dataset.
	var feats []geo.Feature
	for i := range 200 {
		c := orb.Point{37 + float64(i%20)*0.15, 34.5 + float64(i/20)*0.2}
		ring := make(orb.Ring, 0, 1001)
		for k := range 1000 {
			a := 2 * math.Pi * float64(k) / 1000
			r := 0.1 + 0.02*math.Sin(7*a)
			ring = append(ring, orb.Point{c[0] + r*math.Cos(a), c[1] + r*math.Sin(a)})
		}
		ring = append(ring, ring[0])
		feats = append(feats, feature("p", orb.Polygon{ring}, map[string]any{"controller": "sdf"}, geo.Interval{}))
	}
	for _, z := range []maptile.Zoom{7, 10} {
		tile := maptile.At(orb.Point{38.5, 35.5}, z)
		b.Run("z"+string(rune('0'+z/10))+string(rune('0'+z%10)), func(b *testing.B) {
			for b.Loop() {
				if _, err := mvt.Encode("areas", tile, feats); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncodePoints(b *testing.B) {
	// 9,000 points with five properties, as a z7 tile of the scale
	// dataset's points holds.
	feats := make([]geo.Feature, 9000)
	for i := range feats {
		feats[i] = feature("point-"+string(rune('a'+i%26))+string(rune('a'+i/26%26))+string(rune('a'+i/676)), orb.Point{37.5 + float64(i%100)*0.028, 34 + float64(i/100)*0.025},
			map[string]any{"name": "Point", "controller": []string{"sdf", "government", "contested"}[i%3], "status": "normal", "site": "s"},
			geo.Interval{Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	}
	tile := maptile.At(orb.Point{38.8, 35.1}, 7)
	for b.Loop() {
		if _, err := mvt.Encode("points", tile, feats); err != nil {
			b.Fatal(err)
		}
	}
}

// TestEncodeDeterministic checks that a tile's bytes do not depend on the
// order Go iterates maps in: its ETag is strong.
func TestEncodeDeterministic(t *testing.T) {
	props := map[string]any{}
	for i := range 20 {
		props[string(rune('a'+i))] = float64(i)
	}
	feats := []geo.Feature{
		feature("a", orb.Point{10, 10}, props, geo.Interval{}),
		feature("b", orb.Point{11, 11}, map[string]any{"z": "last", "m": true, "a": "first"}, geo.Interval{}),
	}
	tile := maptile.At(orb.Point{10.5, 10.5}, 5)
	first, err := mvt.Encode("x", tile, feats)
	if err != nil {
		t.Fatal(err)
	}
	for range 20 {
		again, _ := mvt.Encode("x", tile, feats)
		if !bytes.Equal(again, first) {
			t.Fatal("two encodings of the same features differ")
		}
	}
}

// TestLayerExpect: Expect is only a hint. A layer told to expect no, fewer,
// as many or more features (and as many, fewer or more strings) than it
// gets writes the same bytes as one told nothing, and a hint after the
// first feature is ignored.
func TestLayerExpect(t *testing.T) {
	tile := maptile.At(orb.Point{10.5, 10.5}, 5)
	feats := []geo.Feature{
		feature("a", orb.Point{10, 10}, map[string]any{"kind": "camp", "n": 1.0}, geo.Interval{}),
		feature("b", orb.Point{11, 11}, map[string]any{"kind": "camp", "ok": true}, geo.Interval{}),
		feature("c", orb.Polygon{square(10, 10, 11, 11)}, map[string]any{"kind": "area"}, geo.Interval{}),
	}
	build := func(hints ...[2]int) []byte {
		l := mvt.NewLayer("x", tile)
		for i, f := range feats {
			if i < len(hints) && hints[i][0] >= 0 {
				l.Expect(hints[i][0], hints[i][1])
			}
			l.Add(f.Geometry, f.Geometry.Bound(), geo.EachTileProperty(f))
		}
		return l.Tile()
	}
	want := build()
	if len(decode(t, want, tile, "x")) != len(feats) {
		t.Fatalf("the tile holds %v", decode(t, want, tile, "x"))
	}
	for _, hints := range [][][2]int{{{0, 0}}, {{1, 0}}, {{3, 3}}, {{3, 7}}, {{1000, 1}}, {{1, 5000}}, {{-1, 0}, {2, 6}}, {{3, 6}, {3, 6}, {3, 6}}} {
		if got := build(hints...); !bytes.Equal(got, want) {
			t.Errorf("Expect %v: the tile differs from one built without a hint", hints)
		}
	}
}

// TestDistinctValues: values marked distinct (geo.TileValue.Distinct: the
// ids of a store that knows no other value equals one) give the tile's
// bytes, first among a feature's properties, in the middle and last.
func TestDistinctValues(t *testing.T) {
	tile := maptile.At(orb.Point{10.5, 10.5}, 5)
	ids := []string{"a", "b", "c"}
	build := func(distinct bool, at int) []byte {
		l := mvt.NewLayer("x", tile)
		for i, id := range ids {
			l.Add(orb.Point{10 + float64(i)/4, 10}, orb.Bound{Min: orb.Point{10 + float64(i)/4, 10}, Max: orb.Point{10 + float64(i)/4, 10}},
				func(yield func(string, geo.TileValue) bool) {
					props := []geo.TileValue{{Kind: geo.TileString, S: "camp"}, {Kind: geo.TileNumber, F: 2}}
					props = slices.Insert(props, at, geo.TileValue{Kind: geo.TileString, S: id, Distinct: distinct})
					keys := slices.Insert([]string{"kind", "n"}, at, "id")
					for j, v := range props {
						if !yield(keys[j], v) {
							return
						}
					}
				})
		}
		return l.Tile()
	}
	for at := range 3 {
		want := build(false, at)
		if len(decode(t, want, tile, "x")) != len(ids) {
			t.Fatalf("the tile holds %v", decode(t, want, tile, "x"))
		}
		if got := build(true, at); !bytes.Equal(got, want) {
			t.Errorf("distinct ids at %d: the tile differs", at)
		}
	}
}

// TestDrawThenAdd: drawing every feature first (Draw, in any order) and
// writing them after (AddDrawn) gives the tile Add gives, for every kind
// of geometry, inside the tile, across its edge and outside it; what Draw
// returns shares nothing with the feature's geometry or with the layer's
// buffers, which later features reuse.
func TestDrawThenAdd(t *testing.T) {
	tile := maptile.At(orb.Point{10.5, 10.5}, 7)
	b := geo.TileBound(tile)
	mid := b.Center()
	w, h := b.Max[0]-b.Min[0], b.Max[1]-b.Min[1]
	feats := []geo.Feature{
		feature("a", orb.Point{mid[0], mid[1]}, map[string]any{"kind": "camp"}, geo.Interval{}),
		feature("b", orb.MultiPoint{{mid[0] + w/8, mid[1]}, {b.Max[0] + w, mid[1]}}, map[string]any{"n": 2.0}, geo.Interval{}),
		feature("c", orb.LineString{{b.Min[0] - w, mid[1]}, {mid[0], mid[1] + h/5}, {b.Max[0] + w, mid[1]}}, nil, geo.Interval{}),
		feature("d", orb.Polygon{square(b.Min[0]-w/4, b.Min[1]-h/4, mid[0], mid[1]), square(b.Min[0], b.Min[1], b.Min[0]+w/8, b.Min[1]+h/8)}, map[string]any{"ok": true}, geo.Interval{}),
		feature("e", orb.MultiPolygon{{square(mid[0], mid[1], mid[0]+w/3, mid[1]+h/3)}, {square(b.Max[0]+w, b.Max[1]+h, b.Max[0]+2*w, b.Max[1]+2*h)}}, nil, geo.Interval{}),
		feature("f", orb.Polygon{square(b.Max[0]+w, b.Min[1], b.Max[0]+2*w, b.Max[1])}, nil, geo.Interval{}),
		feature("g", orb.MultiLineString{{{mid[0], b.Min[1] - h}, {mid[0], b.Max[1] + h}}, {{b.Min[0], mid[1]}, {mid[0], mid[1]}}}, nil, geo.Interval{}),
		// Wholly inside: not clipped, drawn in the layer's own buffers.
		feature("h", orb.Polygon{square(mid[0]-w/5, mid[1]-h/5, mid[0]-w/10, mid[1]-h/10)}, nil, geo.Interval{}),
		feature("i", orb.LineString{{mid[0] + w/10, mid[1] - h/10}, {mid[0] + w/5, mid[1] + h/7}, {mid[0] + w/4, mid[1]}}, nil, geo.Interval{}),
	}
	add := mvt.NewLayer("x", tile)
	for _, f := range feats {
		add.Add(f.Geometry, f.Geometry.Bound(), geo.EachTileProperty(f))
	}
	want := add.Tile()
	l := mvt.NewLayer("x", tile)
	drawn := make([]mvt.Drawn, len(feats))
	shows := make([]bool, len(feats))
	for _, i := range []int{6, 7, 2, 4, 0, 8, 5, 3, 1} { // not the tile's order
		g := orb.Clone(feats[i].Geometry)
		drawn[i], shows[i] = l.Draw(g, g.Bound())
		// The feature's geometry changes once drawn: the drawing must not.
		switch g := g.(type) {
		case orb.Polygon:
			g[0][1] = orb.Point{mid[0], mid[1]}
		case orb.LineString:
			g[1] = orb.Point{b.Min[0], b.Min[1]}
		}
	}
	if shows[5] {
		t.Error("a polygon outside the tile and its buffer shows")
	}
	for i, f := range feats {
		if shows[i] {
			l.AddDrawn(drawn[i], geo.EachTileProperty(f))
		}
	}
	got := l.Tile()
	if len(decode(t, want, tile, "x")) != len(feats)-1 {
		t.Fatalf("the tile holds %v", decode(t, want, tile, "x"))
	}
	if !bytes.Equal(got, want) {
		t.Errorf("drawn then added: %d bytes, added: %d\n%v\n%v", len(got), len(want), decode(t, got, tile, "x"), decode(t, want, tile, "x"))
	}
}
