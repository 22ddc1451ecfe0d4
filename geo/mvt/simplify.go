package mvt

import "github.com/paulmach/orb"

// simplifier is the Douglas–Peucker simplification of a tile's lines and
// rings in tile units: a point is kept when it lies farther than threshold
// from the segment between the points kept around it. It keeps the points
// github.com/paulmach/orb/simplify.DouglasPeucker keeps, by the same
// distance to a segment (planar.DistanceFromSegmentSquared's arithmetic,
// so the same float results), the first of equally far points, and
// lines of two points or fewer as they are (TestSimplifierAsOrb); written
// here so that the segment's terms are computed once for all the points
// it is measured against and its scratch space is kept between features
// (the simplification was 38% of a cold z7 tile of the scale dataset's
// areas).
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
	spans := append(s.spans[:0], 0, n-1)
	for len(spans) > 0 {
		start, end := spans[len(spans)-2], spans[len(spans)-1]
		spans = spans[:len(spans)-2]
		far, farthest := 0.0, 0
		a, b := ps[start], ps[end]
		dx, dy := b[0]-a[0], b[1]-a[1]
		if dx != 0 || dy != 0 {
			den := dx*dx + dy*dy
			for i := start + 1; i < end; i++ {
				p := ps[i]
				x, y := a[0], a[1]
				t := ((p[0]-x)*dx + (p[1]-y)*dy) / den
				if t > 1 {
					x, y = b[0], b[1]
				} else if t > 0 {
					x += dx * t
					y += dy * t
				}
				ex, ey := p[0]-x, p[1]-y
				if d := ex*ex + ey*ey; d > far {
					far, farthest = d, i
				}
			}
		} else {
			// The segment is a point (a ring's two ends): the distance to it.
			for i := start + 1; i < end; i++ {
				ex, ey := ps[i][0]-a[0], ps[i][1]-a[1]
				if d := ex*ex + ey*ey; d > far {
					far, farthest = d, i
				}
			}
		}
		if far > limit {
			keep[farthest] = true
			spans = append(spans, start, farthest, farthest, end)
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
