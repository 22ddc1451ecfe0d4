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
// The polygons must be valid (each one's rings neither cross nor overlap,
// as the loaders check); the parts of a multipolygon are passed as separate
// polygons. ctx is checked as the edges are walked.
func UnionArea(ctx context.Context, polys []orb.Polygon) (float64, error) {
	u := newUnionAreaIndex(polys)
	if len(u.segs) == 0 {
		return 0, nil
	}
	var sum float64
	var cuts []float64
	var along []alongRun
	for i := range u.segs {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		sum += u.edgeOutline(int32(i), &cuts, &along)
	}
	return math.Abs(sum) * authalicR * authalicR, nil
}

// uaSeg is one edge of a ring, oriented so that its polygon's inside is on
// its left (outer rings counter-clockwise, holes clockwise).
type uaSeg struct {
	a, b orb.Point
	// ta and tb are tan(β/2) of a and b, β the authalic latitude: what
	// term needs of each end.
	ta, tb float64
	poly   int32
}

// uaPoly is a polygon's bound and a point-in-polygon index over it: its
// edges by horizontal band.
type uaPoly struct {
	bound     orb.Bound
	y0, bandH float64
	bands     [][]int32 // edges (into segs) whose latitude range meets the band
}

// alongRun is a stretch [t0, t1] of an edge that runs along an edge of
// poly: dropped when the edge is not on the union's outline there.
type alongRun struct {
	t0, t1  float64
	poly    int32
	dropped bool
}

type unionAreaIndex struct {
	segs  []uaSeg
	polys []uaPoly
	segs0 grid // edges by cell
	poly0 grid // polygons by cell (of their bounds)
	stamp []int32
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

func newUnionAreaIndex(polys []orb.Polygon) *unionAreaIndex {
	n := 0
	for _, p := range polys {
		for _, r := range p {
			n += len(r)
		}
	}
	u := &unionAreaIndex{segs: make([]uaSeg, 0, n), polys: make([]uaPoly, 0, len(polys))}
	var tans []float64
	all := orb.Bound{Min: orb.Point{math.Inf(1), math.Inf(1)}, Max: orb.Point{math.Inf(-1), math.Inf(-1)}}
	for _, p := range polys {
		if len(p) == 0 || len(p[0]) < 4 {
			continue
		}
		pi := int32(len(u.polys))
		first := len(u.segs)
		for k, r := range p {
			if len(r) < 4 {
				continue
			}
			// Outer rings counter-clockwise, holes clockwise: the inside on
			// the left of every edge.
			ccw := planarRingArea(r) > 0
			forward := ccw == (k == 0)
			tans = tans[:0]
			for _, pt := range r {
				tans = append(tans, tanHalfAuthalic(pt[1]))
			}
			for e := 0; e+1 < len(r); e++ {
				i, j := e, e+1
				if !forward {
					i, j = len(r)-1-e, len(r)-2-e
				}
				if r[i] == r[j] {
					continue
				}
				u.segs = append(u.segs, uaSeg{a: r[i], b: r[j], ta: tans[i], tb: tans[j], poly: pi})
			}
		}
		b := p[0].Bound()
		all = all.Union(b)
		u.polys = append(u.polys, uaPoly{bound: b})
		u.indexPoly(&u.polys[pi], first, len(u.segs))
	}
	if len(u.segs) == 0 {
		return u
	}
	u.segs0 = newGrid(all, len(u.segs), len(u.segs)/4, func(i int) orb.Bound { return segBound(u.segs[i]) })
	u.poly0 = newGrid(all, len(u.polys), len(u.polys)*16, func(i int) orb.Bound { return u.polys[i].bound })
	u.stamp = make([]int32, len(u.segs))
	for i := range u.stamp {
		u.stamp[i] = -1
	}
	u.refSin = math.Sin(authalicLat((all.Min[1] + all.Max[1]) / 2))
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

// indexPoly files the polygon's edges segs[first:last] by band of latitude,
// about eight edges a band.
func (u *unionAreaIndex) indexPoly(p *uaPoly, first, last int) {
	n := max(1, (last-first)/8)
	p.y0 = p.bound.Min[1]
	p.bandH = max((p.bound.Max[1]-p.bound.Min[1])/float64(n), 1e-12)
	p.bands = make([][]int32, n)
	band := func(y float64) int { return min(n-1, max(0, int((y-p.y0)/p.bandH))) }
	for i := first; i < last; i++ {
		s := u.segs[i]
		b0, b1 := band(min(s.a[1], s.b[1])), band(max(s.a[1], s.b[1]))
		for k := b0; k <= b1; k++ {
			p.bands[k] = append(p.bands[k], int32(i))
		}
	}
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
	k := min(len(p.bands)-1, max(0, int((pt[1]-p.y0)/p.bandH)))
	in := false
	for _, si := range p.bands[k] {
		s := &u.segs[si]
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
	e := u.segs[i]
	a, b := e.a, e.b
	d := orb.Point{b[0] - a[0], b[1] - a[1]}
	dd := d[0]*d[0] + d[1]*d[1]
	param := func(p orb.Point) float64 {
		return ((p[0]-a[0])*d[0] + (p[1]-a[1])*d[1]) / dd
	}
	cuts := append((*cutsp)[:0], 0, 1)
	along := (*alongp)[:0]
	x0, y0, x1, y1 := u.segs0.cellRange(segBound(e))
	for y := y0; y <= y1; y++ {
		for x := x0; x <= x1; x++ {
			for _, si := range u.segs0.cell(x, y) {
				if u.stamp[si] == i {
					continue
				}
				u.stamp[si] = i
				s := &u.segs[si]
				if s.poly == e.poly {
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
					along = append(along, alongRun{t0: t0, t1: t1, poly: s.poly, dropped: !same || s.poly < e.poly})
					cuts = append(cuts, t0, t1)
					continue
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
		if u.onOutline(e.poly, orb.Point{a[0] + tm*d[0], a[1] + tm*d[1]}, tm, along) {
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
