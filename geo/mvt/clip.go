package mvt

import "github.com/paulmach/orb"

// A clipper clips polygons to a box without copying them first and
// without allocating per ring: Sutherland–Hodgman, one side of the box at a
// time, between two buffers it keeps from one ring to the next, the rings
// of a feature's result in a third. It takes the sides in the order orb's
// clip package does, with the same arithmetic for where an edge crosses a
// side, so that its results are orb's, point for point (TestClipperAsOrb);
// orb's clips in place, which made Add copy every polygon it clipped, and
// grows its output by doubling for every ring: together three quarters of
// the bytes a cold tile of the scale dataset's areas allocated.
//
// The rings a clipper returns share its buffer: they are valid until reset,
// which Layer.Add calls for each feature once the last was projected (which
// copies it).
type clipper struct {
	a, b []orb.Point // the passes' buffers
	out  []orb.Point // the rings returned since reset
}

// reset lets the clipper reuse the space of the rings it returned.
func (c *clipper) reset() { c.out = c.out[:0] }

// The sides of the box, in the order they are clipped.
const (
	sideLeft = iota
	sideRight
	sideBottom
	sideTop
)

// outside reports whether p lies beyond side of box.
func outside(box orb.Bound, side int, p orb.Point) bool {
	switch side {
	case sideLeft:
		return p[0] < box.Min[0]
	case sideRight:
		return p[0] > box.Max[0]
	case sideBottom:
		return p[1] < box.Min[1]
	}
	return p[1] > box.Max[1]
}

// crossing is where the edge from a to b crosses side of box.
func crossing(box orb.Bound, side int, a, b orb.Point) orb.Point {
	switch side {
	case sideLeft:
		return orb.Point{box.Min[0], a[1] + (b[1]-a[1])*(box.Min[0]-a[0])/(b[0]-a[0])}
	case sideRight:
		return orb.Point{box.Max[0], a[1] + (b[1]-a[1])*(box.Max[0]-a[0])/(b[0]-a[0])}
	case sideBottom:
		return orb.Point{a[0] + (b[0]-a[0])*(box.Min[1]-a[1])/(b[1]-a[1]), box.Min[1]}
	}
	return orb.Point{a[0] + (b[0]-a[0])*(box.Max[1]-a[1])/(b[1]-a[1]), box.Max[1]}
}

// ring returns the part of r inside box, closed again if r was, or nil
// when none of it is. r is not modified: the pass of the left side reads it
// and writes into a, the right's reads a and writes into b, the bottom's
// into a again, the top's into b.
func (c *clipper) ring(box orb.Bound, r orb.Ring) orb.Ring {
	if len(r) == 0 {
		return nil
	}
	closed := r[0] == r[len(r)-1]
	src := []orb.Point(r)
	for side := sideLeft; side <= sideTop; side++ {
		buf := &c.a
		if side%2 == 1 {
			buf = &c.b
		}
		dst := (*buf)[:0]
		// A closed ring's last edge ends at its first point; an open one is
		// not closed here either.
		prev := src[len(src)-1]
		if !closed {
			prev = src[0]
		}
		prevIn := !outside(box, side, prev)
		for _, p := range src {
			in := !outside(box, side, p)
			if in != prevIn {
				dst = append(dst, crossing(box, side, prev, p))
			}
			if in {
				dst = append(dst, p)
			}
			prev, prevIn = p, in
		}
		*buf = dst
		if len(dst) == 0 {
			return nil
		}
		src = dst
	}
	start := len(c.out)
	c.out = append(c.out, src...)
	if closed && c.out[start] != c.out[len(c.out)-1] {
		c.out = append(c.out, c.out[start])
	}
	return orb.Ring(c.out[start:len(c.out):len(c.out)])
}

// polygon is clip.Polygon: the outer ring clipped (nil when nothing of it
// is inside), then each inner ring that still has a part inside.
func (c *clipper) polygon(box orb.Bound, p orb.Polygon) orb.Polygon {
	if len(p) == 0 {
		return nil
	}
	outer := c.ring(box, p[0])
	if outer == nil {
		return nil
	}
	out := make(orb.Polygon, 1, len(p))
	out[0] = outer
	for _, r := range p[1:] {
		if r := c.ring(box, r); r != nil {
			out = append(out, r)
		}
	}
	return out
}

// geometry is clip.Geometry for a polygon or a multipolygon (a multipolygon
// of one polygon left becomes that polygon, none nil), without modifying it
// and without the pass over every vertex clip.Geometry makes to bound it
// again (more than a tenth of a cold tile of the scale dataset's areas);
// ok is false for any other geometry, which the caller clips.
func (c *clipper) geometry(box orb.Bound, g orb.Geometry) (clipped orb.Geometry, ok bool) {
	switch g := g.(type) {
	case orb.Polygon:
		if p := c.polygon(box, g); p != nil {
			return p, true
		}
		return nil, true
	case orb.MultiPolygon:
		var mp orb.MultiPolygon
		for _, p := range g {
			if p := c.polygon(box, p); p != nil {
				mp = append(mp, p)
			}
		}
		switch len(mp) {
		case 0:
			return nil, true
		case 1:
			return mp[0], true
		}
		return mp, true
	}
	return nil, false
}
