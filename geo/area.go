package geo

import (
	"math"

	"github.com/paulmach/orb"
)

// Geodesic area on the WGS84 ellipsoid. The ellipsoid is mapped onto the
// sphere of the same area (the authalic sphere: each latitude becomes its
// authalic latitude, which keeps areas), and a ring's area there is the
// spherical excess of its edges taken as great circles. For the schematic
// areas of this dataset (edges of at most tens of kilometres) it agrees
// with PostGIS's ST_Area(geography), which follows geodesics on the
// ellipsoid itself, to far better than 0.1% (the analytics contract tests
// check 0.1% on squares of a degree, whose edges are 111 km).

const (
	wgs84A = 6378137.0
	wgs84F = 1 / 298.257223563
)

var (
	wgs84E2 = wgs84F * (2 - wgs84F)
	wgs84E  = math.Sqrt(wgs84E2)
	qPole   = authalicQ(1)
	// authalicR is the radius of the sphere with the ellipsoid's area.
	authalicR = wgs84A * math.Sqrt(qPole/2)
)

// authalicQ is q(φ) of the authalic latitude for sin φ.
func authalicQ(sinPhi float64) float64 {
	es := wgs84E * sinPhi
	return (1 - wgs84E2) * (sinPhi/(1-es*es) - 1/(2*wgs84E)*math.Log((1-es)/(1+es)))
}

// authalicLat is the authalic latitude, in radians, of a geodetic latitude
// in degrees.
func authalicLat(latDeg float64) float64 {
	r := authalicQ(math.Sin(latDeg*math.Pi/180)) / qPole
	return math.Asin(math.Max(-1, math.Min(1, r)))
}

// ringArea is the unsigned area of a ring in square metres.
func ringArea(r orb.Ring) float64 {
	if len(r) < 4 {
		return 0
	}
	var sum float64
	for i := 0; i+1 < len(r); i++ {
		l1, l2 := r[i][0]*math.Pi/180, r[i+1][0]*math.Pi/180
		t1, t2 := math.Tan(authalicLat(r[i][1])/2), math.Tan(authalicLat(r[i+1][1])/2)
		dl := l2 - l1
		// Longitudes differ by less than 180° between neighbours here.
		sum += 2 * math.Atan2(math.Tan(dl/2)*(t1+t2), 1+t1*t2)
	}
	return math.Abs(sum) * authalicR * authalicR
}

// GeodesicArea returns the area of the polygons of g in square metres, on
// the WGS84 ellipsoid: outer rings less holes. Points and lines have none;
// overlapping parts of a multipolygon or collection are counted twice (the
// caller unions them first).
func GeodesicArea(g orb.Geometry) float64 {
	switch x := g.(type) {
	case orb.Polygon:
		if len(x) == 0 {
			return 0
		}
		a := ringArea(x[0])
		for _, h := range x[1:] {
			a -= ringArea(h)
		}
		return math.Max(a, 0)
	case orb.MultiPolygon:
		var a float64
		for _, p := range x {
			a += GeodesicArea(p)
		}
		return a
	case orb.Collection:
		var a float64
		for _, p := range x {
			a += GeodesicArea(p)
		}
		return a
	}
	return 0
}
