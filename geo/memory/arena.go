package memory

import (
	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// geomArena copies geometries into a few large slices: the coordinates of
// every line, ring and multipoint of a collection in one, the rings of its
// polygons in another, and so on. Decoding grows each ring by appending,
// which leaves up to twice the room it needs and its garbage spread between
// what stays live; the copies take exactly their size and nothing of the
// decoded input. Each part is sliced with its capacity at its length, so
// appending to one never writes into the next.
type geomArena struct {
	points []orb.Point
	lines  []orb.LineString
	rings  []orb.Ring
	polys  []orb.Polygon
}

// newGeomArena makes an arena with exactly the room feats' geometries need.
func newGeomArena(feats []geo.Feature) *geomArena {
	var n arenaCounts
	for _, f := range feats {
		n.count(f.Geometry)
	}
	return &geomArena{
		points: make([]orb.Point, 0, n.points),
		lines:  make([]orb.LineString, 0, n.lines),
		rings:  make([]orb.Ring, 0, n.rings),
		polys:  make([]orb.Polygon, 0, n.polys),
	}
}

type arenaCounts struct{ points, lines, rings, polys int }

func (n *arenaCounts) count(g orb.Geometry) {
	switch g := g.(type) {
	case orb.MultiPoint:
		n.points += len(g)
	case orb.LineString:
		n.points += len(g)
	case orb.Ring:
		n.points += len(g)
	case orb.MultiLineString:
		n.lines += len(g)
		for _, ls := range g {
			n.points += len(ls)
		}
	case orb.Polygon:
		n.rings += len(g)
		for _, r := range g {
			n.points += len(r)
		}
	case orb.MultiPolygon:
		n.polys += len(g)
		for _, p := range g {
			n.count(p)
		}
	case orb.Collection:
		for _, c := range g {
			n.count(c)
		}
	}
}

// copy returns a copy of g whose slices live in the arena (a point, a bound
// and a collection's own list are copied on their own). The arena must have
// been made for a set of geometries holding g.
func (a *geomArena) copy(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case nil:
		return nil
	case orb.Point:
		return g
	case orb.Bound:
		return g
	case orb.MultiPoint:
		return orb.MultiPoint(a.pts(g))
	case orb.LineString:
		return orb.LineString(a.pts(g))
	case orb.Ring:
		return orb.Ring(a.pts(g))
	case orb.MultiLineString:
		if g == nil {
			return g
		}
		out := take(&a.lines, len(g))
		for i, ls := range g {
			out[i] = a.pts(ls)
		}
		return orb.MultiLineString(out)
	case orb.Polygon:
		return a.polygon(g)
	case orb.MultiPolygon:
		if g == nil {
			return g
		}
		out := take(&a.polys, len(g))
		for i, p := range g {
			out[i] = a.polygon(p)
		}
		return orb.MultiPolygon(out)
	case orb.Collection:
		if g == nil {
			return g
		}
		out := make(orb.Collection, len(g))
		for i, c := range g {
			out[i] = a.copy(c)
		}
		return out
	}
	return orb.Clone(g)
}

func (a *geomArena) polygon(p orb.Polygon) orb.Polygon {
	if p == nil {
		return nil
	}
	out := take(&a.rings, len(p))
	for i, r := range p {
		out[i] = orb.Ring(a.pts(r))
	}
	return out
}

// pts copies ps into the arena (nil stays nil).
func (a *geomArena) pts(ps []orb.Point) []orb.Point {
	if ps == nil {
		return nil
	}
	n := len(a.points)
	a.points = append(a.points, ps...)
	return a.points[n : n+len(ps) : n+len(ps)]
}

// take returns the next k elements of the arena slice *s.
func take[T any](s *[]T, k int) []T {
	n := len(*s)
	*s = (*s)[:n+k]
	return (*s)[n : n+k : n+k]
}
