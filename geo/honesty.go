package geo

import (
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Properties the loader reads or writes for the honesty rules.
const (
	// PropEstimated marks a position that is an estimate (true).
	PropEstimated = "estimated"
	// PropConfidence is how good an estimate is: low, medium or high.
	PropConfidence = "confidence"
	// PropMaxPrecision, on a feature, is the finest grid in degrees its
	// position may be published on.
	PropMaxPrecision = "max_precision"
	// PropPositionPrecision is written by the loader, never read from a
	// file: the grid in degrees a feature's position was rounded to.
	PropPositionPrecision = "position_precision"
)

// maxGrid is the coarsest grid the catalogue or a feature may ask for, in
// degrees: a coarser one would move a point to another country.
const maxGrid = 1.0

// checkRules checks a collection's honesty rules in the catalogue: closed
// value lists, the precision grids and the inside rule, whose areas must be
// a dated polygon collection of the same catalogue.
func checkRules(cat Catalog, col Collection) []Problem {
	var probs []Problem
	bad := func(format string, args ...any) {
		probs = append(probs, Problem{File: CatalogFile, Reason: fmt.Sprintf("collection %q: ", col.ID) + fmt.Sprintf(format, args...)})
	}
	for _, prop := range slices.Sorted(maps.Keys(col.Values)) {
		vals := col.Values[prop]
		if len(vals) == 0 {
			bad("values of %q: the list is empty", prop)
		}
		if slices.Contains(vals, "") {
			bad("values of %q: an empty value", prop)
		}
	}
	if g := col.MaxPrecision; g < 0 || g > maxGrid || math.IsNaN(g) {
		bad("max_precision %v: want a grid in degrees, 0 (none) to %v", g, maxGrid)
	}
	for _, conf := range slices.Sorted(maps.Keys(col.PrecisionByConfidence)) {
		if g := col.PrecisionByConfidence[conf]; !validGrid(g) {
			bad("precision_by_confidence %q: %v: want a grid in degrees, above 0 and at most %v", conf, g, maxGrid)
		}
	}
	if r := col.Inside; r != nil {
		areas, ok := cat.Lookup(r.Areas)
		switch {
		case !ok:
			bad("inside: areas %q is not a collection of the catalogue", r.Areas)
		case !areas.Dated || (areas.GeometryType != "Polygon" && areas.GeometryType != "MultiPolygon"):
			bad("inside: areas %q must be a dated Polygon or MultiPolygon collection", r.Areas)
		}
		if !col.Dated || (col.GeometryType != "Point" && col.GeometryType != "MultiPoint") {
			bad("inside: the rule is for a dated Point collection")
		}
		if r.Property == "" || r.Status == "" || len(r.Explaining) == 0 {
			bad("inside: property, status and explaining are all needed")
		}
	}
	return probs
}

// validGrid reports whether g can be a grid in degrees: above 0 and at most
// maxGrid.
func validGrid(g float64) bool { return g > 0 && g <= maxGrid }

// mergeGrids returns the catalogue's precision_by_confidence overlaid with
// a collection's own; nil when both are empty.
func mergeGrids(shared, own map[string]float64) map[string]float64 {
	if len(shared) == 0 && len(own) == 0 {
		return nil
	}
	out := make(map[string]float64, len(shared)+len(own))
	maps.Copy(out, shared)
	maps.Copy(out, own)
	return out
}

// checkValues checks the properties a collection closes to a list.
func (c Collection) checkValues(props map[string]any) error {
	for prop, vals := range c.Values {
		v, ok := props[prop]
		if !ok || v == nil {
			continue // Required says whether it must be there
		}
		s, isString := v.(string)
		if !isString || !slices.Contains(vals, s) {
			return errorf("property %q: %s is not one of %s", prop, quoteValue(v), strings.Join(vals, ", "))
		}
	}
	return nil
}

func quoteValue(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	t, _ := ScalarText(v)
	return t
}

// publishGrid returns the grid in degrees a feature's position is published
// on, 0 for its own: the coarsest of the collection's max_precision, the
// feature's max_precision and, for an estimated point, the grid of its
// confidence. An estimated point whose confidence has no grid, where the
// catalogue maps confidences, is an error: its precision would be unknown.
func (c Collection) publishGrid(g orb.Geometry, props map[string]any) (float64, error) {
	grid := c.MaxPrecision
	if v, ok := props[PropMaxPrecision]; ok {
		f, isNum := v.(float64)
		if !isNum || !validGrid(f) {
			return 0, errorf("property %q: %s: want a grid in degrees, above 0 and at most %v", PropMaxPrecision, quoteValue(v), maxGrid)
		}
		grid = max(grid, f)
	}
	if est, _ := props[PropEstimated].(bool); est && len(c.PrecisionByConfidence) > 0 && isPoints(g) {
		conf, _ := props[PropConfidence].(string)
		cg, ok := c.PrecisionByConfidence[conf]
		if !ok {
			known := make([]string, 0, len(c.PrecisionByConfidence))
			for k := range c.PrecisionByConfidence {
				known = append(known, k)
			}
			slices.Sort(known)
			return 0, errorf("an estimated point needs a confidence the catalogue gives a precision for (%s); has %s", strings.Join(known, ", "), quoteValue(props[PropConfidence]))
		}
		grid = max(grid, cg)
	}
	return grid, nil
}

func isPoints(g orb.Geometry) bool {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return true
	}
	return false
}

// Snap returns g with every coordinate rounded to the nearest multiple of
// grid degrees, written with no more decimals than the grid has (0.05 gives
// 36.4, never 36.400000000000006). Consecutive positions that become equal
// in a line or ring are merged. The result may be invalid (a ring collapsed
// to a line); the loader validates it again.
func Snap(g orb.Geometry, grid float64) orb.Geometry {
	if grid <= 0 {
		return g
	}
	scale := math.Pow(10, float64(gridDecimals(grid)))
	round := func(v float64) float64 {
		return math.Round(math.Round(v/grid)*grid*scale) / scale
	}
	pt := func(p orb.Point) orb.Point { return orb.Point{round(p[0]), round(p[1])} }
	line := func(ps []orb.Point) []orb.Point {
		out := make([]orb.Point, 0, len(ps))
		for _, p := range ps {
			q := pt(p)
			if len(out) > 0 && out[len(out)-1] == q {
				continue
			}
			out = append(out, q)
		}
		return out
	}
	poly := func(p orb.Polygon) orb.Polygon {
		out := make(orb.Polygon, len(p))
		for i, r := range p {
			out[i] = orb.Ring(line(r))
		}
		return out
	}
	switch g := g.(type) {
	case orb.Point:
		return pt(g)
	case orb.MultiPoint:
		out := make(orb.MultiPoint, len(g))
		for i, p := range g {
			out[i] = pt(p)
		}
		return out
	case orb.LineString:
		return orb.LineString(line(g))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, ls := range g {
			out[i] = orb.LineString(line(ls))
		}
		return out
	case orb.Polygon:
		return poly(g)
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, p := range g {
			out[i] = poly(p)
		}
		return out
	case orb.Collection:
		out := make(orb.Collection, len(g))
		for i, c := range g {
			out[i] = Snap(c, grid)
		}
		return out
	}
	return g
}

// gridDecimals is the number of decimals a multiple of grid needs: 2 for
// 0.05, 3 for 0.001, 0 for 1 (at most 9).
func gridDecimals(grid float64) int {
	for d := 0; d < 9; d++ {
		s := grid * math.Pow(10, float64(d))
		if math.Abs(s-math.Round(s)) < 1e-9*math.Max(1, s) {
			return d
		}
	}
	return 9
}

// publish rounds a decoded feature's position to its grid and records the
// grid in position_precision. It runs in the loader, before any store holds
// the feature, so no answer, tile, summary or extent can carry the finer
// position: the raw value never leaves the loader.
func (c Collection) publish(f *Feature) error {
	if _, ok := f.Properties[PropPositionPrecision]; ok {
		return errorf("property %q is written by the server (the grid a position was rounded to); remove it from the file", PropPositionPrecision)
	}
	grid, err := c.publishGrid(f.Geometry, f.Properties)
	if err != nil || grid == 0 {
		return err
	}
	f.Geometry = Snap(f.Geometry, grid)
	if err := validateGeom(f.Geometry); err != nil {
		return errorf("rounded to its %v° grid, the geometry is no longer valid (%s); use a finer max_precision", grid, stripPrefix(err))
	}
	f.Properties[PropPositionPrecision] = grid
	return nil
}

// MaxInsidePairs bounds the work of an inside rule: the points of a
// collection times the areas they are checked against. The check tests each
// point against every area's box, so a folder with millions of both would
// hold the loader for hours; past the bound the collection is a problem
// instead (the shipped dataset has 37 points and 17 areas).
const MaxInsidePairs = 200_000_000

// checkInside applies col's inside rule to its features against the
// features of the areas collection, naming file in each problem.
func checkInside(col Collection, file string, feats, areas []Feature) []Problem {
	r := col.Inside
	points := 0
	for _, f := range feats {
		points += len(pointsOf(f.Geometry))
	}
	if pairs := int64(points) * int64(len(areas)); pairs > MaxInsidePairs {
		return []Problem{{File: file, Reason: fmt.Sprintf("the inside rule would check %d points against %d areas of %s (%d pairs); at most %d (geo.MaxInsidePairs): split the collection or drop the rule",
			points, len(areas), r.Areas, pairs, MaxInsidePairs)}}
	}
	bounds := make([]orb.Bound, len(areas))
	for i, a := range areas {
		bounds[i] = a.Geometry.Bound()
	}
	var probs []Problem
	for _, f := range feats {
		if status, _ := f.Properties[r.Status].(string); slices.Contains(r.Explaining, status) {
			continue // explained, wherever it lies
		}
		for _, p := range pointsOf(f.Geometry) {
			if prob, bad := insideProblem(r, f, p, areas, bounds); bad {
				probs = append(probs, Problem{File: file, Feature: f.ID, Reason: prob})
				break
			}
		}
	}
	return probs
}

// insideProblem returns why point p of f, whose status does not explain a
// difference, breaks rule r, if it does; bounds are the areas' bounds.
func insideProblem(r *InsideRule, f Feature, p orb.Point, areas []Feature, bounds []orb.Bound) (string, bool) {
	have, _ := ScalarText(f.Properties[r.Property])
	for i, a := range areas {
		if !a.Valid.Intersects(f.Valid) || !bounds[i].Contains(p) || !contains(a.Geometry, p) {
			continue
		}
		want, _ := ScalarText(a.Properties[r.Property])
		if want == have {
			continue
		}
		return fmt.Sprintf("%s %q differs from the %s %q of area %s (%s), which it lies in on overlapping dates; "+
			"a %s that explains it is needed (one of %s), has %s",
			r.Property, have, r.Property, want, a.ID, r.Areas, r.Status, strings.Join(r.Explaining, ", "), quoteValue(f.Properties[r.Status])), true
	}
	return "", false
}

func pointsOf(g orb.Geometry) []orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return []orb.Point{g}
	case orb.MultiPoint:
		return g
	}
	return nil
}

func contains(g orb.Geometry, p orb.Point) bool {
	switch g := g.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}
