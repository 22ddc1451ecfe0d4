package geo

import (
	"math"

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
	distinct := false
	for _, p := range ls {
		if err := checkPoint(p); err != nil {
			return err
		}
		distinct = distinct || p != ls[0]
	}
	if !distinct {
		// A line of one repeated position has no length: PostGIS finds it
		// invalid and geometry libraries fail on it.
		return errorf("a LineString needs two distinct positions; all %d are [%v, %v]", len(ls), ls[0][0], ls[0][1])
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
