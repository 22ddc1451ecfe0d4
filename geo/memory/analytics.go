package memory

import (
	"context"
	"fmt"
	"iter"
	"maps"
	"runtime"
	"slices"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/controlmap/controlmap/geo"
)

var _ geo.AnalyticsStore = (*Store)(nil)

// valued is a record of a collection whose geometry has area, with the text
// of a property.
type valued struct {
	i     int           // in recs
	parts []orb.Polygon // its polygons (a multipolygon's parts one by one)
	value string
	valid geo.Interval
}

// polygonsBy yields, in id order, the records whose geometry has area and
// whose property is a scalar (the others have no side to count for).
func (c *collection) polygonsBy(property string) iter.Seq[valued] {
	return func(yield func(valued) bool) {
		for i := range c.recs {
			r := &c.recs[i]
			var parts []orb.Polygon
			switch g := r.geom.(type) {
			case orb.Polygon:
				parts = []orb.Polygon{g}
			case orb.MultiPolygon:
				parts = g
			default:
				continue
			}
			v, ok := geo.ScalarText(c.prop(r, property))
			if !ok {
				continue
			}
			if !yield(valued{i: i, parts: parts, value: v, valid: c.valids[r.valid].iv}) {
				return
			}
		}
	}
}

// toSF converts a geometry to simplefeatures, without validating it again
// (the loader did).
func toSF(g orb.Geometry) (geom.Geometry, error) {
	data, err := wkb.Marshal(g)
	if err != nil {
		return geom.Geometry{}, err
	}
	return geom.UnmarshalWKB(data, geom.NoValidate{})
}

// polygonsOf keeps the polygons of a simplefeatures geometry (an overlay
// may add the lines and points where outlines touch) as a multipolygon.
func polygonsOf(g geom.Geometry) (orb.MultiPolygon, error) {
	var out orb.MultiPolygon
	for _, part := range g.Dump() {
		if part.Type() != geom.TypePolygon {
			continue
		}
		o, err := wkb.Unmarshal(part.AsBinary())
		if err != nil {
			return nil, err
		}
		if p, ok := o.(orb.Polygon); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// Areas implements geo.AnalyticsStore with geo.UnionAreaSeries, which sums
// the outline of each value's union without building it, and from one
// instant to the next recomputes only near the polygons that came or went:
// one value per core. Like a filtered query, it is bounded by
// FilterTimeout (the PostGIS store's statement timeout does the same
// there).
func (s *Store) Areas(ctx context.Context, collection, property string, at []time.Time) ([]geo.AreaAt, error) {
	c, err := s.lookup(ctx, collection)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, FilterTimeout)
	defer cancel()
	// The instants in time order, so that each set differs little from the
	// one before.
	order := make([]int, len(at))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(i, j int) int { return at[i].Compare(at[j]) })
	// Each value's polygons (a multipolygon's parts one by one, records in
	// id order) and, for each instant in time order, those valid then.
	type series struct {
		polys []orb.Polygon
		sets  [][]int
		km2   []float64
	}
	byValue := map[string]*series{}
	for r := range c.polygonsBy(property) {
		first := -1
		for k, oi := range order {
			if !r.valid.Contains(at[oi]) {
				continue
			}
			sr := byValue[r.value]
			if sr == nil {
				sr = &series{sets: make([][]int, len(at))}
				byValue[r.value] = sr
			}
			if first < 0 {
				first = len(sr.polys)
				sr.polys = append(sr.polys, r.parts...)
			}
			for j := range r.parts {
				sr.sets[k] = append(sr.sets[k], first+j)
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, sr := range byValue {
		g.Go(func() error {
			m2, err := geo.UnionAreaSeries(gctx, sr.polys, sr.sets)
			sr.km2 = m2
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make([]geo.AreaAt, len(at))
	for i, t := range at {
		out[i] = geo.AreaAt{At: t, KM2: map[string]float64{}}
	}
	for v, sr := range byValue {
		for k, oi := range order {
			if len(sr.sets[k]) > 0 {
				out[oi].KM2[v] = sr.km2[k] / 1e6
			}
		}
	}
	return out, nil
}

// RegionChanges implements geo.AnalyticsStore, bounded by FilterTimeout
// as Areas is. It overlays only what can have changed: land held by a at
// from and by b at to, and by neither of them at the other instant, lies
// in a polygon of a valid at from and not at to and in one of b valid at
// to and not at from (a version valid at both instants is the same at
// both). So a region is the intersection of those two unions, less what
// b held at from and a at to where it meets that intersection; between
// two close dates that is a few polygons, not the layer. The pairs of
// values are independent: one per core.
func (s *Store) RegionChanges(ctx context.Context, collection, property string, from, to time.Time) ([]geo.ChangeRegion, error) {
	c, err := s.lookup(ctx, collection)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, FilterTimeout)
	defer cancel()
	ch := &changing{c: c, at: [2]map[string]*side{{}, {}}, sfs: map[int]geom.Geometry{}}
	for r := range c.polygonsBy(property) {
		in := [2]bool{r.valid.Contains(from), r.valid.Contains(to)}
		for k := range 2 {
			if !in[k] {
				continue
			}
			sd := ch.at[k][r.value]
			if sd == nil {
				sd = &side{}
				ch.at[k][r.value] = sd
			}
			sd.all = append(sd.all, r.i)
			ch.sfs[r.i] = geom.Geometry{}
			if !in[1-k] {
				sd.only = append(sd.only, r.i)
			}
		}
	}
	// Every polygon involved as a simplefeatures geometry, and the unions
	// of those valid at only one instant, before the pairs share them.
	for i := range ch.sfs {
		g, err := toSF(c.recs[i].geom)
		if err != nil {
			return nil, fmt.Errorf("memory: feature %s: %w", c.recs[i].id, err)
		}
		ch.sfs[i] = g
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for k := range 2 {
		for v, sd := range ch.at[k] {
			g.Go(func() error {
				u, err := ch.unionOf(gctx, sd.only)
				if err != nil {
					return fmt.Errorf("memory: union of %q: %w", v, err)
				}
				sd.onlyUnion = u
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	type pair struct {
		a, b   string
		region *geo.ChangeRegion
	}
	var pairs []*pair
	for _, a := range slices.Sorted(maps.Keys(ch.at[0])) {
		for _, b := range slices.Sorted(maps.Keys(ch.at[1])) {
			if a != b && len(ch.at[0][a].only) > 0 && len(ch.at[1][b].only) > 0 {
				pairs = append(pairs, &pair{a: a, b: b})
			}
		}
	}
	g, gctx = errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, p := range pairs {
		g.Go(func() error {
			r, err := ch.region(gctx, p.a, p.b)
			if err != nil {
				return fmt.Errorf("memory: change %q to %q: %w", p.a, p.b, err)
			}
			p.region = r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var out []geo.ChangeRegion
	for _, p := range pairs {
		if p.region != nil {
			out = append(out, *p.region)
		}
	}
	return out, nil
}

// side is one value's polygons (records, in id order) at one instant of a
// change, those of them not valid at the other instant, and their union.
type side struct {
	all, only []int
	onlyUnion geom.Geometry
}

// changing is what RegionChanges knows of the two instants: each value's
// sides at from (at[0]) and at to (at[1]), and the polygons involved as
// simplefeatures geometries. It is read-only once built, so the pairs of
// values share it.
type changing struct {
	c   *collection
	at  [2]map[string]*side
	sfs map[int]geom.Geometry
}

// near keeps the records whose bound meets b.
func (ch *changing) near(recs []int, b orb.Bound) []int {
	var out []int
	for _, i := range recs {
		if ch.c.bounds == nil || ch.c.bounds[i].Intersects(b) {
			out = append(out, i)
		}
	}
	return out
}

func (ch *changing) unionOf(ctx context.Context, recs []int) (geom.Geometry, error) {
	if err := ctx.Err(); err != nil {
		return geom.Geometry{}, err
	}
	gs := make([]geom.Geometry, len(recs))
	for j, i := range recs {
		gs[j] = ch.sfs[i]
	}
	return unionAll(gs)
}

// unionAll unions geometries two by two, in rounds (a balanced tree, so
// each overlay is of two parts of similar size). simplefeatures' UnionMany
// (v0.50) can return a spurious hole where outlines share collinear
// vertices; its pairwise Union does not (TestUnionAll).
func unionAll(gs []geom.Geometry) (geom.Geometry, error) {
	if len(gs) == 0 {
		return geom.Geometry{}, nil
	}
	for len(gs) > 1 {
		next := make([]geom.Geometry, 0, (len(gs)+1)/2)
		for i := 0; i < len(gs); i += 2 {
			if i+1 == len(gs) {
				next = append(next, gs[i])
				continue
			}
			u, err := geom.Union(gs[i], gs[i+1])
			if err != nil {
				return geom.Geometry{}, err
			}
			next = append(next, u)
		}
		gs = next
	}
	return gs[0], nil
}

// region is the region that changed from a to b, or nil when there is none
// of at least geo.MinChangeKM2.
func (ch *changing) region(ctx context.Context, a, b string) (*geo.ChangeRegion, error) {
	ua, ub := ch.at[0][a].onlyUnion, ch.at[1][b].onlyUnion
	if !geom.Intersects(ua, ub) {
		return nil, nil
	}
	x, err := geom.Intersection(ua, ub)
	if err != nil {
		return nil, err
	}
	// Less what b held at from, and a at to, part by part: each part of
	// the intersection meets a few of those polygons, and a difference with
	// each of them costs far less than their union.
	var minus []int
	if sd := ch.at[0][b]; sd != nil {
		minus = append(minus, sd.all...)
	}
	if sd := ch.at[1][a]; sd != nil {
		minus = append(minus, sd.all...)
	}
	var parts []geom.Geometry
	for _, part := range x.Dump() {
		if part.Type() != geom.TypePolygon {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		lo, hi, ok := part.Envelope().MinMaxXYs()
		if !ok {
			continue
		}
		box := orb.Bound{Min: orb.Point{lo.X, lo.Y}, Max: orb.Point{hi.X, hi.Y}}
		for _, i := range ch.near(minus, box) {
			m := ch.sfs[i]
			if !geom.Intersects(part, m) {
				continue
			}
			if part, err = geom.Difference(part, m); err != nil {
				return nil, err
			}
			if part.IsEmpty() {
				break
			}
		}
		if !part.IsEmpty() {
			parts = append(parts, part)
		}
	}
	mp, err := polygonsOf(geom.NewGeometryCollection(parts).AsGeometry())
	if err != nil {
		return nil, err
	}
	km2 := geo.GeodesicArea(mp) / 1e6
	if km2 < geo.MinChangeKM2 {
		return nil, nil
	}
	region, err := toSF(mp)
	if err != nil {
		return nil, err
	}
	rb := mp.Bound()
	// The versions that meet the region: of a's polygons at from, or b's
	// at to, only those valid at one of the two instants can overlap it
	// (the others are held at both); those that only touch its outline are
	// left out with them.
	meeting := func(recs []int) []string {
		var ids []string
		for _, i := range ch.near(recs, rb) {
			if geom.Intersects(ch.sfs[i], region) {
				ids = append(ids, ch.c.recs[i].id)
			}
		}
		return ids
	}
	return &geo.ChangeRegion{From: a, To: b, Geometry: mp, KM2: km2,
		FromIDs: meeting(ch.at[0][a].only), ToIDs: meeting(ch.at[1][b].only)}, nil
}
