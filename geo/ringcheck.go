package geo

import (
	"slices"

	"github.com/paulmach/orb"
)

// selfIntersection finds two non-adjacent edges of the closed ring r that
// share a point, and returns their numbers, the lower first. Edge i runs
// from r[i] to r[i+1]; edges i and i+1 are adjacent, and so are the last and
// the first. A repeated position counts: its edges touch (so a ring that
// passes twice through a point, or repeats a position, is reported).
//
// It takes O(n log n) time for n edges whatever their shape: a sweep from
// west to east in the manner of Shamos and Hoey, keeping the edges the
// sweep line crosses in their order from south to north and testing only
// edges that become neighbours in that order. Before a first touching pair
// no two such edges cross, so the order is well defined and the first pair
// is found no later than the sweep reaches it. Two cases the sweep cannot
// order are found first: a repeated position, and a spike (an edge
// doubling back along the one before). Every predicate is exact
// (orientation), so the answer is the same as testing every pair of edges
// with segmentsTouch.
func selfIntersection(r orb.Ring) (int, int, bool) {
	n := len(r) - 1
	if n < 4 {
		return 0, 0, false // every two edges of a triangle are adjacent
	}
	// The vertices from west to east, south to north at one longitude:
	// the order of a sweep line turned a little clockwise, so that no two
	// vertices are met at once and a north–south edge is crossed from its
	// southern end to its northern end.
	order := sortVertices(r, n)
	if a, b, ok := repeatedVertex(order, n); ok {
		return a, b, true
	}
	if a, b, ok := spike(r, n); ok {
		return a, b, true
	}
	return sweep(r, n, order)
}

// sweepVertex is a vertex of the ring and its number.
type sweepVertex struct {
	p orb.Point
	i int32
}

// before orders vertices by comparePoints, then by number.
func (v sweepVertex) before(w sweepVertex) bool {
	c := comparePoints(v.p, w.p)
	return c < 0 || c == 0 && v.i < w.i
}

// sortVertices returns the n vertices of r in the order of before. A ring
// is made of runs of vertices that go one way (a convex ring of two), so
// it sorts them by merging its runs, in O(n log k) time for k runs.
func sortVertices(r orb.Ring, n int) []sweepVertex {
	order := make([]sweepVertex, n)
	for i := range order {
		order[i] = sweepVertex{r[i], int32(i)}
	}
	// The runs, order[bounds[k]:bounds[k+1]], each turned to go east.
	bounds := []int{0}
	for start := 0; start < n; {
		end := start + 1
		if end < n && order[end].before(order[start]) {
			for end < n && order[end].before(order[end-1]) {
				end++
			}
			slices.Reverse(order[start:end])
		} else {
			for end < n && !order[end].before(order[end-1]) {
				end++
			}
		}
		bounds = append(bounds, end)
		start = end
	}
	tmp := make([]sweepVertex, n)
	for len(bounds) > 2 {
		merged := []int{0}
		for k := 0; k+1 < len(bounds); k += 2 {
			lo, mid, hi := bounds[k], bounds[k+1], n
			if k+2 < len(bounds) {
				hi = bounds[k+2]
			} else {
				mid = hi // the last run has no partner: copied as it is
			}
			mergeRuns(tmp[lo:hi], order[lo:mid], order[mid:hi])
			merged = append(merged, hi)
		}
		order, tmp, bounds = tmp, order, merged
	}
	return order
}

// mergeRuns merges the sorted runs a and b into dst.
func mergeRuns(dst, a, b []sweepVertex) {
	i, j, k := 0, 0, 0
	for i < len(a) && j < len(b) {
		if b[j].before(a[i]) {
			dst[k] = b[j]
			j++
		} else {
			dst[k] = a[i]
			i++
		}
		k++
	}
	k += copy(dst[k:], a[i:])
	copy(dst[k:], b[j:])
}

// comparePoints orders points from west to east, then south to north.
// Coordinates are finite (checkPoint).
func comparePoints(a, b orb.Point) int {
	switch {
	case a[0] < b[0]:
		return -1
	case a[0] > b[0]:
		return 1
	case a[1] < b[1]:
		return -1
	case a[1] > b[1]:
		return 1
	}
	return 0
}

// nonAdjacentPair returns the first two edges of es (in the order given)
// that are not adjacent.
func nonAdjacentPair(es []int, n int) (int, int, bool) {
	for x, i := range es {
		for _, j := range es[x+1:] {
			if i != j && !adjacent(i, j, n) {
				return min(i, j), max(i, j), true
			}
		}
	}
	return 0, 0, false
}

// repeatedVertex finds a position the ring passes through twice (order is
// its vertices sorted by position) and returns two non-adjacent edges that
// meet there.
func repeatedVertex(order []sweepVertex, n int) (int, int, bool) {
	for k := 1; k < len(order); k++ {
		if order[k].p != order[k-1].p {
			continue
		}
		var es []int // the edges that end or start at the position
		for j := k - 1; j < len(order) && order[j].p == order[k].p; j++ {
			v := int(order[j].i)
			es = append(es, (v+n-1)%n, v)
		}
		slices.Sort(es)
		if a, b, ok := nonAdjacentPair(es, n); ok {
			return a, b, true
		}
	}
	return 0, 0, false
}

// spike finds a vertex where the ring doubles back along its last edge
// (two adjacent edges overlap) and returns two non-adjacent edges that
// touch because of it: the shorter of the two overlapping edges ends on
// the longer one, where the edge after it (or before it) starts.
func spike(r orb.Ring, n int) (int, int, bool) {
	for k := range n {
		prev, v, next := r[(k+n-1)%n], r[k], r[k+1]
		if orientation(prev, v, next) != 0 || (comparePoints(prev, v) < 0) != (comparePoints(next, v) < 0) {
			continue
		}
		before, after := (k+n-1)%n, k // the edges into and out of v
		for _, pair := range [][2]int{{before, (after + 1) % n}, {(before + n - 1) % n, after}} {
			i, j := pair[0], pair[1]
			if !adjacent(i, j, n) && segmentsTouch(r[i], r[i+1], r[j], r[j+1]) {
				return min(i, j), max(i, j), true
			}
		}
	}
	return 0, 0, false
}

// sweep runs the sweep line over a ring without repeated positions or
// spikes (order is its vertices sorted by comparePoints). At each vertex it
// first takes out the edges that end there, testing the two edges that
// become neighbours, then puts in the edges that start there, testing each
// with its two new neighbours.
func sweep(r orb.Ring, n int, order []sweepVertex) (int, int, bool) {
	// Edge e runs from r[e] to r[e+1]; flip[e] when that is westward.
	flip := make([]bool, n)
	for e := range flip {
		flip[e] = comparePoints(r[e+1], r[e]) < 0
	}
	ends := func(e int32) (west, east orb.Point) {
		if flip[e] {
			return r[e+1], r[e]
		}
		return r[e], r[e+1]
	}
	// below(x) returns the test of whether edge x, which starts at the
	// sweep line, lies south of edge y, which the line crosses. x's western
	// end decides; if it lies on y, the two edges touch: when they start
	// together (adjacent edges, which meet only there) the one turning
	// clockwise from the other is south, and otherwise x is put south of y,
	// next to it or to another edge through the same point, where the test
	// of neighbours finds it.
	below := func(x int32) func(y int32) bool {
		xw, xe := ends(x)
		return func(y int32) bool {
			yw, ye := ends(y)
			o := orientation(yw, ye, xw)
			if o == 0 && xw == yw {
				o = orientation(yw, ye, xe)
			}
			return o <= 0
		}
	}
	touch := func(i, j int32) bool {
		return i != noEdge && j != noEdge && !adjacent(int(i), int(j), n) &&
			segmentsTouch(r[i], r[i+1], r[j], r[j+1])
	}
	found := func(i, j int32) (int, int, bool) {
		return int(min(i, j)), int(max(i, j)), true
	}

	t := newSweepTree(n)
	for _, v := range order {
		// The edges into and out of v, and whether each ends at v.
		edges := [2]int32{(v.i + int32(n) - 1) % int32(n), v.i}
		endsHere := [2]bool{!flip[edges[0]], flip[edges[1]]}
		for k, e := range edges {
			if !endsHere[k] {
				continue
			}
			p, s := t.prev(e), t.next(e)
			t.remove(e)
			if touch(p, s) {
				return found(p, s)
			}
		}
		for k, e := range edges {
			if endsHere[k] {
				continue
			}
			t.insert(e, below(e))
			if p := t.prev(e); touch(e, p) {
				return found(e, p)
			}
			if s := t.next(e); touch(e, s) {
				return found(e, s)
			}
		}
	}
	return 0, 0, false
}

// adjacent reports whether edges i and j of a ring of n edges follow each
// other.
func adjacent(i, j, n int) bool {
	d := i - j
	if d < 0 {
		d = -d
	}
	return d == 1 || d == n-1
}

// onSegment reports whether p lies in the box spanned by a and b (on the
// segment, when the three are collinear).
func onSegment(a, b, p orb.Point) bool {
	return min(a[0], b[0]) <= p[0] && p[0] <= max(a[0], b[0]) &&
		min(a[1], b[1]) <= p[1] && p[1] <= max(a[1], b[1])
}

// segmentsTouch reports whether segments p1–p2 and q1–q2 share a point,
// exactly.
func segmentsTouch(p1, p2, q1, q2 orb.Point) bool {
	if max(p1[0], p2[0]) < min(q1[0], q2[0]) || max(q1[0], q2[0]) < min(p1[0], p2[0]) ||
		max(p1[1], p2[1]) < min(q1[1], q2[1]) || max(q1[1], q2[1]) < min(p1[1], p2[1]) {
		return false // their boxes are apart
	}
	d1, d2 := orientation(q1, q2, p1), orientation(q1, q2, p2)
	d3, d4 := orientation(p1, p2, q1), orientation(p1, p2, q2)
	if d1*d2 < 0 && d3*d4 < 0 {
		return true
	}
	return d1 == 0 && onSegment(q1, q2, p1) || d2 == 0 && onSegment(q1, q2, p2) ||
		d3 == 0 && onSegment(p1, p2, q1) || d4 == 0 && onSegment(p1, p2, q2)
}
