package geo_test

import (
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

func TestScalarText(t *testing.T) {
	tests := []struct {
		v    any
		want string
		ok   bool
	}{
		{"sdf", "sdf", true},
		{150.0, "150", true},
		{0.5, "0.5", true},
		{1e21, "1000000000000000000000", true},
		{true, "true", true},
		{false, "false", true},
		{7, "7", true},
		{int64(-3), "-3", true},
		{nil, "", false},
		{[]any{"a"}, "", false},
		{map[string]any{"a": 1.0}, "", false},
	}
	for _, tt := range tests {
		got, ok := geo.ScalarText(tt.v)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ScalarText(%#v) = %q, %v; want %q, %v", tt.v, got, ok, tt.want, tt.ok)
		}
	}
}

func TestQueryMatch(t *testing.T) {
	f := geo.Feature{
		ID:         "hol-2",
		Geometry:   orb.Point{41.1486, 36.3756},
		Properties: map[string]any{"controller": "government", "population": 24000.0, "estimated": false, "tags": []any{"camp"}},
		Valid:      iv(t, "2026-01-21T00:00:00Z", ""),
	}
	undated := geo.Feature{ID: "b1", Geometry: orb.LineString{{41, 36}, {42, 37}}, Properties: map[string]any{}}
	bbox := func(b orb.Bound) *orb.Bound { return &b }
	tests := []struct {
		name string
		q    geo.Query
		f    geo.Feature
		want bool
	}{
		{"zero query", geo.Query{}, f, true},
		{"date after the start", geo.Query{Time: geo.Day(ts(t, "2026-02-01T00:00:00Z"))}, f, true},
		{"day before the start", geo.Query{Time: geo.Day(ts(t, "2026-01-20T00:00:00Z"))}, f, false},
		{"undated matches any date", geo.Query{Time: geo.Day(ts(t, "1990-01-01T00:00:00Z"))}, undated, true},
		{"string filter", geo.Query{Filters: map[string]string{"controller": "government"}}, f, true},
		{"string filter mismatch", geo.Query{Filters: map[string]string{"controller": "sdf"}}, f, false},
		{"number filter", geo.Query{Filters: map[string]string{"population": "24000"}}, f, true},
		{"bool filter", geo.Query{Filters: map[string]string{"estimated": "false"}}, f, true},
		{"array never matches", geo.Query{Filters: map[string]string{"tags": "camp"}}, f, false},
		{"unknown property", geo.Query{Filters: map[string]string{"nope": ""}}, f, false},
		{"bbox around", geo.Query{BBox: bbox(box(41, 36, 42, 37))}, f, true},
		{"bbox away", geo.Query{BBox: bbox(box(40, 36, 41, 37))}, f, false},
		{"all together", geo.Query{BBox: bbox(box(41, 36, 42, 37)), Time: geo.Day(ts(t, "2026-01-21T00:00:00Z")), Filters: map[string]string{"controller": "government"}}, f, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.q.Match(tt.f); got != tt.want {
				t.Errorf("Match = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestFeatureGeoJSON(t *testing.T) {
	f := geo.Feature{
		ID: "hol-2", Thing: "al-hol", Geometry: orb.Point{41, 36},
		Properties: map[string]any{"site": "al-hol", "controller": "government"},
		Valid:      iv(t, "2026-01-21T00:00:00Z", ""),
		Sources:    []geo.Source{{Publisher: "AP"}},
	}
	gf := f.GeoJSON()
	if gf.ID != "hol-2" || gf.Properties["valid_from"] != "2026-01-21T00:00:00Z" || gf.Properties["valid_to"] != nil {
		t.Errorf("GeoJSON = %+v", gf)
	}
	if _, ok := gf.Properties["valid_to"]; !ok {
		t.Error("an open end is written as null, not left out")
	}
	if src, ok := gf.Properties["sources"].([]geo.Source); !ok || len(src) != 1 {
		t.Errorf("sources %#v", gf.Properties["sources"])
	}
	sel := f.Select([]string{"controller", "valid_from", "nope"})
	if len(sel.Properties) != 2 || sel.Properties["controller"] != "government" {
		t.Errorf("Select = %v", sel.Properties)
	}
	if f.Properties["valid_from"] != nil {
		t.Error("GeoJSON must not write into the feature's own properties")
	}
}
