package handlers

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

func TestAppendCoord(t *testing.T) {
	tests := []struct {
		v         float64
		precision int
		want      string
	}{
		{41.1486, 6, "41.1486"},
		{41.1486, 15, "41.1486"},
		{41.1486, 2, "41.15"},
		{41.1486, 0, "41"},
		{36.3756, 3, "36.376"},
		{40, 6, "40"},
		{-0.0000001, 6, "0"},
		{-0.4, 0, "0"},
		{-0.6, 0, "-1"},
		{math.Copysign(0, -1), 6, "0"},
		{-12.5000001, 6, "-12.5"},
		{0.1 + 0.2, 6, "0.3"},
		{0.1 + 0.2, 15, "0.3"},
		{179.9999999, 6, "180"},
		{1e-7, 15, "0.0000001"},
	}
	for _, tt := range tests {
		if got := string(appendCoord(nil, tt.v, tt.precision)); got != tt.want {
			t.Errorf("appendCoord(%v, %d) = %s, want %s", tt.v, tt.precision, got, tt.want)
		}
	}
}

func TestWriteGeometry(t *testing.T) {
	tests := []struct {
		g    orb.Geometry
		want string
	}{
		{nil, `null`},
		{orb.Point{1.23456789, -2}, `{"type":"Point","coordinates":[1.234568,-2]}`},
		{orb.MultiPoint{{1, 2}, {3, 4}}, `{"type":"MultiPoint","coordinates":[[1,2],[3,4]]}`},
		{orb.LineString{{1, 2}, {3, 4}}, `{"type":"LineString","coordinates":[[1,2],[3,4]]}`},
		{orb.MultiLineString{{{1, 2}, {3, 4}}}, `{"type":"MultiLineString","coordinates":[[[1,2],[3,4]]]}`},
		{orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}, `{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}`},
		{orb.MultiPolygon{{{{0, 0}, {1, 0}, {1, 1}, {0, 0}}}}, `{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}`},
		{orb.Collection{orb.Point{1, 2}, orb.LineString{{1, 2}, {3, 4}}}, `{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[1,2],[3,4]]}]}`},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		if err := writeGeometry(&buf, tt.g, 6); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("got %s, want %s", buf.String(), tt.want)
		}
		if !json.Valid(buf.Bytes()) {
			t.Errorf("%s is not JSON", buf.String())
		}
	}
	var buf bytes.Buffer
	if err := writeGeometry(&buf, orb.Point{math.NaN(), 0}, 6); err == nil {
		t.Error("NaN written without an error")
	}
}

func TestWriteFeatureCollectionIsValidJSON(t *testing.T) {
	var buf bytes.Buffer
	err := writeFeatureCollection(&buf, featureCollection{
		features: []geo.Feature{{ID: `a"b`, Geometry: orb.Point{1, 2}, Properties: map[string]any{"name": "x\u2028y"}}},
		links:    []link{{Href: "http://h/?a=1&b=2", Rel: "self"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]any
	if err := json.Unmarshal(buf.Bytes(), &v); err != nil {
		t.Fatalf("%v: %s", err, buf.String())
	}
	if v["numberReturned"] != 1.0 || v["numberMatched"] != 0.0 {
		t.Errorf("%s", buf.String())
	}
}
