package geo_test

import (
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

func box(minX, minY, maxX, maxY float64) orb.Bound {
	return orb.Bound{Min: orb.Point{minX, minY}, Max: orb.Point{maxX, maxY}}
}

func ring(pts ...float64) orb.Ring {
	r := make(orb.Ring, 0, len(pts)/2)
	for i := 0; i+1 < len(pts); i += 2 {
		r = append(r, orb.Point{pts[i], pts[i+1]})
	}
	return r
}

func TestIntersectsBound(t *testing.T) {
	square := orb.Polygon{ring(0, 0, 10, 0, 10, 10, 0, 10, 0, 0)}
	// An L: the bound is 0..10 × 0..10 but the area is only the two arms.
	ell := orb.Polygon{ring(0, 0, 10, 0, 10, 2, 2, 2, 2, 10, 0, 10, 0, 0)}
	// A square with a square hole 3..7 × 3..7.
	holed := orb.Polygon{
		ring(0, 0, 10, 0, 10, 10, 0, 10, 0, 0),
		ring(3, 3, 3, 7, 7, 7, 7, 3, 3, 3),
	}
	tests := []struct {
		name string
		g    orb.Geometry
		b    orb.Bound
		want bool
	}{
		{"nil geometry", nil, box(0, 0, 1, 1), false},
		{"point inside", orb.Point{5, 5}, box(4, 4, 6, 6), true},
		{"point on the edge", orb.Point{4, 5}, box(4, 4, 6, 6), true},
		{"point outside", orb.Point{3.9, 5}, box(4, 4, 6, 6), false},
		{"multipoint one inside", orb.MultiPoint{{0, 0}, {5, 5}}, box(4, 4, 6, 6), true},
		{"multipoint around the box", orb.MultiPoint{{0, 0}, {10, 10}}, box(4, 4, 6, 6), false},
		{"line crossing with no vertex inside", orb.LineString{{0, 5}, {10, 5}}, box(4, 4, 6, 6), true},
		{"diagonal line whose bound covers the box", orb.LineString{{0, 10}, {10, 0}}, box(0, 0, 3, 3), false},
		{"diagonal line through a corner region", orb.LineString{{0, 10}, {10, 0}}, box(4, 4, 6, 6), true},
		{"line touching a corner", orb.LineString{{0, 12}, {12, 0}}, box(4, 4, 6, 6), true},
		{"multiline second crosses", orb.MultiLineString{{{20, 20}, {30, 30}}, {{5, 0}, {5, 10}}}, box(4, 4, 6, 6), true},
		{"polygon covering the box, no vertex inside", square, box(4, 4, 5, 5), true},
		{"polygon inside the box", square, box(-1, -1, 11, 11), true},
		{"polygon edge crossing the box", square, box(9, 9, 12, 12), true},
		{"polygon touching the box at an edge", square, box(10, 4, 12, 6), true},
		{"polygon beside the box", square, box(11, 4, 12, 6), false},
		{"L: box in the bound but not the area", ell, box(5, 5, 6, 6), false},
		{"L: box inside an arm", ell, box(0.5, 5, 1.5, 6), true},
		{"L: box across the inner corner", ell, box(1, 1, 3, 3), true},
		{"hole: box inside the hole", holed, box(4, 4, 6, 6), false},
		{"hole: box across the hole's edge", holed, box(2, 2, 4, 4), true},
		{"hole: box in the solid part", holed, box(1, 1, 2, 2), true},
		{"hole: box covering the hole", holed, box(2, 2, 8, 8), true},
		{"multipolygon second covers", orb.MultiPolygon{{ring(20, 20, 21, 20, 21, 21, 20, 20)}, square}, box(4, 4, 5, 5), true},
		{"multipolygon none", orb.MultiPolygon{ell, {ring(20, 20, 21, 20, 21, 21, 20, 20)}}, box(5, 5, 6, 6), false},
		{"collection", orb.Collection{orb.Point{50, 50}, square}, box(4, 4, 5, 5), true},
		{"bound geometry", box(0, 0, 1, 1), box(1, 1, 2, 2), true},
		{"empty polygon", orb.Polygon{}, box(-1, -1, 1, 1), false},
		{"polygon with an empty ring", orb.Polygon{orb.Ring{}}, box(-1, -1, 1, 1), false},
		{"empty line", orb.LineString{}, box(-1, -1, 1, 1), false},
		{"multipolygon with an empty member, inside", orb.MultiPolygon{{}, {ring(0, 0, 1, 0, 1, 1, 0, 0)}}, box(-1, -1, 2, 2), true},
		{"collection with an empty member, inside", orb.Collection{orb.MultiPoint{}, orb.Point{0.5, 0.5}}, box(0, 0, 1, 1), true},
		{"collection of an empty member", orb.Collection{orb.MultiPoint{}}, box(-1, -1, 1, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := geo.IntersectsBound(tt.g, tt.b); got != tt.want {
				t.Errorf("IntersectsBound = %v, want %v", got, tt.want)
			}
			if tt.g == nil {
				return
			}
			if got := geo.IntersectsBoundOf(tt.g, tt.g.Bound(), tt.b); got != tt.want {
				t.Errorf("IntersectsBoundOf = %v, want %v", got, tt.want)
			}
		})
	}
}
