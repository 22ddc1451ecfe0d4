package geo_test

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

func square(x, y, size float64) orb.Polygon {
	return orb.Polygon{rect(x, y, x+size, y+size)}
}

func rect(x0, y0, x1, y1 float64) orb.Ring {
	return orb.Ring{{x0, y0}, {x1, y0}, {x1, y1}, {x0, y1}, {x0, y0}}
}

// closed returns the ring through the points given as x, y pairs, closed.
func closed(xy ...float64) orb.Ring {
	r := ring(xy...)
	return append(r, r[0])
}

// reversed is p with every ring turned the other way.
func reversed(p orb.Polygon) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for k, r := range p {
		rr := make(orb.Ring, len(r))
		for i := range r {
			rr[i] = r[len(r)-1-i]
		}
		out[k] = rr
	}
	return out
}

func TestUnionArea(t *testing.T) {
	ctx := context.Background()
	holed := orb.Polygon{rect(0, 0, 3, 3), reversed(square(1, 1, 1))[0]}
	tests := []struct {
		name  string
		polys []orb.Polygon
		// The union, whose GeodesicArea is the answer: with a vertex
		// wherever an edge is cut (off the equator an edge is a great
		// circle, so a vertex on a parallel changes the area).
		union orb.Geometry
	}{
		{"none", nil, orb.MultiPolygon{}},
		{"one square", []orb.Polygon{square(0, 0, 1)}, square(0, 0, 1)},
		{"one square, clockwise", []orb.Polygon{reversed(square(0, 0, 1))}, square(0, 0, 1)},
		{"apart", []orb.Polygon{square(0, 0, 1), square(2, 0, 1)}, orb.MultiPolygon{square(0, 0, 1), square(2, 0, 1)}},
		{"overlapping by half", []orb.Polygon{square(0, 0, 1), square(0.5, 0, 1)}, orb.Polygon{closed(0, 0, 1.5, 0, 1.5, 1, 1, 1, 0.5, 1, 0, 1)}},
		{"the same twice", []orb.Polygon{square(0, 0, 1), square(0, 0, 1)}, square(0, 0, 1)},
		{"the same three times", []orb.Polygon{square(0, 0, 1), reversed(square(0, 0, 1)), square(0, 0, 1)}, square(0, 0, 1)},
		{"side by side, sharing an edge", []orb.Polygon{square(0, 0, 1), square(1, 0, 1)}, orb.Polygon{closed(0, 0, 2, 0, 2, 1, 1, 1, 0, 1)}},
		{"sharing part of an edge", []orb.Polygon{square(0, 0, 1), square(1, 0.5, 1)}, orb.MultiPolygon{square(0, 0, 1), square(1, 0.5, 1)}},
		{"one inside the other", []orb.Polygon{square(0, 0, 3), square(1, 1, 1)}, square(0, 0, 3)},
		{"inside, sharing edges", []orb.Polygon{square(0, 0, 2), square(0, 0, 1)}, square(0, 0, 2)},
		{"touching at a corner", []orb.Polygon{square(0, 0, 1), square(1, 1, 1)}, orb.MultiPolygon{square(0, 0, 1), square(1, 1, 1)}},
		{"a hole", []orb.Polygon{holed}, holed},
		{"a hole filled", []orb.Polygon{holed, square(1, 1, 1)}, square(0, 0, 3)},
		{"a hole half filled", []orb.Polygon{holed, square(1, 1, 0.5)},
			orb.Polygon{holed[0], closed(1.5, 1, 2, 1, 2, 2, 1, 2, 1, 1.5, 1.5, 1.5)}},
		{"a hole crossed", []orb.Polygon{holed, orb.Polygon{rect(0.5, 1.25, 2.5, 3)}},
			orb.Polygon{closed(0, 0, 3, 0, 3, 3, 2.5, 3, 0.5, 3, 0, 3), rect(1, 1, 2, 1.25)}},
		{"four round a corner", []orb.Polygon{square(0, 0, 1), square(1, 0, 1), square(0, 1, 1), square(1, 1, 1)},
			orb.Polygon{closed(0, 0, 2, 0, 2, 1, 2, 2, 1, 2, 0, 2)}},
		{"four overlapping round a corner", []orb.Polygon{square(0, 0, 1.5), square(1, 0, 1), square(0, 1, 1), square(0.5, 0.5, 1.5)},
			orb.Polygon{closed(0, 0, 2, 0, 2, 0.5, 2, 1, 2, 2, 1, 2, 0.5, 2, 0, 2)}},
		{"at 36°N", []orb.Polygon{square(40, 36, 1), square(40.5, 36, 1)}, orb.Polygon{closed(40, 36, 40.5, 36, 41, 36, 41.5, 36, 41.5, 37, 41, 37, 40.5, 37, 40, 37)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := geo.UnionArea(ctx, tt.polys)
			if err != nil {
				t.Fatal(err)
			}
			want := geo.GeodesicArea(tt.union)
			if math.Abs(got-want) > 1e-9*math.Max(want, 1) {
				t.Errorf("UnionArea = %.6f km², want %.6f km²", got/1e6, want/1e6)
			}
		})
	}
}

// star returns a simple star-shaped polygon of n vertices round c.
func star(r *rand.Rand, c orb.Point, radius float64, n int) orb.Polygon {
	ring := make(orb.Ring, 0, n+1)
	for i := range n {
		a := 2 * math.Pi * float64(i) / float64(n)
		rr := radius * (0.3 + 0.7*r.Float64())
		ring = append(ring, orb.Point{c[0] + rr*math.Cos(a), c[1] + rr*math.Sin(a)})
	}
	ring = append(ring, ring[0])
	return orb.Polygon{ring}
}

func shift(p orb.Polygon, dx float64) orb.Polygon {
	out := make(orb.Polygon, len(p))
	for k, r := range p {
		out[k] = make(orb.Ring, len(r))
		for i, pt := range r {
			out[k][i] = orb.Point{pt[0] + dx, pt[1]}
		}
	}
	return out
}

// TestUnionAreaRandom checks what must hold of any union on random
// overlapping stars, some with holes, some repeating another's outline:
// it is no more than the sum of the parts, the order of the polygons does
// not matter, a polygon repeated adds nothing, and polygons apart add up.
// (geo/postgis's TestAnalyticsSameAsMemory compares the areas with
// PostGIS's.)
func TestUnionAreaRandom(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(7, 11))
	area := func(ps []orb.Polygon) float64 {
		a, err := geo.UnionArea(ctx, ps)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	for trial := range 40 {
		var ps []orb.Polygon
		for range 2 + r.IntN(12) {
			c := orb.Point{38 + 3*r.Float64(), 35 + 2*r.Float64()}
			p := star(r, c, 0.2+0.6*r.Float64(), 5+r.IntN(60))
			switch r.IntN(4) {
			case 0:
				// A hole: a small square at the centre (inside every star,
				// whose vertices are at least 0.3 of the radius out).
				p = append(p, reversed(square(c[0]-0.02, c[1]-0.02, 0.04))[0])
			case 1:
				if len(ps) > 0 {
					// The same outline as another polygon, either way round.
					p = ps[r.IntN(len(ps))]
					if r.IntN(2) == 0 {
						p = reversed(p)
					}
				}
			}
			ps = append(ps, p)
		}
		a := area(ps)
		var sum float64
		for _, p := range ps {
			sum += geo.GeodesicArea(p)
		}
		if a > sum*(1+1e-12) || a < geo.GeodesicArea(ps[0])*(1-1e-12) {
			t.Errorf("trial %d: the union's %.3f km² is more than the sum of the parts (%.3f) or less than the first", trial, a/1e6, sum/1e6)
		}
		shuffled := slices.Clone(ps)
		r.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
		if b := area(shuffled); math.Abs(a-b) > 1e-9*a {
			t.Errorf("trial %d: %.6f km² in one order, %.6f km² in another", trial, a/1e6, b/1e6)
		}
		if b := area(append(slices.Clone(ps), ps[r.IntN(len(ps))])); math.Abs(a-b) > 1e-9*a {
			t.Errorf("trial %d: a polygon repeated changes the union from %.6f km² to %.6f km²", trial, a/1e6, b/1e6)
		}
		// The same polygons again, 10° to the east: apart, and areas do not
		// depend on longitude, so twice the area.
		twice := slices.Clone(ps)
		for _, p := range ps {
			twice = append(twice, shift(p, 10))
		}
		if b := area(twice); math.Abs(b-2*a) > 1e-9*a {
			t.Errorf("trial %d: twice the polygons, apart, give %.6f km², not twice %.6f km²", trial, b/1e6, a/1e6)
		}
	}
}

func TestUnionAreaCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := geo.UnionArea(ctx, []orb.Polygon{square(0, 0, 1)}); err == nil {
		t.Error("UnionArea went on after its context was cancelled")
	}
}

// TestUnionAreaSeries: the series, computed incrementally where few
// polygons change from one set to the next, gives each set's UnionArea.
// The polygons overlap, some repeat another's outline (so that which of
// two keeps a shared edge matters), and the sets change by one to a few
// polygons, sometimes by many (a full recomputation), sometimes not at all.
func TestUnionAreaSeries(t *testing.T) {
	ctx := context.Background()
	r := rand.New(rand.NewPCG(3, 5))
	var polys []orb.Polygon
	for range 60 {
		c := orb.Point{38 + 3*r.Float64(), 35 + 2*r.Float64()}
		p := star(r, c, 0.1+0.4*r.Float64(), 5+r.IntN(40))
		if r.IntN(6) == 0 && len(polys) > 0 {
			p = polys[r.IntN(len(polys))]
			if r.IntN(2) == 0 {
				p = reversed(p)
			}
		}
		polys = append(polys, p)
	}
	in := map[int]bool{}
	for i := range 30 {
		in[i] = true
	}
	var sets [][]int
	for k := range 40 {
		changes := 1 + r.IntN(3)
		switch k % 10 {
		case 4:
			changes = 0
		case 7:
			changes = 25
		}
		for range changes {
			i := r.IntN(len(polys))
			in[i] = !in[i]
		}
		var set []int
		for i := range polys {
			if in[i] {
				set = append(set, i)
			}
		}
		sets = append(sets, set)
	}
	got, err := geo.UnionAreaSeries(ctx, polys, sets)
	if err != nil {
		t.Fatal(err)
	}
	for k, set := range sets {
		var ps []orb.Polygon
		for _, i := range set {
			ps = append(ps, polys[i])
		}
		want, err := geo.UnionArea(ctx, ps)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got[k]-want) > 1e-9*want {
			t.Errorf("set %d (%d polygons): series %.6f km², UnionArea %.6f km²", k, len(set), got[k]/1e6, want/1e6)
		}
	}
}

// TestUnionAreaCornerOnEdge: a corner of one polygon lies on another's edge
// in decimal coordinates (the triangle's long edge passes through the
// rectangle's corner at its middle), which binary coordinates miss by an
// ulp; the union is the rectangle plus the triangle's part outside it.
func TestUnionAreaCornerOnEdge(t *testing.T) {
	rectangle := orb.Polygon{{{40.7, 36.7}, {41.1, 36.7}, {41.1, 37}, {40.7, 37}, {40.7, 36.7}}}
	triangle := orb.Polygon{{{40.5, 36.8}, {40.9, 36.8}, {40.9, 36.6}, {40.5, 36.8}}}
	got, err := geo.UnionArea(context.Background(), []orb.Polygon{rectangle, triangle})
	if err != nil {
		t.Fatal(err)
	}
	// The union's outline, with a vertex wherever an edge is cut.
	union := orb.Polygon{{{40.5, 36.8}, {40.7, 36.7}, {40.9, 36.6}, {40.9, 36.7}, {41.1, 36.7}, {41.1, 37}, {40.7, 37}, {40.7, 36.8}, {40.5, 36.8}}}
	if want := geo.GeodesicArea(union); math.Abs(got-want) > 1e-6*want {
		t.Errorf("UnionArea = %.3f km², want %.3f km²", got/1e6, want/1e6)
	}
}
