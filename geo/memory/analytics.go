package memory

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/controlmap/controlmap/geo"
)

var _ geo.AnalyticsStore = (*Store)(nil)

// holding is the polygons of one value at one instant and their union.
type holding struct {
	value string
	recs  []int           // records, in id order
	sfs   []geom.Geometry // their polygons, as simplefeatures geometries
	union geom.Geometry
}

// holdings groups the polygons valid at t by the text of property, and
// unions each group.
func (c *collection) holdings(ctx context.Context, property string, t time.Time) ([]holding, error) {
	byValue := map[string]*holding{}
	for i := range c.recs {
		r := &c.recs[i]
		switch r.geom.(type) {
		case orb.Polygon, orb.MultiPolygon:
		default:
			continue
		}
		if !c.valids[r.valid].iv.Contains(t) {
			continue
		}
		v, ok := geo.ScalarText(c.prop(r, property))
		if !ok {
			continue
		}
		g, err := toSF(r.geom)
		if err != nil {
			return nil, fmt.Errorf("memory: feature %s: %w", r.id, err)
		}
		h := byValue[v]
		if h == nil {
			h = &holding{value: v}
			byValue[v] = h
		}
		h.recs = append(h.recs, i)
		h.sfs = append(h.sfs, g)
	}
	// The unions are independent and most of the time: one per core.
	out := make([]holding, 0, len(byValue))
	for _, h := range byValue {
		out = append(out, *h)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i := range out {
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			u, err := geom.UnionMany(out[i].sfs)
			if err != nil {
				return fmt.Errorf("memory: union of %q: %w", out[i].value, err)
			}
			out[i].union = u
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b holding) int { return strings.Compare(a.value, b.value) })
	return out, nil
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

// polygonsAt groups the polygons valid at t by the text of property, a
// multipolygon's parts as separate polygons.
func (c *collection) polygonsAt(property string, t time.Time) map[string][]orb.Polygon {
	out := map[string][]orb.Polygon{}
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
		if !c.valids[r.valid].iv.Contains(t) {
			continue
		}
		if v, ok := geo.ScalarText(c.prop(r, property)); ok {
			out[v] = append(out[v], parts...)
		}
	}
	return out
}

// Areas implements geo.AnalyticsStore with geo.UnionArea, which sums the
// outline of each value's union without building it, one union per core.
// Like a filtered query, it is bounded by FilterTimeout (the PostGIS
// store's statement timeout does the same there).
func (s *Store) Areas(ctx context.Context, collection, property string, at []time.Time) ([]geo.AreaAt, error) {
	c, err := s.lookup(ctx, collection)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, FilterTimeout)
	defer cancel()
	type job struct {
		at    int
		value string
		polys []orb.Polygon
		km2   float64
	}
	var jobs []*job
	out := make([]geo.AreaAt, len(at))
	for i, t := range at {
		out[i] = geo.AreaAt{At: t, KM2: map[string]float64{}}
		for v, ps := range c.polygonsAt(property, t) {
			jobs = append(jobs, &job{at: i, value: v, polys: ps})
		}
	}
	// The largest first, so that the last one to start is a short one.
	slices.SortFunc(jobs, func(a, b *job) int { return len(b.polys) - len(a.polys) })
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, j := range jobs {
		g.Go(func() error {
			m2, err := geo.UnionArea(gctx, j.polys)
			j.km2 = m2 / 1e6
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, j := range jobs {
		out[j.at].KM2[j.value] = j.km2
	}
	return out, nil
}

// RegionChanges implements geo.AnalyticsStore, bounded by FilterTimeout
// as Areas is.
func (s *Store) RegionChanges(ctx context.Context, collection, property string, from, to time.Time) ([]geo.ChangeRegion, error) {
	c, err := s.lookup(ctx, collection)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, FilterTimeout)
	defer cancel()
	before, err := c.holdings(ctx, property, from)
	if err != nil {
		return nil, err
	}
	after, err := c.holdings(ctx, property, to)
	if err != nil {
		return nil, err
	}
	find := func(hs []holding, v string) (geom.Geometry, bool) {
		for _, h := range hs {
			if h.value == v {
				return h.union, true
			}
		}
		return geom.Geometry{}, false
	}
	var out []geo.ChangeRegion
	for _, a := range before {
		for _, b := range after {
			if a.value == b.value || !geom.Intersects(a.union, b.union) {
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			// Held by a and not by b at from, by b and not by a at to: an
			// area both claimed at both dates did not change hands.
			fromOnly, toOnly := a.union, b.union
			if g, ok := find(before, b.value); ok {
				if fromOnly, err = geom.Difference(fromOnly, g); err != nil {
					return nil, fmt.Errorf("memory: change %q to %q: %w", a.value, b.value, err)
				}
			}
			if g, ok := find(after, a.value); ok {
				if toOnly, err = geom.Difference(toOnly, g); err != nil {
					return nil, fmt.Errorf("memory: change %q to %q: %w", a.value, b.value, err)
				}
			}
			x, err := geom.Intersection(fromOnly, toOnly)
			if err != nil {
				return nil, fmt.Errorf("memory: change %q to %q: %w", a.value, b.value, err)
			}
			mp, err := polygonsOf(x)
			if err != nil {
				return nil, err
			}
			km2 := geo.GeodesicArea(mp) / 1e6
			if km2 < geo.MinChangeKM2 {
				continue
			}
			region, err := toSF(mp)
			if err != nil {
				return nil, err
			}
			out = append(out, geo.ChangeRegion{From: a.value, To: b.value, Geometry: mp, KM2: km2,
				FromIDs: c.meeting(a, region), ToIDs: c.meeting(b, region)})
		}
	}
	return out, nil
}

// meeting returns the ids of h's polygons that meet region (its polygons
// only, as the PostGIS store has it), in id order.
func (c *collection) meeting(h holding, region geom.Geometry) []string {
	var ids []string
	for j, i := range h.recs {
		if geom.Intersects(h.sfs[j], region) {
			ids = append(ids, c.recs[i].id)
		}
	}
	return ids
}
