package geo

import "github.com/paulmach/orb"

// BoundOf returns g.Bound() (orb's rules: a polygon's bound is its outer
// ring's, an empty geometry's is orb's empty bound), reading each vertex
// with two comparisons a coordinate instead of orb's Bound.Extend (a check
// for emptiness, a Contains and math.Min and Max): a geometry decoded from
// WKB for a tile has no bound yet, and a tile of large polygons spent a
// quarter of the server's CPU (24%) computing them with orb
// (bench/performance-notes.md). For coordinates that are not NaN the
// bounds are the same values; only a zero's sign may differ, which no
// comparison sees.
func BoundOf(g orb.Geometry) orb.Bound {
	switch g := g.(type) {
	case orb.LineString:
		return pointsBound(g)
	case orb.Ring:
		return pointsBound(g)
	case orb.MultiPoint:
		return pointsBound(g)
	case orb.Polygon:
		return polygonBound(g)
	case orb.MultiPolygon:
		// As orb.MultiPolygon.Bound: the union of the polygons' bounds,
		// where an empty one adds nothing.
		if len(g) == 0 {
			return g.Bound()
		}
		b := polygonBound(g[0])
		for _, p := range g[1:] {
			b = b.Union(polygonBound(p))
		}
		return b
	case orb.MultiLineString:
		if len(g) == 0 {
			return g.Bound()
		}
		b := pointsBound(g[0])
		for _, ls := range g[1:] {
			b = b.Union(pointsBound(ls))
		}
		return b
	}
	return g.Bound()
}

// polygonBound is p.Bound(): its outer ring's.
func polygonBound(p orb.Polygon) orb.Bound {
	if len(p) == 0 {
		return p.Bound()
	}
	return pointsBound(p[0])
}

// pointsBound is orb.MultiPoint(ps).Bound().
func pointsBound[P ~[]orb.Point](ps P) orb.Bound {
	if len(ps) == 0 {
		return orb.MultiPoint(nil).Bound()
	}
	minX, minY := ps[0][0], ps[0][1]
	maxX, maxY := minX, minY
	for _, p := range ps[1:] {
		if p[0] < minX {
			minX = p[0]
		} else if p[0] > maxX {
			maxX = p[0]
		}
		if p[1] < minY {
			minY = p[1]
		} else if p[1] > maxY {
			maxY = p[1]
		}
	}
	return orb.Bound{Min: orb.Point{minX, minY}, Max: orb.Point{maxX, maxY}}
}
