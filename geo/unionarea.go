package geo

import (
	"context"
	"math"
	"slices"

	"github.com/paulmach/orb"
)

// UnionArea returns the geodesic area, in square metres on the WGS84
// ellipsoid, of the union of polygons (overlaps counted once), without
// building the union. The union's outline is the parts of the polygons'
// edges that lie inside no other polygon, and an area is a sum over its
// outline (GeodesicArea's formula is one term per edge), so it is enough to
// find, for every edge, the pieces of it that are on that outline:
//
//   - an edge is cut where another polygon's edges cross or touch it;
//   - a piece whose middle lies inside another polygon is not on the outline;
//   - a piece that runs along another polygon's edge is on it once if the
//     two go the same way (their insides are on the same side: the polygon
//     listed first keeps it) and not at all if they go opposite ways (the
//     two insides meet there).
//
// Edges are in the lon/lat plane, as an overlay of the polygons would cut
// them (PostGIS's ST_Union does so too), with the exact orientation
// predicate; each term is taken relative to a parallel through the
// polygons, so that a rounding at one cut moves the answer by a sliver near
// it and not by a strip reaching to the pole.
//
// A corner of one polygon within a hair (nearEdge) of another's edge cuts
// it, so that decimal coordinates that meet on paper meet here too.
//
// The polygons must be valid (no ring crosses itself or another ring of its
// polygon: the loaders check each ring, and PostGIS's import the whole
// polygon); the parts of a multipolygon are passed as separate polygons.
// ctx is checked as the edges are walked.
func UnionArea(ctx context.Context, polys []orb.Polygon) (float64, error) {
	preps := make([]*uaPrepared, len(polys))
	for i, p := range polys {
		preps[i] = prepare(p)
	}
	u := newUnionAreaIndex(preps, nil, refSinOf(polysBound(polys)))
	sum, err := u.outlineSum(ctx, nil)
	return math.Abs(sum) * authalicR * authalicR, err
}

// UnionAreaSeries returns the UnionArea of each set of polygons, sets[k]
// being indexes into polys in increasing order. Consecutive sets that
// differ in few polygons (a layer from one date of change to the next) cost
// little: only the edges near the polygons that came or went can change
// their part of the outline, so the next area is the last one plus what
// those edges give now less what they gave before.
func UnionAreaSeries(ctx context.Context, polys []orb.Polygon, sets [][]int) ([]float64, error) {
	refSin := refSinOf(polysBound(polys))
	bounds := make([]orb.Bound, len(polys))
	for i, p := range polys {
		if len(p) > 0 {
			bounds[i] = p[0].Bound()
		}
	}
	// Each polygon prepared once, when first needed.
	preps := make([]*uaPrepared, len(polys))
	prepared := make([]bool, len(polys))
	prep := func(i int) *uaPrepared {
		if !prepared[i] {
			preps[i], prepared[i] = prepare(polys[i]), true
		}
		return preps[i]
	}
	// sum is the outline sum of the set, over the edges that meet one of
	// near (all of them when near is nil).
	sum := func(set []int, near []orb.Bound) (float64, error) {
		if near == nil {
			ps := make([]*uaPrepared, len(set))
			for j, i := range set {
				ps[j] = prep(i)
			}
			return newUnionAreaIndex(ps, set, refSin).outlineSum(ctx, nil)
		}
		// The edges that meet near (of the polygons that do), and every
		// polygon whose bound meets one of them: those that meet near grown
		// to the bounds of those edges.
		grown := slices.Clone(near)
		type edges struct {
			poly  int   // in polys
			local []int // its edges that meet near
		}
		var interest []edges
		var boxes []int
		for _, i := range set {
			boxes = boxes[:0]
			for k, b := range near {
				if bounds[i].Intersects(b) {
					boxes = append(boxes, k)
				}
			}
			if len(boxes) == 0 || prep(i) == nil {
				continue
			}
			x := edges{poly: i}
			for l, e := range preps[i].edges {
				eb := segBound(e)
				hit := false
				for _, k := range boxes {
					if eb.Intersects(near[k]) {
						grown[k] = grown[k].Union(eb)
						hit = true
					}
				}
				if hit {
					x.local = append(x.local, l)
				}
			}
			interest = append(interest, x)
		}
		var ps []*uaPrepared
		var ranks []int
		for _, i := range set {
			if prep(i) != nil && meetsAny(bounds[i], grown) {
				ps = append(ps, preps[i])
				ranks = append(ranks, i)
			}
		}
		u := newUnionAreaIndex(ps, ranks, refSin)
		ids := []int32{} // not nil: nil is every edge
		for _, x := range interest {
			// Its position in the index: ranks are in increasing order.
			j, _ := slices.BinarySearch(ranks, x.poly)
			for _, l := range x.local {
				ids = append(ids, u.polys[j].off+int32(l))
			}
		}
		return u.outlineSum(ctx, ids)
	}
	sums := make([]float64, len(sets))
	for k, set := range sets {
		var err error
		if k == 0 {
			sums[k], err = sum(set, nil)
		} else if changed := symmetricDifference(sets[k-1], set); len(changed) == 0 {
			sums[k] = sums[k-1]
		} else if 4*len(changed) > len(set) {
			sums[k], err = sum(set, nil)
		} else {
			near := make([]orb.Bound, len(changed))
			for j, i := range changed {
				near[j] = bounds[i]
			}
			var now, before float64
			if now, err = sum(set, near); err == nil {
				before, err = sum(sets[k-1], near)
			}
			sums[k] = sums[k-1] + now - before
		}
		if err != nil {
			return nil, err
		}
	}
	out := make([]float64, len(sums))
	for k, s := range sums {
		out[k] = math.Abs(s) * authalicR * authalicR
	}
	return out, nil
}

// symmetricDifference returns the indexes in a or in b but not in both,
// both in increasing order.
func symmetricDifference(a, b []int) []int {
	var out []int
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i] < b[j]):
			out = append(out, a[i])
			i++
		case i == len(a) || b[j] < a[i]:
			out = append(out, b[j])
			j++
		default:
			i++
			j++
		}
	}
	return out
}

// meetsAny reports whether b meets one of bs.
func meetsAny(b orb.Bound, bs []orb.Bound) bool {
	for _, x := range bs {
		if b.Intersects(x) {
			return true
		}
	}
	return false
}

func polysBound(polys []orb.Polygon) orb.Bound {
	all := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, p := range polys {
		if len(p) > 0 {
			all = all.Union(p[0].Bound())
		}
	}
	return all
}

// refSinOf is the sine of the authalic latitude of the parallel through
// the middle of b: the reference of the outline terms.
func refSinOf(b orb.Bound) float64 {
	if b.Min[1] > b.Max[1] {
		return 0
	}
	return math.Sin(authalicLat((b.Min[1] + b.Max[1]) / 2))
}

// outlineSum sums the outline terms of the edges numbered ids (every edge
// when ids is nil), checking ctx as it goes.
func (u *unionAreaIndex) outlineSum(ctx context.Context, ids []int32) (float64, error) {
	if ids == nil {
		ids = make([]int32, len(u.segPoly))
		for i := range ids {
			ids[i] = int32(i)
		}
	}
	var sum float64
	var cuts []float64
	var along []alongRun
	for n, i := range ids {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		sum += u.edgeOutline(i, &cuts, &along)
	}
	return sum, nil
}

// uaSeg is one edge of a ring, oriented so that its polygon's inside is on
// its left (outer rings counter-clockwise, holes clockwise).
type uaSeg struct {
	a, b orb.Point
	// ta and tb are tan(β/2) of a and b, β the authalic latitude: what
	// term needs of each end.
	ta, tb float64
}

// nearEdge is how near an edge, in degrees, a corner of another polygon
// cuts it (about 0.1 mm): far above the rounding of coordinates, far below
// any distance between the positions of schematic outlines.
const nearEdge = 1e-9

// seg returns edge i of the index and its polygon.
func (u *unionAreaIndex) seg(i int32) (*uaSeg, int32) {
	pi := u.segPoly[i]
	p := &u.polys[pi]
	return &p.edges[i-p.off], pi
}

// uaPoly is a polygon's bound and a point-in-polygon index over it: its
// edges by horizontal band.
type uaPoly struct {
	*uaPrepared
	rank int   // which of two polygons keeps an edge they share: the lower rank
	off  int32 // where its edges start in the index's segs
}

// uaPrepared is what a polygon brings to any index it is part of: its
// oriented edges, its bound and its edges by band of
// latitude (positions in edges).
type uaPrepared struct {
	edges     []uaSeg
	bound     orb.Bound
	y0, bandH float64
	bandStart []int32 // band k's edges are bandEdges[bandStart[k]:bandStart[k+1]]
	bandEdges []int32
}

// alongRun is a stretch [t0, t1] of an edge that runs along an edge of
// poly: dropped when the edge is not on the union's outline there.
type alongRun struct {
	t0, t1  float64
	poly    int32
	dropped bool
}

type unionAreaIndex struct {
	// segPoly is the polygon (in polys) of each edge, by the edge's number
	// in the index: polys[p].edges[i-polys[p].off].
	segPoly []int32
	polys   []uaPoly
	segs0   grid // edges by cell
	poly0   grid // polygons by cell (of their bounds)
	stamp   []int32
	// refSin is the sine of the authalic latitude of the reference parallel.
	refSin float64
}

// grid is a uniform grid over a bound whose cells list items (CSR form).
type grid struct {
	bound      orb.Bound
	nx, ny     int
	cw, ch     float64
	start, ids []int32
}

func (g *grid) cellRange(b orb.Bound) (x0, y0, x1, y1 int) {
	cx := func(x float64) int {
		return min(g.nx-1, max(0, int((x-g.bound.Min[0])/g.cw)))
	}
	cy := func(y float64) int {
		return min(g.ny-1, max(0, int((y-g.bound.Min[1])/g.ch)))
	}
	return cx(b.Min[0]), cy(b.Min[1]), cx(b.Max[0]), cy(b.Max[1])
}

// newGrid lays a grid of about cells cells (at most 1024 a side) over
// bound and files the n items, each under every cell its bound meets.
func newGrid(bound orb.Bound, n, cells int, boundOf func(i int) orb.Bound) grid {
	side := int(math.Sqrt(float64(cells))) + 1
	side = min(side, 1024)
	w, h := bound.Max[0]-bound.Min[0], bound.Max[1]-bound.Min[1]
	g := grid{bound: bound, nx: side, ny: side}
	// Square-ish cells: the longer side gets more of them.
	if w > 0 && h > 0 {
		r := math.Sqrt(w / h)
		g.nx = max(1, min(1024, int(float64(side)*r)))
		g.ny = max(1, min(1024, int(float64(side)/r)))
	}
	g.cw = max(w/float64(g.nx), 1e-12)
	g.ch = max(h/float64(g.ny), 1e-12)
	count := make([]int32, g.nx*g.ny+1)
	for i := range n {
		x0, y0, x1, y1 := g.cellRange(boundOf(i))
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				count[y*g.nx+x+1]++
			}
		}
	}
	for i := 1; i < len(count); i++ {
		count[i] += count[i-1]
	}
	g.start = count
	g.ids = make([]int32, count[len(count)-1])
	next := slices.Clone(count[:len(count)-1])
	for i := range n {
		x0, y0, x1, y1 := g.cellRange(boundOf(i))
		for y := y0; y <= y1; y++ {
			for x := x0; x <= x1; x++ {
				c := y*g.nx + x
				g.ids[next[c]] = int32(i)
				next[c]++
			}
		}
	}
	return g
}

func (g *grid) cell(x, y int) []int32 {
	c := y*g.nx + x
	return g.ids[g.start[c]:g.start[c+1]]
}

func segBound(s uaSeg) orb.Bound {
	return orb.Bound{
		Min: orb.Point{min(s.a[0], s.b[0]), min(s.a[1], s.b[1])},
		Max: orb.Point{max(s.a[0], s.b[0]), max(s.a[1], s.b[1])},
	}
}

// prepare orients p's rings (outer counter-clockwise, holes clockwise: the
// inside on the left of every edge) and indexes its edges by band of
// latitude, about eight edges a band; nil for a polygon without area.
func prepare(p orb.Polygon) *uaPrepared {
	if len(p) == 0 || len(p[0]) < 4 {
		return nil
	}
	n := 0
	for _, r := range p {
		n += len(r)
	}
	u := &uaPrepared{edges: make([]uaSeg, 0, n), bound: p[0].Bound()}
	var tans []float64
	for k, r := range p {
		if len(r) < 4 {
			continue
		}
		forward := (planarRingArea(r) > 0) == (k == 0)
		tans = tans[:0]
		for _, pt := range r {
			tans = append(tans, tanHalfAuthalic(pt[1]))
		}
		for e := 0; e+1 < len(r); e++ {
			i, j := e, e+1
			if !forward {
				i, j = len(r)-1-e, len(r)-2-e
			}
			if r[i] != r[j] {
				u.edges = append(u.edges, uaSeg{a: r[i], b: r[j], ta: tans[i], tb: tans[j]})
			}
		}
	}
	if len(u.edges) == 0 {
		return nil
	}
	bands := max(1, len(u.edges)/8)
	u.y0 = u.bound.Min[1]
	u.bandH = max((u.bound.Max[1]-u.bound.Min[1])/float64(bands), 1e-12)
	band := func(y float64) int { return min(bands-1, max(0, int((y-u.y0)/u.bandH))) }
	u.bandStart = make([]int32, bands+1)
	for _, e := range u.edges {
		for k := band(min(e.a[1], e.b[1])); k <= band(max(e.a[1], e.b[1])); k++ {
			u.bandStart[k+1]++
		}
	}
	for k := 1; k <= bands; k++ {
		u.bandStart[k] += u.bandStart[k-1]
	}
	u.bandEdges = make([]int32, u.bandStart[bands])
	next := slices.Clone(u.bandStart[:bands])
	for i, e := range u.edges {
		for k := band(min(e.a[1], e.b[1])); k <= band(max(e.a[1], e.b[1])); k++ {
			u.bandEdges[next[k]] = int32(i)
			next[k]++
		}
	}
	return u
}

// newUnionAreaIndex indexes the prepared polygons (nil ones left out);
// ranks, when not nil, gives each one's rank (by default its position),
// refSin the reference parallel.
func newUnionAreaIndex(preps []*uaPrepared, ranks []int, refSin float64) *unionAreaIndex {
	n := 0
	for _, p := range preps {
		if p != nil {
			n += len(p.edges)
		}
	}
	u := &unionAreaIndex{segPoly: make([]int32, 0, n), polys: make([]uaPoly, 0, len(preps)), refSin: refSin}
	all := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for rank, p := range preps {
		if p == nil || len(p.edges) == 0 {
			continue
		}
		if ranks != nil {
			rank = ranks[rank]
		}
		pi := int32(len(u.polys))
		u.polys = append(u.polys, uaPoly{uaPrepared: p, rank: rank, off: int32(len(u.segPoly))})
		for range p.edges {
			u.segPoly = append(u.segPoly, pi)
		}
		all = all.Union(p.bound)
	}
	if len(u.segPoly) == 0 {
		return u
	}
	u.segs0 = newGrid(all, len(u.segPoly), len(u.segPoly)/4, func(i int) orb.Bound {
		e, _ := u.seg(int32(i))
		return segBound(*e)
	})
	u.poly0 = newGrid(all, len(u.polys), len(u.polys)*16, func(i int) orb.Bound { return u.polys[i].bound })
	u.stamp = make([]int32, len(u.segPoly))
	for i := range u.stamp {
		u.stamp[i] = -1
	}
	return u
}

// planarRingArea is the signed shoelace area of a closed ring in the
// lon/lat plane: positive when it turns counter-clockwise.
func planarRingArea(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += (r[i][0]-r[0][0])*(r[i+1][1]-r[0][1]) - (r[i+1][0]-r[0][0])*(r[i][1]-r[0][1])
	}
	return s / 2
}

// inside reports whether pt is inside polygon pi (holes excluded), by
// counting the edges of its band that a ray to the east crosses. pt is
// never on pi's outline here (the caller asks about the middles of pieces
// cut wherever pi's edges meet them).
func (u *unionAreaIndex) inside(pi int32, pt orb.Point) bool {
	p := &u.polys[pi]
	if !p.bound.Contains(pt) {
		return false
	}
	k := min(len(p.bandStart)-2, max(0, int((pt[1]-p.y0)/p.bandH)))
	in := false
	for _, ei := range p.bandEdges[p.bandStart[k]:p.bandStart[k+1]] {
		s := &p.edges[ei]
		if (s.a[1] > pt[1]) != (s.b[1] > pt[1]) {
			x := s.a[0] + (pt[1]-s.a[1])/(s.b[1]-s.a[1])*(s.b[0]-s.a[0])
			if x > pt[0] {
				in = !in
			}
		}
	}
	return in
}

// edgeOutline returns the outline term of the pieces of edge i that are on
// the union's outline. cuts and along are scratch space.
func (u *unionAreaIndex) edgeOutline(i int32, cutsp *[]float64, alongp *[]alongRun) float64 {
	e, ep := u.seg(i)
	a, b := e.a, e.b
	d := orb.Point{b[0] - a[0], b[1] - a[1]}
	dd := d[0]*d[0] + d[1]*d[1]
	param := func(p orb.Point) float64 {
		return ((p[0]-a[0])*d[0] + (p[1]-a[1])*d[1]) / dd
	}
	cuts := append((*cutsp)[:0], 0, 1)
	along := (*alongp)[:0]
	x0, y0, x1, y1 := u.segs0.cellRange(segBound(*e))
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			for _, si := range u.segs0.cell(x, y) {
				if u.stamp[si] == i {
					continue
				}
				u.stamp[si] = i
				s, sp := u.seg(si)
				if sp == ep {
					continue
				}
				o1, o2 := orientation(a, b, s.a), orientation(a, b, s.b)
				if o1 == 0 && o2 == 0 {
					// Along the same line: the stretch both cover.
					t0, t1 := param(s.a), param(s.b)
					if t0 > t1 {
						t0, t1 = t1, t0
					}
					t0, t1 = max(t0, 0), min(t1, 1)
					if t1 <= t0 {
						continue
					}
					same := d[0]*(s.b[0]-s.a[0])+d[1]*(s.b[1]-s.a[1]) > 0
					along = append(along, alongRun{t0: t0, t1: t1, poly: sp, dropped: !same || u.polys[sp].rank < u.polys[ep].rank})
					cuts = append(cuts, t0, t1)
					continue
				}
				// A corner of the other polygon within a hair of the edge
				// (decimal coordinates put corners on edges that binary
				// ones miss by an ulp): cut there too, so that no piece's
				// middle is that corner, where the inside test could go
				// either way and drop or keep the whole piece.
				for _, q := range [2]orb.Point{s.a, s.b} {
					if t := param(q); t > 0 && t < 1 && math.Abs((q[0]-a[0])*d[1]-(q[1]-a[1])*d[0]) < nearEdge*math.Sqrt(dd) {
						cuts = append(cuts, t)
					}
				}
				if o1 == o2 {
					continue
				}
				o3, o4 := orientation(s.a, s.b, a), orientation(s.a, s.b, b)
				if o3 == o4 && o3 != 0 {
					continue
				}
				// They cross or touch: cut at the meeting point.
				var t float64
				switch {
				case o1 == 0:
					t = param(s.a)
				case o2 == 0:
					t = param(s.b)
				case o3 == 0:
					t = 0
				case o4 == 0:
					t = 1
				default:
					ex, ey := s.b[0]-s.a[0], s.b[1]-s.a[1]
					t = ((s.a[0]-a[0])*ey - (s.a[1]-a[1])*ex) / (d[0]*ey - d[1]*ex)
				}
				cuts = append(cuts, min(1, max(0, t)))
			}
		}
	}
	*alongp = along
	if len(cuts) > 2 {
		slices.Sort(cuts)
		cuts = slices.Compact(cuts)
	}
	*cutsp = cuts
	var sum float64
	for k := 0; k+1 < len(cuts); k++ {
		t0, t1 := cuts[k], cuts[k+1]
		if t1-t0 < 1e-12 {
			continue
		}
		tm := (t0 + t1) / 2
		if u.onOutline(ep, orb.Point{a[0] + tm*d[0], a[1] + tm*d[1]}, tm, along) {
			l0, l1 := a[0]+t0*d[0], a[0]+t1*d[0]
			tan0, tan1 := e.ta, e.tb
			if t0 == 0 {
				l0 = a[0]
			} else {
				tan0 = tanHalfAuthalic(a[1] + t0*d[1])
			}
			if t1 == 1 {
				l1 = b[0]
			} else {
				tan1 = tanHalfAuthalic(a[1] + t1*d[1])
			}
			sum += u.term(l0, l1, tan0, tan1)
		}
	}
	return sum
}

// onOutline reports whether the point at t of an edge of polygon pi (pt) is
// on the union's outline: inside no other polygon, and not on a stretch
// along another polygon's edge that drops it.
func (u *unionAreaIndex) onOutline(pi int32, pt orb.Point, t float64, along []alongRun) bool {
	for _, r := range along {
		if r.t0 <= t && t <= r.t1 && r.dropped {
			return false
		}
	}
	x, y, _, _ := u.poly0.cellRange(orb.Bound{Min: pt, Max: pt})
next:
	for _, pj := range u.poly0.cell(x, y) {
		if pj == pi {
			continue
		}
		for _, r := range along {
			// On pj's outline there: not inside it.
			if r.poly == pj && r.t0 <= t && t <= r.t1 {
				continue next
			}
		}
		if u.inside(pj, pt) {
			return false
		}
	}
	return true
}

// term is an edge's term of the area sum, GeodesicArea's spherical excess
// of the edge on the authalic sphere less that of the reference parallel
// over the same longitudes (whose terms sum to zero round a closed
// outline), in steradians.
// The ends are given by longitude, in degrees, and tanHalfAuthalic of
// their latitude.
func (u *unionAreaIndex) term(lon0, lon1, t0, t1 float64) float64 {
	dl := (lon1 - lon0) * math.Pi / 180
	return 2*math.Atan2(math.Tan(dl/2)*(t0+t1), 1+t0*t1) - dl*u.refSin
}

// tanHalfAuthalic is tan(β/2) for the authalic latitude β of a latitude in
// degrees.
func tanHalfAuthalic(lat float64) float64 {
	return math.Tan(authalicLat(lat) / 2)
}
