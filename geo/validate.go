package geo

import (
	"math"
	"sort"

	"github.com/paulmach/orb"
)

// allowedGeometry maps a collection's declared geometry_type to the GeoJSON
// geometry types its features may have.
var allowedGeometry = map[string][]string{
	"Point":           {"Point", "MultiPoint"},
	"MultiPoint":      {"Point", "MultiPoint"},
	"LineString":      {"LineString", "MultiLineString"},
	"MultiLineString": {"LineString", "MultiLineString"},
	"Polygon":         {"Polygon", "MultiPolygon"},
	"MultiPolygon":    {"Polygon", "MultiPolygon"},
	"Geometry":        nil,
}

// ValidateGeometry checks that g is present, of a type the collection allows,
// with finite coordinates in range, lines of two or more points, and polygon
// rings that are closed, have four or more points and do not cross themselves.
func ValidateGeometry(g orb.Geometry, declared string) error {
	if g == nil {
		return errorf("no geometry")
	}
	if allowed := allowedGeometry[declared]; allowed != nil {
		ok := false
		for _, t := range allowed {
			ok = ok || g.GeoJSONType() == t
		}
		if !ok {
			return errorf("geometry is a %s but the collection holds %s", g.GeoJSONType(), declared)
		}
	}
	return validateGeom(g)
}

func validateGeom(g orb.Geometry) error {
	switch g := g.(type) {
	case orb.Point:
		return checkPoint(g)
	case orb.MultiPoint:
		if len(g) == 0 {
			return errorf("empty MultiPoint")
		}
		for _, p := range g {
			if err := checkPoint(p); err != nil {
				return err
			}
		}
	case orb.LineString:
		return checkLine(g)
	case orb.MultiLineString:
		if len(g) == 0 {
			return errorf("empty MultiLineString")
		}
		for _, ls := range g {
			if err := checkLine(ls); err != nil {
				return err
			}
		}
	case orb.Polygon:
		return checkPolygon(g)
	case orb.MultiPolygon:
		if len(g) == 0 {
			return errorf("empty MultiPolygon")
		}
		for _, p := range g {
			if err := checkPolygon(p); err != nil {
				return err
			}
		}
	case orb.Collection:
		if len(g) == 0 {
			return errorf("empty GeometryCollection")
		}
		for _, c := range g {
			if err := validateGeom(c); err != nil {
				return err
			}
		}
	default:
		return errorf("unsupported geometry %s", g.GeoJSONType())
	}
	return nil
}

func checkPoint(p orb.Point) error {
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errorf("coordinate %v is not a finite number", v)
		}
	}
	if p[0] < -180 || p[0] > 180 || p[1] < -90 || p[1] > 90 {
		return errorf("coordinate [%v, %v] is outside lon -180..180, lat -90..90", p[0], p[1])
	}
	return nil
}

func checkLine(ls orb.LineString) error {
	if len(ls) < 2 {
		return errorf("a LineString needs at least 2 positions, has %d", len(ls))
	}
	for _, p := range ls {
		if err := checkPoint(p); err != nil {
			return err
		}
	}
	return nil
}

func checkPolygon(p orb.Polygon) error {
	if len(p) == 0 {
		return errorf("empty Polygon")
	}
	for i, r := range p {
		if len(r) < 4 {
			return errorf("polygon ring %d has %d positions, needs at least 4", i, len(r))
		}
		for _, pt := range r {
			if err := checkPoint(pt); err != nil {
				return err
			}
		}
		if !r.Closed() {
			return errorf("polygon ring %d is not closed (first and last positions differ)", i)
		}
		if a, b, ok := selfIntersection(r); ok {
			return errorf("polygon ring %d crosses itself (edges %d and %d): invalid geometry", i, a, b)
		}
	}
	return nil
}

// selfIntersection finds two non-adjacent edges of a closed ring that touch,
// sweeping edges by their west end so typical rings need far fewer than n²
// comparisons.
func selfIntersection(r orb.Ring) (int, int, bool) {
	n := len(r) - 1 // edges
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	minX := func(i int) float64 { return math.Min(r[i][0], r[i+1][0]) }
	maxX := func(i int) float64 { return math.Max(r[i][0], r[i+1][0]) }
	sort.Slice(idx, func(a, b int) bool { return minX(idx[a]) < minX(idx[b]) })
	for a := 0; a < n; a++ {
		i := idx[a]
		for b := a + 1; b < n && minX(idx[b]) <= maxX(i); b++ {
			j := idx[b]
			if adjacent(i, j, n) {
				continue
			}
			if segmentsTouch(r[i], r[i+1], r[j], r[j+1]) {
				lo, hi := i, j
				if lo > hi {
					lo, hi = hi, lo
				}
				return lo, hi, true
			}
		}
	}
	return 0, 0, false
}

func adjacent(i, j, n int) bool {
	d := i - j
	if d < 0 {
		d = -d
	}
	return d == 1 || d == n-1
}

func orient(a, b, c orb.Point) float64 {
	return (b[0]-a[0])*(c[1]-a[1]) - (b[1]-a[1])*(c[0]-a[0])
}

func onSegment(a, b, p orb.Point) bool {
	return math.Min(a[0], b[0]) <= p[0] && p[0] <= math.Max(a[0], b[0]) &&
		math.Min(a[1], b[1]) <= p[1] && p[1] <= math.Max(a[1], b[1])
}

// segmentsTouch reports whether segments p1–p2 and q1–q2 share a point.
func segmentsTouch(p1, p2, q1, q2 orb.Point) bool {
	d1, d2 := orient(q1, q2, p1), orient(q1, q2, p2)
	d3, d4 := orient(p1, p2, q1), orient(p1, p2, q2)
	if ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0)) {
		return true
	}
	return d1 == 0 && onSegment(q1, q2, p1) || d2 == 0 && onSegment(q1, q2, p2) ||
		d3 == 0 && onSegment(p1, p2, q1) || d4 == 0 && onSegment(p1, p2, q2)
}
