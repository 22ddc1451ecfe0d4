package geo_test

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// TestBoundOfIsOrbs compares BoundOf with orb's Bound for random geometries
// of every kind BoundOf reads itself, and for the empty and one-point ones
// whose bounds orb defines apart.
func TestBoundOfIsOrbs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	pts := func(n int) []orb.Point {
		ps := make([]orb.Point, n)
		for i := range ps {
			// Some repeated coordinates and zeros of either sign.
			switch r.IntN(8) {
			case 0:
				ps[i] = orb.Point{0, math.Copysign(0, float64(r.IntN(2))-0.5)}
			case 1:
				if i > 0 {
					ps[i] = ps[i-1]
					continue
				}
				fallthrough
			default:
				ps[i] = orb.Point{r.Float64()*360 - 180, r.Float64()*170 - 85}
			}
		}
		return ps
	}
	poly := func() orb.Polygon {
		p := make(orb.Polygon, r.IntN(3))
		for i := range p {
			p[i] = orb.Ring(pts(r.IntN(6)))
		}
		return p
	}
	geoms := []orb.Geometry{
		orb.LineString{}, orb.Ring{}, orb.MultiPoint{}, orb.Polygon{}, orb.Polygon{orb.Ring{}},
		orb.MultiPolygon{}, orb.MultiPolygon{orb.Polygon{}, orb.Polygon{{{1, 2}, {3, 4}}}},
		orb.MultiLineString{}, orb.MultiLineString{orb.LineString{}, orb.LineString{{5, 6}}},
		orb.LineString{{1, 2}}, orb.Point{7, 8}, orb.Collection{orb.Point{1, 1}, orb.LineString{{2, 3}, {-4, 5}}},
	}
	for range 2000 {
		switch r.IntN(6) {
		case 0:
			geoms = append(geoms, orb.LineString(pts(r.IntN(9))))
		case 1:
			geoms = append(geoms, orb.Ring(pts(r.IntN(9))))
		case 2:
			geoms = append(geoms, orb.MultiPoint(pts(r.IntN(9))))
		case 3:
			geoms = append(geoms, poly())
		case 4:
			mp := make(orb.MultiPolygon, r.IntN(4))
			for i := range mp {
				mp[i] = poly()
			}
			geoms = append(geoms, mp)
		case 5:
			mls := make(orb.MultiLineString, r.IntN(4))
			for i := range mls {
				mls[i] = orb.LineString(pts(r.IntN(5)))
			}
			geoms = append(geoms, mls)
		}
	}
	for _, g := range geoms {
		got, want := geo.BoundOf(g), g.Bound()
		if got != want { // == on float64: a zero's sign is not compared
			t.Fatalf("BoundOf(%#v) = %v, want orb's %v", g, got, want)
		}
	}
}

func BenchmarkBoundOf(b *testing.B) {
	r := rand.New(rand.NewPCG(3, 4))
	ring := make(orb.Ring, 2000)
	for i := range ring {
		ring[i] = orb.Point{38 + r.Float64(), 35 + r.Float64()}
	}
	p := orb.Polygon{ring}
	b.Run("orb", func(b *testing.B) {
		for b.Loop() {
			_ = p.Bound()
		}
	})
	b.Run("BoundOf", func(b *testing.B) {
		for b.Loop() {
			_ = geo.BoundOf(p)
		}
	})
}
