package memory

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/mvt"
	"github.com/controlmap/controlmap/internal/propjson"
)

// oddFeatures are features a dataset built in code may hold and a loaded one
// never does: nil properties and sources, empty ones, numbers of Go types,
// nested values, a Collection field unlike the collection's id, and every
// geometry type.
func oddFeatures() []geo.Feature {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sq := orb.Ring{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}
	return []geo.Feature{
		{ID: "a", Collection: "c", Geometry: orb.Point{1, 2}},
		{ID: "b", Collection: "c", Geometry: orb.MultiPoint{{1, 2}, {3, 4}}, Properties: map[string]any{}, Sources: []geo.Source{}},
		{ID: "c", Collection: "other", Thing: "t", Geometry: orb.LineString{{0, 0}, {1, 1}},
			Properties: map[string]any{"n": 3, "m": int64(4), "f": 1.5, "b": true, "s": "x", "nil": nil,
				"list": []any{1.0, "two"}, "obj": map[string]any{"k": "v"}},
			Valid: geo.Interval{Start: day}, Sources: []geo.Source{{Publisher: "p", Title: "t", URL: "u", Date: "d"}}},
		{ID: "d", Collection: "c", Thing: "t", Geometry: orb.MultiLineString{{{0, 0}, {1, 1}}, {{2, 2}, {3, 3}}},
			Properties: map[string]any{"s": "x", "n": 3}, Valid: geo.Interval{Start: day, End: day.AddDate(0, 0, 1)},
			Sources: []geo.Source{{Publisher: "p", Title: "t", URL: "u", Date: "d"}}},
		{ID: "e", Collection: "c", Geometry: orb.Polygon{sq, orb.Ring{{0.2, 0.2}, {0.2, 0.4}, {0.4, 0.4}, {0.2, 0.2}}},
			Valid: geo.Instant(day)},
		{ID: "f", Collection: "c", Geometry: orb.MultiPolygon{{sq}, {orb.Ring{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}}},
		{ID: "g", Collection: "c", Geometry: orb.Collection{orb.Point{1, 1}, orb.LineString{{0, 0}, {2, 2}}, orb.Polygon{sq}}},
		{ID: "h", Collection: "c", Geometry: orb.Ring(sq)},
		{ID: "i", Collection: "c", Geometry: orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}},
		{ID: "j", Collection: "c"},
		{ID: "k", Collection: "c", Geometry: orb.MultiPolygon(nil)},
	}
}

// TestCompactRoundTrip checks that every feature comes back from the compact
// form as it went in, and that the copies of geometries share nothing with
// the originals and cannot be appended into each other.
func TestCompactRoundTrip(t *testing.T) {
	feats := oddFeatures()
	c := newCollection(geo.Collection{ID: "c"}, feats)
	for i, want := range feats {
		got := c.feature(i, false)
		enc := append(slices.Clip(got.PropertiesJSON), got.PropertiesJSONTail...)
		got.PropertiesJSON, got.PropertiesJSONTail = nil, nil
		if !reflect.DeepEqual(got, want) {
			t.Errorf("feature %s:\n got %#v\nwant %#v", want.ID, got, want)
		}
		if wantEnc, err := propjson.Encode(want); err != nil || string(enc) != string(wantEnc) {
			t.Errorf("feature %s: encoded properties %s, want %s (%v)", want.ID, enc, wantEnc, err)
		}
		if want.Geometry != nil && c.bound(i) != want.Geometry.Bound() {
			t.Errorf("feature %s: bound %v, want %v", want.ID, c.bound(i), want.Geometry.Bound())
		}
	}
	if p, ok := c.recs[4].geom.(orb.Polygon); !ok || cap(p[0]) != len(p[0]) || cap(p) != len(p) {
		t.Errorf("polygon copy %v: capacity beyond its length", c.recs[4].geom)
	}
	orig := feats[4].Geometry.(orb.Polygon)
	orig[0][0][0] = 99
	if c.recs[4].geom.(orb.Polygon)[0][0][0] == 99 {
		t.Error("the copy shares coordinates with the original")
	}
	if &c.feature(2, false).Sources[0] != &c.feature(3, false).Sources[0] {
		t.Error("equal source lists are not shared")
	}
}

// TestCompactEncoded checks the features built for a query that asks for
// encoded properties: no properties map where there is an encoding, the
// same encoding as without the flag, and the values where a feature could
// not be encoded (NaN, which JSON cannot hold).
func TestCompactEncoded(t *testing.T) {
	feats := append(oddFeatures(), geo.Feature{ID: "z", Collection: "c", Geometry: orb.Point{1, 1},
		Properties: map[string]any{"nan": math.NaN(), "s": "x"}})
	c := newCollection(geo.Collection{ID: "c"}, feats)
	for i, f := range feats {
		plain, enc := c.feature(i, false), c.feature(i, true)
		if !bytes.Equal(plain.PropertiesJSON, enc.PropertiesJSON) || !bytes.Equal(plain.PropertiesJSONTail, enc.PropertiesJSONTail) {
			t.Errorf("feature %s: encoded properties %s%s with the flag, %s%s without", f.ID,
				enc.PropertiesJSON, enc.PropertiesJSONTail, plain.PropertiesJSON, plain.PropertiesJSONTail)
		}
		if f.ID == "z" {
			if enc.PropertiesJSON != nil || enc.PropertiesJSONTail != nil || len(enc.Properties) != 2 {
				t.Errorf("feature z (NaN): encoded %s, properties %v; want no encoding and the values", enc.PropertiesJSON, enc.Properties)
			}
			continue
		}
		if enc.PropertiesJSON == nil || enc.Properties != nil {
			t.Errorf("feature %s with the flag: encoded %s, properties %v; want an encoding and no map", f.ID, enc.PropertiesJSON, enc.Properties)
		}
		if cap(enc.PropertiesJSON) != len(enc.PropertiesJSON) || cap(enc.PropertiesJSONTail) != len(enc.PropertiesJSONTail) {
			t.Errorf("feature %s: encoded properties can be appended into the next feature's", f.ID)
		}
	}
}

// TestCompactSharedTails checks that the encodings' ends from "sources" on
// are kept once for the features that share them, and that a feature whose
// own properties come after "sources", or whose values hold that text,
// still comes back whole.
func TestCompactSharedTails(t *testing.T) {
	day := time.Date(2026, 1, 20, 0, 0, 0, 0, time.UTC)
	src := []geo.Source{{Publisher: "AP", Date: "2026-01-20"}}
	feats := []geo.Feature{
		{ID: "a", Properties: map[string]any{"name": "one"}, Valid: geo.Interval{Start: day}, Sources: src},
		{ID: "b", Properties: map[string]any{"name": "two"}, Valid: geo.Interval{Start: day}, Sources: src},
		{ID: "c", Properties: map[string]any{"name": `x,"sources":[]`, "status": "held"}, Valid: geo.Interval{Start: day}, Sources: src},
		{ID: "d", Properties: map[string]any{"meta": map[string]any{"a": 1, "sources": 1}, "name": "four"}, Valid: geo.Interval{Start: day}, Sources: src},
		{ID: "e", Properties: map[string]any{}},
		// No own key before "sources", a nested key of that name after it:
		// the split is at the object's first key.
		{ID: "f", Properties: map[string]any{"status": map[string]any{"a": 1, "sources": 1}}, Valid: geo.Interval{Start: day}, Sources: src},
	}
	for i := range feats {
		feats[i].Collection, feats[i].Geometry = "c", orb.Point{1, 1}
	}
	c := newCollection(geo.Collection{ID: "c"}, feats)
	for i, f := range feats {
		got := c.feature(i, true)
		want, err := propjson.Encode(f)
		if err != nil {
			t.Fatal(err)
		}
		if whole := append(slices.Clip(got.PropertiesJSON), got.PropertiesJSONTail...); !bytes.Equal(whole, want) {
			t.Errorf("feature %s: %s + %s, want %s", f.ID, got.PropertiesJSON, got.PropertiesJSONTail, want)
		}
	}
	a, b, cc := c.feature(0, true), c.feature(1, true), c.feature(2, true)
	if want := `,"sources":[{"publisher":"AP","date":"2026-01-20"}],"valid_from":"2026-01-20T00:00:00Z","valid_to":null}`; string(a.PropertiesJSONTail) != want {
		t.Errorf("feature a's tail %s, want %s", a.PropertiesJSONTail, want)
	}
	if len(a.PropertiesJSONTail) == 0 || len(b.PropertiesJSONTail) == 0 || &a.PropertiesJSONTail[0] != &b.PropertiesJSONTail[0] {
		t.Error("features a and b have equal tails kept twice")
	}
	if string(a.PropertiesJSON) != `{"name":"one"` || !bytes.HasSuffix(cc.PropertiesJSON, []byte(`\"sources\":[]"`)) {
		t.Errorf("heads %s and %s: want each up to its own \"sources\" key", a.PropertiesJSON, cc.PropertiesJSON)
	}
	if f := c.feature(5, true); string(f.PropertiesJSON) != "{" {
		t.Errorf("feature f's head %s, want {", f.PropertiesJSON)
	}
	if len(c.tails) != 5 { // a and b share; c's status and d's nested key give two more; e and f have their own
		t.Errorf("%d distinct tails, want 5: %q", len(c.tails), c.tails)
	}
}

// TestCompactMatchesFeatures checks match and the tile properties of the
// compact form against geo.Query.Match and geo.EachTileProperty of the
// features, on random data and queries.
func TestCompactMatchesFeatures(t *testing.T) {
	r := rand.New(rand.NewPCG(9, 10))
	feats := append(oddFeatures(), randomFeatures(r, 500)...)
	slices.SortFunc(feats, byID)
	c := newCollection(geo.Collection{ID: "c"}, feats)
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for n := 0; n < 300; n++ {
		x, y := r.Float64()*10-1, r.Float64()*10-1
		b := orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + r.Float64()*2, y + r.Float64()*2}}
		q := geo.Query{BBox: &b}
		if n%2 == 0 {
			q.Time = geo.Day(day0.AddDate(0, 0, r.IntN(40)))
		}
		if n%3 == 0 {
			q.Filters = map[string]string{"k": []string{"0", "1", "3", "x"}[r.IntN(4)]}
		}
		if n%5 == 0 {
			q.BBox = nil
		}
		for i, f := range feats {
			if got, want := c.match(i, &q), q.Match(f); got != want {
				t.Fatalf("query %d, feature %s: match %v, Query.Match %v", n, f.ID, got, want)
			}
		}
	}
	for i, f := range feats {
		var got, want []any
		for k, v := range c.tileProperties(&c.recs[i]) {
			got = append(got, k, v)
		}
		for k, v := range geo.EachTileProperty(f) {
			want = append(want, k, v)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("feature %s: tile properties %v, want %v", f.ID, got, want)
		}
	}
}

// TestTileMatchesEncode checks that the store's tiles are the bytes
// mvt.Encode makes of the matching features, on random data and tiles.
func TestTileMatchesEncode(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	feats := randomFeatures(r, 2000)
	slices.SortFunc(feats, byID)
	s := New(&geo.Dataset{
		Collections: []geo.Collection{{ID: "c", Title: "C", GeometryType: "Geometry", Dated: true}},
		Features:    map[string][]geo.Feature{"c": feats},
	})
	if c, err := s.lookup(t.Context(), "c"); err != nil || !c.distinctIDs {
		t.Fatalf("the ids are not written as distinct values (%v): the test shows less", err)
	}
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for n := 0; n < 200; n++ {
		tile := maptile.At(orb.Point{r.Float64() * 9, r.Float64() * 9}, maptile.Zoom(4+r.IntN(8)))
		q := geo.Query{}
		if n%2 == 0 {
			q.Time = geo.Day(day0.AddDate(0, 0, r.IntN(40)))
		}
		got, err := s.Tile(t.Context(), "c", tile, q)
		if err != nil {
			t.Fatal(err)
		}
		bound := geo.TileBound(tile)
		q.BBox = &bound
		var in []geo.Feature
		for _, f := range feats {
			if q.Match(f) {
				in = append(in, f)
			}
		}
		want, _ := mvt.Encode("c", tile, in)
		if !slices.Equal(got, want) {
			t.Fatalf("tile %v (%d features): %d bytes, mvt.Encode %d", tile, len(in), len(got), len(want))
		}
	}
}

func TestInOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	for _, tt := range []struct{ n, k int }{{0, 0}, {10, 3}, {100, 63}, {100, 64}, {1000, 500}, {100000, 300}, {100000, 5000}, {200, 200}} {
		pos := r.Perm(tt.n)[:tt.k]
		want := slices.Sorted(slices.Values(pos))
		if got := inOrder(slices.Clone(pos), tt.n); !slices.Equal(got, want) {
			t.Errorf("inOrder of %d of %d positions: not sorted or not the same", tt.k, tt.n)
		}
	}
}

// randomFeatures makes n features of random geometry in 0..10 × 0..10, half
// of them dated, with a property k of a few values.
func randomFeatures(r *rand.Rand, n int) []geo.Feature {
	day0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]geo.Feature, n)
	for i := range out {
		x, y := r.Float64()*9, r.Float64()*9
		w, h := r.Float64(), r.Float64()
		var g orb.Geometry
		switch r.IntN(4) {
		case 0:
			g = orb.Point{x, y}
		case 1:
			g = orb.LineString{{x, y}, {x + w, y + h}, {x + w, y}}
		case 2:
			g = orb.Polygon{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y + h}, {x, y}}}
		default:
			g = orb.MultiPolygon{{{{x, y}, {x + w, y}, {x + w, y + h}, {x, y}}}, {{{x + 2, y}, {x + 2 + w, y}, {x + 2, y + h}, {x + 2, y}}}}
		}
		var valid geo.Interval
		if r.IntN(2) == 0 {
			start := day0.AddDate(0, 0, r.IntN(30))
			valid = geo.Interval{Start: start, End: start.AddDate(0, 0, 1+r.IntN(10))}
		}
		props := map[string]any{"k": []any{"0", "1", 1.0, 3, true}[r.IntN(5)], "name": "n" + string(rune('a'+r.IntN(26)))}
		out[i] = geo.Feature{ID: "r" + string(rune('a'+i%26)) + time.Duration(i).String(), Collection: "c", Geometry: g,
			Properties: props, Valid: valid, Sources: []geo.Source{{Publisher: "test"}}}
	}
	return out
}

// TestItemsSelectedProperties: with Properties, the memory store returns
// each feature with only the named properties it has that are not null; the
// features whose named values are the same scalars share one map, others
// (another value, an object value) get their own; in id order and sorted
// alike; and the rest of each feature as without Properties.
func TestItemsSelectedProperties(t *testing.T) {
	ctx := t.Context()
	var feats []geo.Feature
	for i, p := range []map[string]any{
		{"controller": "sdf", "claim_status": "claimed", "name": "a"},
		{"controller": "sdf", "claim_status": "claimed", "name": "b"},
		{"controller": "sdf", "claim_status": nil, "name": "c"},
		{"controller": "sdf", "name": "d"},
		{"controller": "gov", "claim_status": map[string]any{"by": "sdf"}, "name": "e"},
		{"controller": "gov", "claim_status": map[string]any{"by": "sdf"}, "name": "f"},
		{"controller": 2.0, "name": "g"},
		{"controller": 2.0, "name": "h"},
	} {
		feats = append(feats, geo.Feature{ID: string(rune('a' + i)), Collection: "points", Geometry: orb.Point{39, 35 + float64(i)/10}, Properties: p})
	}
	s := New(&geo.Dataset{Collections: []geo.Collection{{ID: "points", Title: "Points"}}, Features: map[string][]geo.Feature{"points": feats}})
	whole, err := s.Items(ctx, "points", geo.Query{})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"controller", "claim_status", "missing"}
	for _, q := range []geo.Query{{Properties: names}, {Properties: names, SortBy: []geo.SortKey{{Name: "name", Desc: true}}}} {
		page, err := s.Items(ctx, "points", q)
		if err != nil || len(page.Features) != len(whole.Features) {
			t.Fatalf("%v, %d features", err, len(page.Features))
		}
		byID := map[string]map[string]any{}
		for _, f := range page.Features {
			byID[f.ID] = f.Properties
			w := whole.Features[f.ID[0]-'a']
			want := map[string]any{}
			for _, n := range names {
				if v := w.Properties[n]; v != nil {
					want[n] = v
				}
			}
			if !reflect.DeepEqual(f.Properties, want) {
				t.Errorf("%s: properties %v, want %v", f.ID, f.Properties, want)
			}
			if !reflect.DeepEqual(f.Geometry, w.Geometry) || f.Thing != w.Thing || f.Valid != w.Valid {
				t.Errorf("%s: %+v, want as without Properties %+v", f.ID, f, w)
			}
		}
		same := func(a, b string) bool {
			return reflect.ValueOf(byID[a]).Pointer() == reflect.ValueOf(byID[b]).Pointer()
		}
		for _, pair := range [][2]string{{"a", "b"}, {"c", "d"}, {"g", "h"}} {
			if !same(pair[0], pair[1]) {
				t.Errorf("%s and %s have the same values and two maps", pair[0], pair[1])
			}
		}
		for _, pair := range [][2]string{{"a", "c"}, {"e", "f"}, {"a", "g"}} {
			if same(pair[0], pair[1]) {
				t.Errorf("%s and %s share a map", pair[0], pair[1])
			}
		}
	}
}

// TestCompactLaidOutByPlace checks that what records point to is laid out in
// the spatial index's order, not in id order: ids given in an order that has
// nothing to do with place (shuffled) get their bytes, property values and
// geometries in the order the index packs the features, so that the
// features a tile or a bbox reads lie together in memory. The records and
// their answers are the features given, in id order, as before.
func TestCompactLaidOutByPlace(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const n = 2000
	feats := make([]geo.Feature, n)
	for i := range feats {
		ring := orb.Ring{{0, 0}, {0.1, 0}, {0.1, 0.1}, {0, 0}}
		x, y := r.Float64()*10, r.Float64()*10
		for j := range ring {
			ring[j][0] += x
			ring[j][1] += y
		}
		var g orb.Geometry = orb.Point{x, y}
		if i%2 == 1 {
			g = orb.Polygon{ring}
		}
		feats[i] = geo.Feature{ID: fmt.Sprintf("f%05d", i), Geometry: g,
			Properties: map[string]any{"name": fmt.Sprintf("name %d", i), "kind": "same"}}
	}
	c := newCollection(geo.Collection{ID: "c"}, feats)
	for i, want := range feats {
		if got := c.feature(i, false); got.ID != want.ID || !reflect.DeepEqual(got.Geometry, want.Geometry) || got.Properties["name"] != want.Properties["name"] {
			t.Fatalf("record %d is %s %v %v, want %s %v %v", i, got.ID, got.Geometry, got.Properties, want.ID, want.Geometry, want.Properties)
		}
	}
	order := c.index.items()
	if slices.IsSorted(order) {
		t.Fatal("the index packs the features in id order: the test shows nothing")
	}
	// In packed order, each record's id bytes and property values follow
	// the last one's, and so do the coordinates of its polygon.
	var lastID uintptr
	lastVals, lastPts := -1, uintptr(0)
	for _, i := range order {
		rec := &c.recs[i]
		if p := uintptr(unsafe.Pointer(unsafe.StringData(rec.id))); p <= lastID {
			t.Fatalf("record %d (%s): its id's bytes lie before the last one's", i, rec.id)
		} else {
			lastID = p
		}
		if int(rec.vals) <= lastVals {
			t.Fatalf("record %d (%s): its values lie before the last one's", i, rec.id)
		}
		lastVals = int(rec.vals)
		if p, ok := rec.geom.(orb.Polygon); ok {
			a := uintptr(unsafe.Pointer(&p[0][0]))
			if a <= lastPts {
				t.Fatalf("record %d (%s): its coordinates lie before the last polygon's", i, rec.id)
			}
			lastPts = a
		}
	}
}

// TestDistinctIDs checks when a collection's tiles write each id as a value
// of its own (geo.TileValue.Distinct): only when the ids are distinct and no
// property value or validity end holds the text of one. In every case the
// tile is the bytes mvt.Encode makes, which writes each distinct value once:
// an id written apart from an equal property value would differ.
func TestDistinctIDs(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tile := maptile.At(orb.Point{1.5, 1.5}, 6)
	pt := func(id string, x float64, props map[string]any, valid geo.Interval) geo.Feature {
		return geo.Feature{ID: id, Collection: "c", Geometry: orb.Point{x, 1.5}, Properties: props, Valid: valid}
	}
	for _, tt := range []struct {
		name  string
		feats []geo.Feature
		want  bool
	}{
		{"distinct", []geo.Feature{pt("a", 1.1, map[string]any{"ref": "x"}, geo.Interval{}), pt("b", 1.2, map[string]any{"ref": "a b"}, geo.Instant(day))}, true},
		{"a value is an id", []geo.Feature{pt("a", 1.1, map[string]any{"ref": "b"}, geo.Interval{}), pt("b", 1.2, nil, geo.Interval{})}, false},
		{"an id is a value", []geo.Feature{pt("a", 1.1, nil, geo.Interval{}), pt("b", 1.2, map[string]any{"ref": "a"}, geo.Interval{})}, false},
		{"a validity's end is an id", []geo.Feature{pt("2026-01-01T00:00:00Z", 1.1, nil, geo.Interval{}), pt("b", 1.2, nil, geo.Interval{Start: day})}, false},
		{"a repeated id", []geo.Feature{pt("a", 1.1, nil, geo.Interval{}), pt("a", 1.2, nil, geo.Interval{})}, false},
		{"an empty id and an empty value", []geo.Feature{pt("", 1.1, nil, geo.Interval{}), pt("b", 1.2, map[string]any{"ref": ""}, geo.Interval{})}, false},
	} {
		c := newCollection(geo.Collection{ID: "c"}, tt.feats)
		if c.distinctIDs != tt.want {
			t.Errorf("%s: distinctIDs %v, want %v", tt.name, c.distinctIDs, tt.want)
		}
		s := New(&geo.Dataset{Collections: []geo.Collection{{ID: "c", Title: "C", GeometryType: "Point"}},
			Features: map[string][]geo.Feature{"c": tt.feats}})
		got, err := s.Tile(t.Context(), "c", tile, geo.Query{})
		want, _ := mvt.Encode("c", tile, tt.feats)
		if err != nil || !bytes.Equal(got, want) || len(want) == 0 {
			t.Errorf("%s: the tile (%d bytes, %v) is not mvt.Encode's (%d bytes)", tt.name, len(got), err, len(want))
		}
	}
}

// TestCompactKeepsNegativeZero: a property value of -0 stays -0 and one of 0
// stays 0, whichever comes first in the order the values are laid out (Go's
// == takes them for equal, so interning them as one value gave every
// feature the sign of the first).
func TestCompactKeepsNegativeZero(t *testing.T) {
	negZero := math.Copysign(0, -1)
	for _, first := range []float64{0, negZero} {
		second := 0.0
		if !math.Signbit(first) {
			second = negZero
		}
		// Both orders of place: the index packs "a" first or last.
		for _, xs := range [][2]float64{{0, 10}, {10, 0}} {
			feats := []geo.Feature{
				{ID: "a", Geometry: orb.Point{xs[0], 0}, Properties: map[string]any{"v": first}},
				{ID: "b", Geometry: orb.Point{xs[1], 0}, Properties: map[string]any{"v": second}},
			}
			c := newCollection(geo.Collection{ID: "c"}, feats)
			for i, want := range feats {
				got := c.feature(i, false)
				if v, ok := got.Properties["v"].(float64); !ok || math.Signbit(v) != math.Signbit(want.Properties["v"].(float64)) {
					t.Errorf("first %v, places %v: feature %s has v %v, want %v", first, xs, want.ID, got.Properties["v"], want.Properties["v"])
				}
				enc := append(slices.Clip(got.PropertiesJSON), got.PropertiesJSONTail...)
				if wantEnc, err := propjson.Encode(want); err != nil || string(enc) != string(wantEnc) {
					t.Errorf("first %v, places %v: feature %s encoded %s, want %s (%v)", first, xs, want.ID, enc, wantEnc, err)
				}
			}
		}
	}
}

// TestTileStrings: the table of strings a tile looks up is sized for one a
// candidate, unless the ids are written apart, when the collection's own
// distinct strings bound it: a collection of one shared value does not ask
// for a table the size of its ids, which the pool would drop as barely
// used and a tile make again.
func TestTileStrings(t *testing.T) {
	day := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	camps := make([]geo.Feature, 5000)
	for i := range camps {
		camps[i] = geo.Feature{ID: fmt.Sprintf("c%05d", i), Geometry: orb.Point{float64(i) / 5000, 0},
			Properties: map[string]any{"kind": "camp", "n": float64(i)}, Valid: geo.Interval{Start: day}}
	}
	c := newCollection(geo.Collection{ID: "c"}, camps)
	if !c.distinctIDs || c.strVals != 1 {
		t.Fatalf("distinctIDs %v, %d distinct strings: want true, 1", c.distinctIDs, c.strVals)
	}
	if got := c.tileStrings(5000); got != 1+2 {
		t.Errorf("tileStrings(5000) = %d, want 3 (one value, one validity's two ends)", got)
	}
	camps[1].Properties = map[string]any{"ref": camps[0].ID} // an id among the values
	c = newCollection(geo.Collection{ID: "c"}, camps)
	if c.distinctIDs || c.tileStrings(5000) != 5000 {
		t.Errorf("with an id among the values: distinctIDs %v, tileStrings(5000) = %d, want false, 5000", c.distinctIDs, c.tileStrings(5000))
	}
}
