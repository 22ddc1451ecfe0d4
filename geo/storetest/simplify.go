package storetest

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// simplify checks geo.Query.Simplify: the same features match, with the
// same properties, and each geometry is of the same type and shape of
// parts, every position one of the original's, every position of the
// original within the tolerance of what was kept. At 0.5° the middle of
// the Turkish border (0.26° off the line between its ends) may go, and the
// hole of ne-2 (0.1° across); the rectangles keep their corners.
func (c checker) simplify(t *testing.T) {
	box := orb.Bound{Min: orb.Point{35, 30}, Max: orb.Point{45, 40}}
	for _, tol := range []float64{0.5, 0.01} {
		for _, col := range []string{"areas", "border", "facilities"} {
			t.Run(fmt.Sprintf("%s/%g", col, tol), func(t *testing.T) {
				whole := c.items(t, col, geo.Query{BBox: &box})
				page := c.items(t, col, geo.Query{BBox: &box, Simplify: tol})
				if !slices.Equal(ids(page.Features), ids(whole.Features)) || page.NumberMatched != whole.NumberMatched {
					t.Fatalf("ids %v (%d matched), want %v (%d) as without Simplify", ids(page.Features), page.NumberMatched, ids(whole.Features), whole.NumberMatched)
				}
				for _, f := range page.Features {
					want := c.fixtureFeature(t, col, f.ID)
					g := f.Geometry
					f.Geometry = want.Geometry
					c.checkFeature(t, f, want)
					if err := simplifiedFrom(g, want.Geometry, tol); err != nil {
						t.Errorf("%s: %v", f.ID, err)
					}
				}
			})
		}
	}
}

// simplifiedFrom reports how g fails to be orig simplified within tol. A
// polygon's hole may be left out where it collapses (PostGIS drops it even
// when it keeps collapsed parts): then no side of its box is longer than
// twice the tolerance.
func simplifiedFrom(g, orig orb.Geometry, tol float64) error {
	if g.GeoJSONType() != orig.GeoJSONType() {
		return fmt.Errorf("%s from %s", g.GeoJSONType(), orig.GeoJSONType())
	}
	var gp, op []orb.Polygon
	switch o := orig.(type) {
	case orb.Polygon:
		gp, op = []orb.Polygon{g.(orb.Polygon)}, []orb.Polygon{o}
	case orb.MultiPolygon:
		gp, op = g.(orb.MultiPolygon), o
	default:
		return simplifiedParts(lines(g), lines(orig), tol)
	}
	if len(gp) != len(op) {
		return fmt.Errorf("%d polygons from %d", len(gp), len(op))
	}
	for i := range op {
		if len(gp[i]) == 0 {
			return fmt.Errorf("polygon %d: no rings", i)
		}
		if err := simplifiedParts([][]orb.Point{gp[i][0]}, [][]orb.Point{op[i][0]}, tol); err != nil {
			return fmt.Errorf("polygon %d, outer ring: %w", i, err)
		}
		holes := gp[i][1:]
		for j, h := range op[i][1:] {
			if len(holes) > 0 && simplifiedParts([][]orb.Point{holes[0]}, [][]orb.Point{h}, tol) == nil {
				holes = holes[1:]
				continue
			}
			if b := h.Bound(); b.Max[0]-b.Min[0] > 2*tol || b.Max[1]-b.Min[1] > 2*tol {
				return fmt.Errorf("polygon %d: hole %d (%v) left out or changed, larger than the tolerance %g", i, j, b, tol)
			}
		}
		if len(holes) > 0 {
			return fmt.Errorf("polygon %d: %d holes that are none of the original's", i, len(holes))
		}
	}
	return nil
}

// simplifiedParts reports how the parts gs fail to be the parts os
// simplified within tol, one for one.
func simplifiedParts(gs, os [][]orb.Point, tol float64) error {
	if len(gs) != len(os) {
		return fmt.Errorf("%d parts from %d", len(gs), len(os))
	}
	for i, l := range gs {
		o := os[i]
		if len(l) == 0 || len(l) > len(o) {
			return fmt.Errorf("part %d: %d positions from %d", i, len(l), len(o))
		}
		for _, p := range l {
			if !slices.Contains(o, p) {
				return fmt.Errorf("part %d: %v is not a position of the original", i, p)
			}
		}
		for _, p := range o {
			if d := distanceToLine(p, l); d > tol*(1+1e-9) {
				return fmt.Errorf("part %d: %v of the original is %g from what was kept; at most %g", i, p, d, tol)
			}
		}
	}
	return nil
}

// lines returns the position lists of a point or line geometry.
func lines(g orb.Geometry) [][]orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return [][]orb.Point{{g}}
	case orb.MultiPoint:
		return [][]orb.Point{g}
	case orb.LineString:
		return [][]orb.Point{g}
	case orb.MultiLineString:
		var out [][]orb.Point
		for _, l := range g {
			out = append(out, l)
		}
		return out
	}
	return nil
}

// distanceToLine is the planar distance in degrees from p to the line
// through ps (a point when ps has one position).
func distanceToLine(p orb.Point, ps []orb.Point) float64 {
	best := math.Hypot(p[0]-ps[0][0], p[1]-ps[0][1])
	for i := 1; i < len(ps); i++ {
		a, b := ps[i-1], ps[i]
		dx, dy := b[0]-a[0], b[1]-a[1]
		t := 0.0
		if l2 := dx*dx + dy*dy; l2 > 0 {
			t = math.Max(0, math.Min(1, ((p[0]-a[0])*dx+(p[1]-a[1])*dy)/l2))
		}
		best = math.Min(best, math.Hypot(p[0]-a[0]-t*dx, p[1]-a[1]-t*dy))
	}
	return best
}
