package geo_test

import (
	"math"
	"strings"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

func TestValidateGeometry(t *testing.T) {
	square := orb.Polygon{ring(0, 0, 1, 0, 1, 1, 0, 1, 0, 0)}
	tests := []struct {
		name     string
		g        orb.Geometry
		declared string
		reason   string // "" when valid
	}{
		{"point", orb.Point{41.1486, 36.3756}, "Point", ""},
		{"multipoint in a Point collection", orb.MultiPoint{{41, 36}}, "Point", ""},
		{"line", orb.LineString{{40, 36}, {41, 37}}, "LineString", ""},
		{"square", square, "Polygon", ""},
		{"polygon in a MultiPolygon collection", square, "MultiPolygon", ""},
		{"polygon with a hole", orb.Polygon{ring(0, 0, 10, 0, 10, 10, 0, 10, 0, 0), ring(3, 3, 3, 7, 7, 7, 7, 3, 3, 3)}, "Polygon", ""},
		{"anything in a Geometry collection", orb.LineString{{0, 0}, {1, 1}}, "Geometry", ""},
		{"edges of the world", orb.LineString{{-180, -90}, {180, 90}}, "LineString", ""},

		{"no geometry", nil, "Point", "no geometry"},
		{"wrong type", orb.Point{1, 1}, "Polygon", "geometry is a Point but the collection holds Polygon"},
		{"longitude out of range", orb.Point{181, 0}, "Point", "outside lon -180..180"},
		{"latitude out of range", orb.Point{0, -90.5}, "Point", "outside lon -180..180, lat -90..90"},
		{"NaN", orb.Point{math.NaN(), 0}, "Point", "not a finite number"},
		{"Inf in a line", orb.LineString{{0, 0}, {math.Inf(1), 0}}, "LineString", "not a finite number"},
		{"one-point line", orb.LineString{{0, 0}}, "LineString", "at least 2 positions"},
		{"line of one repeated position", orb.LineString{{41, 36}, {41, 36}}, "LineString", "two distinct positions"},
		{"empty multipoint", orb.MultiPoint{}, "Point", "empty MultiPoint"},
		{"empty polygon", orb.Polygon{}, "Polygon", "empty Polygon"},
		{"ring too short", orb.Polygon{ring(0, 0, 1, 0, 0, 0)}, "Polygon", "needs at least 4"},
		{"unclosed ring", orb.Polygon{ring(0, 0, 1, 0, 1, 1, 0, 1)}, "Polygon", "ring 0 is not closed"},
		{"bow-tie", orb.Polygon{ring(0, 0, 1, 1, 1, 0, 0, 1, 0, 0)}, "Polygon", "ring 0 crosses itself"},
		{"self-touching at a vertex", orb.Polygon{ring(0, 0, 4, 0, 4, 4, 2, 0, 0, 4, 0, 0)}, "Polygon", "crosses itself"},
		{"hole crosses itself", orb.Polygon{ring(0, 0, 10, 0, 10, 10, 0, 10, 0, 0), ring(3, 3, 7, 7, 7, 3, 3, 7, 3, 3)}, "Polygon", "ring 1 crosses itself"},
		{"bad polygon inside a multipolygon", orb.MultiPolygon{square, {ring(0, 0, 1, 1, 1, 0, 0, 1, 0, 0)}}, "MultiPolygon", "crosses itself"},
		{"bad member of a collection", orb.Collection{orb.Point{0, 0}, orb.Point{0, 100}}, "Geometry", "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := geo.ValidateGeometry(tt.g, tt.declared)
			if tt.reason == "" {
				if err != nil {
					t.Fatalf("ValidateGeometry: %v, want valid", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("ValidateGeometry: valid, want an error saying %q", tt.reason)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("error %q does not say %q", err, tt.reason)
			}
			if !strings.HasPrefix(err.Error(), "geo: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}
