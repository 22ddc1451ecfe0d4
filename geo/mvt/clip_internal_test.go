package mvt

import (
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/simplify"
)

// TestClipperAsOrb holds the clipper to clip.Geometry on polygons and
// multipolygons inside, across and outside a box, with holes, open rings,
// rings of one and two points, points on the box's sides and repeated
// points, one clipper for all of them as a Layer uses it: the same
// geometry point for point, or nil for both, and the input unchanged. Other
// kinds are left to the caller.
func TestClipperAsOrb(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	ring := func(cx, cy, rad float64, n int) orb.Ring {
		out := make(orb.Ring, 0, n+1)
		for i := range n {
			a := 2 * math.Pi * float64(i) / float64(n)
			k := rad * (0.6 + 0.4*r.Float64())
			out = append(out, orb.Point{cx + k*math.Cos(a), cy + k*math.Sin(a)})
		}
		return append(out, out[0])
	}
	b := orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}
	var geoms []orb.Geometry
	for range 300 {
		cx, cy := r.Float64()*3-1, r.Float64()*3-1
		rad := r.Float64() * 1.5
		p := orb.Polygon{ring(cx, cy, rad, 3+r.IntN(200))}
		if r.IntN(2) == 0 {
			p = append(p, ring(cx, cy, rad/4, 5+r.IntN(20)))
		}
		geoms = append(geoms, p)
		q := orb.Polygon{ring(r.Float64()*3-1, r.Float64()*3-1, r.Float64(), 4+r.IntN(50))}
		geoms = append(geoms, orb.MultiPolygon{p, q}, orb.MultiPolygon{q})
		geoms = append(geoms, orb.LineString(ring(cx, cy, rad, 10)))
	}
	geoms = append(geoms, orb.Point{0.5, 0.5})
	special := len(geoms) // the cases from here on are clipped even when outside the box
	// Points on the sides and corners, open rings, short and repeated ones.
	geoms = append(geoms,
		orb.Polygon{{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {0, 0}}},
		orb.Polygon{{{-1, 0.5}, {0, 0.5}, {0.5, 1}, {2, 1}, {0.5, -1}, {-1, 0.5}}},
		orb.Polygon{{{-0.5, -0.5}, {1.5, 0.5}, {0.5, 1.5}}}, // open
		orb.Polygon{{{0.5, 0.5}, {1.5, 0.5}}},
		orb.Polygon{{{0.5, 0.5}}},
		orb.Polygon{{{1.5, 0.5}}},
		orb.Polygon{{}},
		orb.Polygon{{{-1, -1}, {2, -1}, {2, 2}, {-1, 2}, {-1, -1}}, {{0.2, 0.2}, {0.2, 0.2}, {0.8, 0.2}, {0.8, 0.8}, {0.2, 0.2}}, {{5, 5}, {6, 5}, {6, 6}, {5, 5}}},
		orb.MultiPolygon{{{{5, 5}, {6, 5}, {6, 6}, {5, 5}}}, {{{0.5, 0.5}, {3, 0.5}, {3, 3}, {0.5, 0.5}}}, {{{-0.5, -0.5}, {0.5, -0.5}, {0.5, 0.5}, {-0.5, -0.5}}}},
		orb.MultiPolygon{},
	)
	for range 200 {
		// Open rings crossing the box.
		rg := ring(r.Float64()*2-0.5, r.Float64()*2-0.5, r.Float64(), 3+r.IntN(30))
		geoms = append(geoms, orb.Polygon{rg[:len(rg)-1]})
	}
	var c clipper
	clipped, gone := 0, 0
	for i, g := range geoms {
		if !g.Bound().Intersects(b) && i < special {
			continue // Add never clips these
		}
		c.reset()
		want := clip.Geometry(b, orb.Clone(g))
		before := orb.Clone(g)
		got, ok := c.geometry(b, g)
		if !ok {
			switch g.(type) {
			case orb.Polygon, orb.MultiPolygon:
				t.Fatalf("geometry %d (%T): the clipper does not clip it", i, g)
			}
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("geometry %d (%T): the clipper gives %v, clip.Geometry %v", i, g, got, want)
		}
		if !reflect.DeepEqual(g, before) {
			t.Fatalf("geometry %d (%T): the clipper changed its input", i, g)
		}
		if got == nil {
			gone++
		} else {
			clipped++
		}
	}
	if clipped < 100 || gone == 0 {
		t.Fatalf("%d clipped and %d clipped away: the cases do not cover both", clipped, gone)
	}
}

// TestSimplifierAsOrb holds the tile simplifier to orb's Douglas–Peucker on
// rings and lines in tile units (whole numbers, as projected) and in
// fractions, with runs of collinear and of repeated points, staircases
// whose points lie on two parallel lines (in whole units exactly equally
// far, where the first of them is kept), and points beyond maxBounded or
// not numbers (compared as floats, farthestAny): the same points kept,
// every time. Most cases take farthestOf; those with a NaN must not (their
// bits would order a NaN distance first).
func TestSimplifierAsOrb(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	s := &simplifier{threshold: 1}
	ref := simplify.DouglasPeucker(1)
	changed, fast, nans := 0, 0, 0
	for c := range 4000 {
		n := 1 + r.IntN(300)
		ps := make([]orb.Point, 0, n+1)
		x, y := r.Float64()*4096, r.Float64()*4096
		for i := range n {
			switch {
			case c%5 == 4: // a staircase: points on two parallel lines
				x, y = x+2, y+float64(4*(i%2))
			case r.IntN(4) == 0: // along a line
				x, y = x+3, y+1
			case r.IntN(3) == 0: // the same point again
			default:
				x, y = x+r.NormFloat64()*float64(1+c%20), y+r.NormFloat64()*float64(1+c%20)
			}
			if c%2 == 0 {
				x, y = math.Round(x), math.Round(y)
			}
			ps = append(ps, orb.Point{x, y})
		}
		switch c % 40 {
		case 1: // far beyond any tile
			for i := range ps {
				ps[i][0] += 3 * maxBounded
			}
		case 3: // not a number
			ps[r.IntN(len(ps))][1] = math.NaN()
		case 5:
			ps[r.IntN(len(ps))][0] = math.Inf(1)
		}
		if len(ps) > 2 {
			switch {
			case bounded(ps):
				fast++
			case c%40 == 3:
				nans++
			}
		}
		if c%3 == 0 && len(ps) > 0 {
			ps = append(ps, ps[0]) // a ring
		}
		want := ref.LineString(orb.LineString(slices.Clone(ps)))
		got := s.simplify(slices.Clone(ps))
		if !slices.EqualFunc(got, []orb.Point(want), samePoint) {
			t.Fatalf("case %d (%d points): kept %v, orb keeps %v", c, len(ps), got, want)
		}
		if len(got) < len(ps) {
			changed++
		}
	}
	if fast < 3500 || nans < 90 {
		t.Fatalf("%d cases compared distances by their bits, %d with a NaN as floats: the cases do not cover both", fast, nans)
	}
	if changed < 1000 {
		t.Fatalf("only %d of the cases were simplified at all", changed)
	}
}

// samePoint is == for points, but a NaN equals a NaN.
func samePoint(a, b orb.Point) bool {
	for i := range a {
		if a[i] != b[i] && !(math.IsNaN(a[i]) && math.IsNaN(b[i])) {
			return false
		}
	}
	return true
}
