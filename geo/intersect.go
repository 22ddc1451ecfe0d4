package geo

import (
	"github.com/paulmach/orb"
)

// IntersectsBound reports whether the geometry and the box share at least one
// point, boundaries included, like PostGIS ST_Intersects with a box. A polygon
// that covers the whole box intersects it even though no vertex lies inside.
func IntersectsBound(g orb.Geometry, b orb.Bound) bool {
	if g == nil {
		return false
	}
	return intersectsKnown(g, BoundOf(g), b)
}

// intersectsKnown is IntersectsBound for a geometry whose bound gb is known,
// so that a polygon's edges are read once for the answer and not twice more
// for bounds (13% of a cold page of large polygons before).
func intersectsKnown(g orb.Geometry, gb, b orb.Bound) bool {
	if !gb.Intersects(b) {
		return false
	}
	switch g := g.(type) {
	case orb.Point:
		return b.Contains(g)
	case orb.MultiPoint:
		for _, p := range g {
			if b.Contains(p) {
				return true
			}
		}
		return false
	case orb.LineString:
		return pathIntersects(g, b)
	case orb.Ring:
		return pathIntersects(orb.LineString(g), b)
	case orb.MultiLineString:
		for _, ls := range g {
			if pathIntersects(ls, b) {
				return true
			}
		}
		return false
	case orb.Polygon:
		return len(g) > 0 && polygonTouches(g, gb, b) // gb is its bound
	case orb.MultiPolygon:
		for _, p := range g {
			if polygonIntersects(p, b) {
				return true
			}
		}
		return false
	case orb.Collection:
		for _, c := range g {
			if IntersectsBound(c, b) {
				return true
			}
		}
		return false
	case orb.Bound:
		return g.Intersects(b)
	}
	return false
}

// IntersectsBoundOf is IntersectsBound for a geometry whose bound gb is
// already known: a geometry with a point inside b whose bound lies within b
// intersects it without a look at its edges, and one whose bound misses b
// does not. It answers exactly what IntersectsBound answers, given that gb
// is g.Bound().
func IntersectsBoundOf(g orb.Geometry, gb, b orb.Bound) bool {
	if g == nil || !gb.Intersects(b) {
		return false
	}
	if within(gb, b) && !hasEmptyPart(g) {
		return true
	}
	return intersectsKnown(g, gb, b)
}

// within reports whether inner lies inside outer, boundaries included.
func within(inner, outer orb.Bound) bool {
	return outer.Min[0] <= inner.Min[0] && outer.Min[1] <= inner.Min[1] &&
		inner.Max[0] <= outer.Max[0] && inner.Max[1] <= outer.Max[1]
}

// hasEmptyPart reports whether g holds an empty part (a polygon without
// rings, a path without points, an empty multi or collection member), which
// IntersectsBound may find to miss a box that its bound lies in.
func hasEmptyPart(g orb.Geometry) bool {
	switch g := g.(type) {
	case orb.Point, orb.Bound:
		return false
	case orb.MultiPoint:
		return len(g) == 0
	case orb.LineString:
		return len(g) == 0
	case orb.Ring:
		return len(g) == 0
	case orb.MultiLineString:
		if len(g) == 0 {
			return true
		}
		for _, ls := range g {
			if len(ls) == 0 {
				return true
			}
		}
		return false
	case orb.Polygon:
		return len(g) == 0 || len(g[0]) == 0
	case orb.MultiPolygon:
		if len(g) == 0 {
			return true
		}
		for _, p := range g {
			if len(p) == 0 || len(p[0]) == 0 {
				return true
			}
		}
		return false
	case orb.Collection:
		if len(g) == 0 {
			return true
		}
		for _, c := range g {
			if c == nil || hasEmptyPart(c) {
				return true
			}
		}
		return false
	}
	return true
}

func polygonIntersects(p orb.Polygon, b orb.Bound) bool {
	if len(p) == 0 {
		return false
	}
	pb := BoundOf(p)
	if !pb.Intersects(b) {
		return false
	}
	return polygonTouches(p, pb, b)
}

// polygonTouches is polygonIntersects for a polygon whose bound pb (its
// outer ring's) meets b.
func polygonTouches(p orb.Polygon, pb, b orb.Bound) bool {
	for _, r := range p {
		if pathIntersects(orb.LineString(r), b) {
			return true
		}
	}
	// No edge touches the box: either the box lies inside the polygon (and
	// outside its holes) or they are disjoint.
	return polygonContains(p, pb, b.Min)
}

// polygonContains is planar.PolygonContains(p, pt) (a point on the outer
// ring is in, one on a hole's ring out) for a polygon with rings whose
// outer ring's bound is pb. orb's computes each ring's bound before it
// counts crossings: for a box inside a large polygon (a tile or a page's
// box in a region of control) that was most of the test, and most of a
// cold z13 tile of the scale dataset's areas. Its answers are orb's where
// orb's arithmetic is exact (TestPolygonContainsAsOrb); for a point within
// rounding of an edge, where orb compares slopes computed in floating
// point, this one decides exactly.
func polygonContains(p orb.Polygon, pb orb.Bound, pt orb.Point) bool {
	if !pb.Contains(pt) || !ringContains(p[0], pt) {
		return false
	}
	for _, h := range p[1:] {
		if len(h) > 0 && ringContains(h, pt) {
			return false
		}
	}
	return true
}

// ringContains reports whether pt lies inside the ring r or on it, r being
// closed or not (its last point is joined to its first), by the parity of
// the edges that cross the horizontal line through pt to the right of it:
// an edge counts when one end lies above pt and the other at or below it
// (where the ring crosses the line at a vertex, the vertex counts once; where
// it only touches it, twice or not at all), and which side of it pt lies on
// is decided exactly (orientation), as whether pt lies on it.
func ringContains(r orb.Ring, pt orb.Point) bool {
	if len(r) == 0 {
		return false
	}
	in := false
	a := r[len(r)-1]
	for _, b := range r {
		if min(a[1], b[1]) <= pt[1] && pt[1] <= max(a[1], b[1]) {
			o := orientation(a, b, pt)
			if o == 0 && onSegment(a, b, pt) {
				return true
			}
			// Spanning pt's line, the edge crosses it to pt's right when
			// pt lies left of it going up, or right of it going down.
			if above := b[1] > pt[1]; above != (a[1] > pt[1]) && above == (o > 0) {
				in = !in
			}
		}
		a = b
	}
	return in
}

func pathIntersects(ls orb.LineString, b orb.Bound) bool {
	switch len(ls) {
	case 0:
		return false
	case 1:
		return b.Contains(ls[0])
	}
	// Each point's side of the box (outcode): a point inside it meets it,
	// and a segment whose two ends lie beyond the same side of it cannot,
	// which settles most segments of a long path without clipping them.
	// The outcodes compare coordinates exactly, where clipping divides: a
	// segment that ends beyond a side by less than clipping's rounding
	// (ends tens of degrees apart, one within 1e-15° of the side) was
	// found to touch it and now is not, as PostGIS finds; so is a segment
	// with both ends at the same infinity (validation refuses those).
	prev := outcode(ls[0], b)
	if prev == 0 {
		return true
	}
	for i := 1; i < len(ls); i++ {
		code := outcode(ls[i], b)
		switch {
		case code == 0:
			return true
		case code&prev == 0 && segmentIntersects(ls[i-1], ls[i], b):
			return true
		}
		prev = code
	}
	return false
}

// outcode says on which sides of the box p lies beyond it, one bit each
// (left, right, below, above): 0 when p lies in the box, boundary included.
// A coordinate that is not a number is beyond neither of its sides, as it
// passes segmentIntersects's comparisons.
func outcode(p orb.Point, b orb.Bound) uint8 {
	var c uint8
	if p[0] < b.Min[0] {
		c |= 1
	} else if p[0] > b.Max[0] {
		c |= 2
	}
	if p[1] < b.Min[1] {
		c |= 4
	} else if p[1] > b.Max[1] {
		c |= 8
	}
	return c
}

// segmentIntersects clips the segment a–b against the box (Liang–Barsky).
func segmentIntersects(a, c orb.Point, b orb.Bound) bool {
	t0, t1 := 0.0, 1.0
	dx, dy := c[0]-a[0], c[1]-a[1]
	clip := func(p, q float64) bool {
		if p == 0 {
			return q >= 0
		}
		r := q / p
		if p < 0 {
			if r > t1 {
				return false
			}
			if r > t0 {
				t0 = r
			}
		} else {
			if r < t0 {
				return false
			}
			if r < t1 {
				t1 = r
			}
		}
		return true
	}
	return clip(-dx, a[0]-b.Min[0]) && clip(dx, b.Max[0]-a[0]) &&
		clip(-dy, a[1]-b.Min[1]) && clip(dy, b.Max[1]-a[1])
}
