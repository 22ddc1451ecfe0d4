package geo_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/geo"
)

// fuzzCollections are the collections FuzzDecodeFeatures decodes into: a
// dated one with a group key and required properties, and an undated one
// that takes any geometry.
var fuzzCollections = [2]geo.Collection{
	{ID: "facilities", Title: "F", GeometryType: "Point", Dated: true, GroupKey: "site", Required: []string{"name"}},
	{ID: "misc", Title: "M", GeometryType: "Geometry"},
}

func FuzzDecodeFeatures(f *testing.F) {
	f.Add(true, []byte(`{"type":"FeatureCollection","features":[
	 {"type":"Feature","id":"a","geometry":{"type":"Point","coordinates":[41,36]},"properties":{"site":"x","name":"A","valid_from":"2026-01-01","valid_to":"2026-01-21","sources":[{"publisher":"AP"}]}},
	 {"type":"Feature","id":"b","geometry":{"type":"Point","coordinates":[41,36]},"properties":{"site":"x","name":"B","valid_from":"2026-01-21","valid_to":null,"sources":[{"publisher":"AP","date":"2026-01-21"}]}},
	 {"type":"Feature","id":"e","geometry":{"type":"MultiPoint","coordinates":[[41,36],[42,37]]},"properties":{"site":"y","name":"E","n":150,"ok":true,"valid_from":"2026-01-21T10:00:00+03:00","valid_to":"2026-01-21T07:00:00Z","sources":[{"publisher":"AP"}]}}]}`))
	f.Add(false, []byte(`{"type":"FeatureCollection","features":[
	 {"type":"Feature","id":7,"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]},"properties":{"sources":[{"publisher":"NE"}]}},
	 {"type":"Feature","id":"gc","geometry":{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]},"properties":{"valid_from":null,"sources":[{"publisher":"NE"}],"nested":{"a":[1,"x",null]}}}]}`))
	f.Add(false, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","geometry":{"type":"GeometryCollection","geometries":[null]},"properties":{"sources":[{"publisher":"NE"}]}}]}`))
	f.Add(false, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"x","geometry":{"type":"Point","coordinates":null},"properties":{"sources":[{"publisher":"NE"}]}}]}`))
	f.Add(true, []byte(`{"type":"FeatureCollection","features":[null, {}, 1, "x", [], {"type":"Feature"}]}`))
	f.Add(true, []byte(`{"type":"FeatureCollection","features":null}`))
	f.Add(true, []byte(`not json`))
	f.Add(false, []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"p","geometry":{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]},"properties":{"sources":[{"publisher":"NE"}]}}]}`))
	f.Fuzz(func(t *testing.T, dated bool, b []byte) {
		col := fuzzCollections[1]
		if dated {
			col = fuzzCollections[0]
		}
		const file = "fuzz.geojson"
		feats, probs := geo.DecodeFeatures(col, file, b)
		for _, p := range probs {
			if p.File != file || p.Reason == "" || strings.HasPrefix(p.Reason, "geo: ") {
				t.Fatalf("malformed problem %+v", p)
			}
		}
		seen := map[string]bool{}
		for i, f := range feats {
			if f.ID == "" || seen[f.ID] || (i > 0 && feats[i-1].ID >= f.ID) {
				t.Fatalf("ids not unique, non-empty and sorted: %q at %d", f.ID, i)
			}
			seen[f.ID] = true
			if f.Collection != col.ID {
				t.Fatalf("feature %s in collection %q", f.ID, f.Collection)
			}
			if err := f.Valid.Validate(); err != nil {
				t.Fatalf("feature %s: accepted a malformed interval: %v", f.ID, err)
			}
			if !col.Dated && !f.Valid.IsUnbounded() {
				t.Fatalf("undated feature %s has validity %s", f.ID, f.Valid)
			}
			if err := geo.ValidateGeometry(f.Geometry, col.GeometryType); err != nil {
				t.Fatalf("feature %s: accepted invalid geometry: %v", f.ID, err)
			}
			if len(f.Sources) == 0 || f.Sources[0].Publisher == "" {
				t.Fatalf("feature %s: sources %+v", f.ID, f.Sources)
			}
			if col.GroupKey != "" && (f.Thing == "" || f.Properties[col.GroupKey] != f.Thing) {
				t.Fatalf("feature %s: thing %q", f.ID, f.Thing)
			}
		}
		if len(probs) > 0 {
			return
		}
		if len(geo.Overlaps(feats)) > 0 {
			t.Fatalf("accepted overlapping versions")
		}
		// What was accepted survives a trip through its own GeoJSON.
		out := make([]any, len(feats))
		for i, f := range feats {
			out[i] = f.GeoJSON()
		}
		again, err := json.Marshal(map[string]any{"type": "FeatureCollection", "features": out})
		if err != nil {
			t.Fatalf("marshal accepted features: %v", err)
		}
		feats2, probs2 := geo.DecodeFeatures(col, file, again)
		if len(probs2) > 0 {
			t.Fatalf("re-decoding %s: %v", again, probs2)
		}
		if len(feats2) != len(feats) {
			t.Fatalf("re-decoding: %d features, want %d", len(feats2), len(feats))
		}
		for i := range feats {
			a, b := feats[i], feats2[i]
			if a.ID != b.ID || a.Thing != b.Thing || !a.Valid.Start.Equal(b.Valid.Start) || !a.Valid.End.Equal(b.Valid.End) ||
				!reflect.DeepEqual(a.Geometry, b.Geometry) || !reflect.DeepEqual(a.Properties, b.Properties) || !reflect.DeepEqual(a.Sources, b.Sources) {
				t.Fatalf("round trip changed feature %s:\n%+v\n%+v", a.ID, a, b)
			}
		}
	})
}
