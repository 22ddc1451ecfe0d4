package geo

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// planarPolygonContains is orb's, which polygonContains stands in for.
var planarPolygonContains = planar.PolygonContains

// TestPathIntersectsAsSegments: the outcodes that settle most segments
// without clipping them change no answer on exact coordinates (they differ
// only within the clipping's rounding: pathIntersects): pathIntersects says
// what asking segmentIntersects of every segment says, on paths of a small
// grid where segments often touch the box's sides and corners, cross a
// corner, or lie along a side.
func TestPathIntersectsAsSegments(t *testing.T) {
	bySegments := func(ls orb.LineString, b orb.Bound) bool {
		if len(ls) == 0 {
			return false
		}
		if len(ls) == 1 {
			return b.Contains(ls[0])
		}
		for i := 1; i < len(ls); i++ {
			if segmentIntersects(ls[i-1], ls[i], b) {
				return true
			}
		}
		return false
	}
	r := rand.New(rand.NewPCG(10, 1))
	grid := func() float64 { return float64(r.IntN(9)) / 2 } // 0, 0.5, …, 4
	b := orb.Bound{Min: orb.Point{1.5, 1.5}, Max: orb.Point{2.5, 2.5}}
	hits := 0
	for n := 0; n < 200000; n++ {
		ls := make(orb.LineString, 1+r.IntN(5))
		for i := range ls {
			ls[i] = orb.Point{grid(), grid()}
		}
		want := bySegments(ls, b)
		if got := pathIntersects(ls, b); got != want {
			t.Fatalf("pathIntersects(%v, %v) = %v, segment by segment %v", ls, b, got, want)
		}
		if want {
			hits++
		}
	}
	if hits < 1000 || hits > 199000 {
		t.Fatalf("%d of 200000 paths meet the box: the test asks too little of one answer", hits)
	}
	// Paths with no point, or with a coordinate that is not a number, which
	// the clipping's comparisons and the outcodes both pass: the other
	// coordinate decides.
	nan := math.NaN()
	for _, tc := range []struct {
		ls   orb.LineString
		want bool
	}{
		{orb.LineString{}, false},
		{orb.LineString{{nan, 0}, {0, 0}}, false}, // below the box either way
		{orb.LineString{{nan, 2}, {0, 0}}, true},
		{orb.LineString{{0, 0}, {0, 1}, {4, nan}}, true},
	} {
		if got := pathIntersects(tc.ls, b); got != tc.want || bySegments(tc.ls, b) != tc.want {
			t.Errorf("pathIntersects(%v) = %v, segment by segment %v, want %v", tc.ls, got, bySegments(tc.ls, b), tc.want)
		}
	}
	// Segments that pass beyond a corner: both ends outside, on different
	// sides, missing the box (and one that cuts the corner).
	for _, tc := range []struct {
		ls   orb.LineString
		want bool
	}{
		{orb.LineString{{0, 2}, {2, 4}}, false},      // beyond the top-left corner
		{orb.LineString{{1, 2}, {2, 3}}, true},       // through the corner (1.5, 2.5)
		{orb.LineString{{1.2, 2}, {1.8, 2.8}}, true}, // cuts the corner: (1.5, 2.4)
		{orb.LineString{{0, 0}, {4, 0}, {4, 4}}, false},
		{orb.LineString{{0, 0}, {4, 4}}, true}, // across, no end inside
	} {
		if got := pathIntersects(tc.ls, b); got != tc.want || bySegments(tc.ls, b) != tc.want {
			t.Errorf("pathIntersects(%v) = %v, segment by segment %v, want %v", tc.ls, got, bySegments(tc.ls, b), tc.want)
		}
	}
}

// TestPolygonContainsAsOrb: polygonContains answers what orb's
// planar.PolygonContains answers (a point on an outer ring or on a hole's
// is in, respectively out), on polygons of a small grid of integers, where
// orb's arithmetic is exact too and points often lie on vertices, on edges,
// on horizontal and vertical edges and on the lines through vertices;
// open rings, holes and rings that cross themselves included. And on
// polygons of random coordinates, at random points.
func TestPolygonContainsAsOrb(t *testing.T) {
	r := rand.New(rand.NewPCG(21, 22))
	ring := func(n int, grid bool) orb.Ring {
		out := make(orb.Ring, n)
		for i := range out {
			if grid {
				out[i] = orb.Point{float64(r.IntN(9)), float64(r.IntN(9))}
			} else {
				out[i] = orb.Point{r.Float64() * 8, r.Float64() * 8}
			}
		}
		if r.IntN(4) > 0 {
			out = append(out, out[0]) // closed, mostly
		}
		return out
	}
	checked, in := 0, 0
	for n := 0; n < 4000; n++ {
		grid := n%4 != 3
		p := orb.Polygon{ring(3+r.IntN(8), grid)}
		for range r.IntN(3) {
			p = append(p, ring(3+r.IntN(5), grid))
		}
		pb := p.Bound()
		for range 40 {
			var pt orb.Point
			switch k := r.IntN(4); {
			case grid:
				pt = orb.Point{float64(r.IntN(19)) / 2, float64(r.IntN(19)) / 2} // on the grid and halfway
			case k == 0:
				pt = p[0][r.IntN(len(p[0]))]
			default:
				pt = orb.Point{r.Float64() * 8, r.Float64() * 8}
			}
			got, want := polygonContains(p, pb, pt), planarPolygonContains(p, pt)
			if got != want {
				t.Fatalf("polygon %v, point %v: polygonContains %v, planar.PolygonContains %v", p, pt, got, want)
			}
			checked++
			if got {
				in++
			}
		}
	}
	// Empty rings: an empty outer ring holds nothing (its bound, empty,
	// holds no point), an empty hole takes nothing away.
	sq := orb.Ring{{0, 0}, {4, 0}, {4, 4}, {0, 4}, {0, 0}}
	for _, p := range []orb.Polygon{{orb.Ring{}}, {orb.Ring{}, sq}, {sq, orb.Ring{}}, {sq, orb.Ring{}, orb.Ring{{1, 1}, {2, 1}, {2, 2}, {1, 1}}}} {
		for _, pt := range []orb.Point{{0, 0}, {1.5, 1.2}, {3, 3}, {5, 5}} {
			if got, want := polygonContains(p, p.Bound(), pt), planarPolygonContains(p, pt); got != want {
				t.Errorf("polygon %v, point %v: polygonContains %v, planar.PolygonContains %v", p, pt, got, want)
			}
		}
	}
	if in < checked/10 || in > checked*9/10 {
		t.Fatalf("%d of %d points in: the cases are lopsided", in, checked)
	}
}
