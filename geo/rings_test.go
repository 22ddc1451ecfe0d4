package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Valid rings of about n vertices in the shapes that make a validity check
// slow, for BenchmarkValidatePolygon and the tests. Each lies within
// lon 35..45, lat 30..40 and is closed.

// circleRing is a regular n-gon: every edge short, the easy case.
func circleRing(n int) orb.Ring {
	r := make(orb.Ring, 0, n+1)
	for k := range n {
		a := 2 * math.Pi * float64(k) / float64(n)
		r = append(r, orb.Point{40 + 4*math.Cos(a), 35 + 4*math.Sin(a)})
	}
	return append(r, r[0])
}

// combRing is a comb whose teeth point east from a spine on the west: every
// tooth has two long east–west edges spanning the same 8 degrees of
// longitude, so a check that compares edges whose longitudes overlap
// compares almost every pair.
func combRing(n int) orb.Ring {
	teeth := max(1, (n-2)/4)
	const x0, x1, spine, y0 = 36.0, 44.0, 36.5, 31.0
	h := 8 / float64(2*teeth)
	r := orb.Ring{{x0, y0}}
	for k := range teeth {
		y := y0 + 2*float64(k)*h
		r = append(r, orb.Point{x1, y}, orb.Point{x1, y + h})
		if k < teeth-1 {
			r = append(r, orb.Point{spine, y + h}, orb.Point{spine, y + 2*h})
		}
	}
	top := r[len(r)-1][1]
	return append(r, orb.Point{x0, top}, r[0])
}

// zigzagRing is a saw blade: a zig-zag whose every edge runs across the
// same 8 degrees of longitude, closed by a straight back on the east.
func zigzagRing(n int) orb.Ring {
	m := max(2, n-3) // zig-zag vertices
	const x0, x1, y0 = 36.0, 44.0, 31.0
	h := 8 / float64(m)
	r := make(orb.Ring, 0, m+4)
	for k := range m {
		x := x0
		if k%2 == 1 {
			x = x1
		}
		r = append(r, orb.Point{x, y0 + float64(k)*h})
	}
	top := r[len(r)-1][1]
	return append(r, orb.Point{x1 + 0.5, top}, orb.Point{x1 + 0.5, y0}, r[0])
}

// spiralRing is a thick spiral band of about √n/2 turns: a vertical line
// crosses the band's edges about 2√n times.
func spiralRing(n int) orb.Ring {
	k := max(8, n/2) // vertices per arm
	turns := max(1, math.Round(math.Sqrt(float64(n))/2))
	const a, outer = 0.2, 4.5
	b := (outer - a) / (2 * math.Pi * turns) // radius gained per radian
	w := b * math.Pi                         // the band is half the distance between turns
	r := make(orb.Ring, 0, 2*k+1)
	at := func(rad, theta float64) orb.Point {
		return orb.Point{40 + rad*math.Cos(theta), 35 + rad*math.Sin(theta)}
	}
	for i := range k {
		theta := 2 * math.Pi * turns * float64(i) / float64(k-1)
		r = append(r, at(a+b*theta, theta))
	}
	for i := k - 1; i >= 0; i-- {
		theta := 2 * math.Pi * turns * float64(i) / float64(k-1)
		r = append(r, at(a+b*theta+w, theta))
	}
	return append(r, r[0])
}

// hardRings names the shapes, for benchmarks and tests.
var hardRings = []struct {
	name string
	make func(n int) orb.Ring
}{
	{"circle", circleRing},
	{"comb", combRing},
	{"zigzag", zigzagRing},
	{"spiral", spiralRing},
}
