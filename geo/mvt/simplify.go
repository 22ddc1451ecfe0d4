package mvt

import (
	"math"

	"github.com/paulmach/orb"
)

// simplifier is the Douglas–Peucker simplification of a tile's lines and
// rings in tile units: a point is kept when it lies farther than threshold
// from the segment between the points kept around it. It keeps the points
// github.com/paulmach/orb/simplify.DouglasPeucker keeps, by the same
// distance to a segment (planar.DistanceFromSegmentSquared's arithmetic,
// so the same float results), the first of equally far points, and
// lines of two points or fewer as they are (TestSimplifierAsOrb); written
// here so that the segment's terms are computed once for all the points
// it is measured against and its scratch space is kept between features
// (with orb's, the simplification was 38% of a cold z7 tile of the scale
// dataset's areas; this one, until farthestOf, was half of such a tile
// once the rest had been made faster).
type simplifier struct {
	threshold float64
	keep      []bool // scratch: which points are kept
	spans     []int  // scratch: the start and end of spans still to split
}

// simplify simplifies ps in place and returns what is kept.
func (s *simplifier) simplify(ps []orb.Point) []orb.Point {
	n := len(ps)
	if n <= 2 {
		return ps
	}
	if cap(s.keep) < n {
		s.keep = make([]bool, n)
	}
	keep := s.keep[:n]
	clear(keep)
	keep[0], keep[n-1] = true, true
	limit := s.threshold * s.threshold
	farthest := farthestOf
	if !bounded(ps) {
		farthest = farthestAny
	}
	spans := append(s.spans[:0], 0, n-1)
	for len(spans) > 0 {
		start, end := spans[len(spans)-2], spans[len(spans)-1]
		spans = spans[:len(spans)-2]
		if far, i := farthest(ps, start, end); far > limit {
			keep[i] = true
			spans = append(spans, start, i, i, end)
		}
	}
	s.spans = spans
	out := ps[:0]
	for i, k := range keep {
		if k {
			out = append(out, ps[i])
		}
	}
	return out
}

// maxBounded bounds the coordinates farthestOf takes: a tile's units, its
// buffer and the poles' clamp lie well within it. What farthestOf needs is
// that no distance is a NaN, which finite coordinates already ensure; the
// bound, stricter, also keeps every distance far from overflowing.
const maxBounded = 1 << 20

// bounded reports whether every coordinate of ps is a number of magnitude
// at most maxBounded.
func bounded(ps []orb.Point) bool {
	for _, p := range ps {
		if !(math.Abs(p[0]) <= maxBounded && math.Abs(p[1]) <= maxBounded) {
			return false
		}
	}
	return true
}

// farthestOf returns the greatest distance (squared) of the points
// strictly between ps[start] and ps[end] from the segment between those
// two, or from the one point when they are equal, and the first point that
// lies that far (start when none lies farther than 0), for points that
// are bounded.
//
// The distances are orb's, but the greatest is kept by comparing their
// bits as integers: distances are never negative (nor, for such points, a
// NaN or an infinity), so their bits order them as their values do, and
// the comparison compiles to conditional moves instead of a branch that
// the wavering distances along an outline mispredict (with the branch,
// BenchmarkSimplify, rings as a z7 tile sees them, took 66.7 µs; with the
// conditional moves 48.0 µs, 28% less).
func farthestOf(ps []orb.Point, start, end int) (float64, int) {
	var far uint64
	farthest := start
	a, b := ps[start], ps[end]
	dx, dy := b[0]-a[0], b[1]-a[1]
	if dx == 0 && dy == 0 {
		for i := start + 1; i < end; i++ {
			ex, ey := ps[i][0]-a[0], ps[i][1]-a[1]
			if d := math.Float64bits(ex*ex + ey*ey); d > far {
				far, farthest = d, i
			}
		}
		return math.Float64frombits(far), farthest
	}
	den := dx*dx + dy*dy
	for i := start + 1; i < end; i++ {
		if d := math.Float64bits(distance(ps[i], a, b, dx, dy, den)); d > far {
			far, farthest = d, i
		}
	}
	return math.Float64frombits(far), farthest
}

// farthestAny is farthestOf for any points, comparing distances as floats.
// The two loops are the same but for the comparison, and kept as two: as
// one function taking the comparison, or generic over the key's type, the
// comparison would be called or looked up for every point of the hot one.
func farthestAny(ps []orb.Point, start, end int) (float64, int) {
	var far float64
	farthest := start
	a, b := ps[start], ps[end]
	dx, dy := b[0]-a[0], b[1]-a[1]
	if dx == 0 && dy == 0 {
		for i := start + 1; i < end; i++ {
			ex, ey := ps[i][0]-a[0], ps[i][1]-a[1]
			if d := ex*ex + ey*ey; d > far {
				far, farthest = d, i
			}
		}
		return far, farthest
	}
	den := dx*dx + dy*dy
	for i := start + 1; i < end; i++ {
		if d := distance(ps[i], a, b, dx, dy, den); d > far {
			far, farthest = d, i
		}
	}
	return far, farthest
}

// distance is the squared distance from p to the segment from a to b (not
// a point), whose terms are dx, dy and den, computed as orb's
// planar.DistanceFromSegmentSquared computes it.
func distance(p, a, b orb.Point, dx, dy, den float64) float64 {
	x, y := a[0], a[1]
	t := ((p[0]-x)*dx + (p[1]-y)*dy) / den
	if t > 1 {
		x, y = b[0], b[1]
	} else if t > 0 {
		x += dx * t
		y += dy * t
	}
	ex, ey := p[0]-x, p[1]-y
	return ex*ex + ey*ey
}
