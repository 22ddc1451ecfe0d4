package render

import (
	"math"

	"github.com/paulmach/orb"
)

// maxLat is the latitude Web Mercator stops at.
const maxLat = 85.05112878

// MaxZoom is the deepest the pictures go, the map's own (static/js/map.js):
// a smaller box is shown at that zoom, centred, with more around it.
const MaxZoom = 14

// maxZoomScale is the most pixels per world unit (zoom MaxZoom).
const maxZoomScale = 256 << MaxZoom

// mercator returns the Web Mercator position of p in world units: x from 0
// (180° W) to 1, y from 0 (85° N) to 1, downwards.
func mercator(p orb.Point) (float64, float64) {
	lat := math.Max(-maxLat, math.Min(maxLat, p[1]))
	s := math.Sin(lat * math.Pi / 180)
	return (p[0] + 180) / 360, 0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)
}

// projection maps longitude and latitude to picture pixels.
type projection struct {
	k      float64 // pixels per world unit
	cx, cy float64 // the world position at the picture's centre
	w, h   float64
}

// fit returns the projection that shows b whole in a w by h picture,
// centred, keeping the aspect ratio.
func fit(b orb.Bound, w, h float64) projection {
	x0, y1 := mercator(b.Min)
	x1, y0 := mercator(b.Max)
	k := float64(maxZoomScale)
	if dx := x1 - x0; dx > 0 {
		k = math.Min(k, w/dx)
	}
	if dy := y1 - y0; dy > 0 {
		k = math.Min(k, h/dy)
	}
	return projection{k: k, cx: (x0 + x1) / 2, cy: (y0 + y1) / 2, w: w, h: h}
}

// point returns the pixel position of p.
func (pr projection) point(p orb.Point) (float64, float64) {
	x, y := mercator(p)
	return (x-pr.cx)*pr.k + pr.w/2, (y-pr.cy)*pr.k + pr.h/2
}

// metresPerPixel is the ground distance of a pixel at the picture's centre.
func (pr projection) metresPerPixel() float64 {
	lat := math.Atan(math.Sinh(math.Pi * (1 - 2*pr.cy))) // inverse Mercator
	return 2 * math.Pi * 6378137 * math.Cos(lat) / pr.k
}

// bound returns the longitude and latitude box the picture shows.
func (pr projection) bound() orb.Bound {
	lon := func(x float64) float64 { return x*360 - 180 }
	lat := func(y float64) float64 { return math.Atan(math.Sinh(math.Pi*(1-2*y))) * 180 / math.Pi }
	x0, x1 := pr.cx-pr.w/2/pr.k, pr.cx+pr.w/2/pr.k
	y0, y1 := pr.cy-pr.h/2/pr.k, pr.cy+pr.h/2/pr.k
	return orb.Bound{Min: orb.Point{math.Max(-180, lon(x0)), lat(math.Min(1, y1))}, Max: orb.Point{math.Min(180, lon(x1)), lat(math.Max(0, y0))}}
}

// pixelDegrees returns a raster pixel of the picture (a CSS pixel at
// scale 1) in degrees of longitude, and in degrees of latitude at the
// highest latitude the picture shows, where a degree is the most pixels:
// two positions less than that apart along each axis are less than a
// pixel apart anywhere in the picture.
func (pr projection) pixelDegrees(scale int) (lon, lat float64) {
	b := pr.bound()
	phi := math.Min(maxLat, math.Max(math.Abs(b.Min[1]), math.Abs(b.Max[1]))) * math.Pi / 180
	// A world unit is 360° of longitude; along a meridian, a degree of
	// latitude is 1/cos(φ) times as many world units.
	lon = 360 / pr.k / float64(max(scale, 1))
	return lon, lon * math.Cos(phi)
}

// Tolerance is how far, in degrees, the geometries of a w by h picture at
// scale fitting b may be simplified before it draws them (geo.Query.
// Simplify): as far as the picture simplifies them itself, a quarter of a
// raster pixel, in degrees of latitude at its highest latitude (the
// fewest degrees to a pixel).
func Tolerance(b orb.Bound, w, h, scale int) float64 {
	_, lat := fit(b, float64(w), float64(h)).pixelDegrees(scale)
	return simplifyTolerance * lat
}

// Shown returns the longitude and latitude box a w by h picture fitting b
// shows: b, widened along one axis to the picture's aspect ratio. The
// handler asks the store for the features in it.
func Shown(b orb.Bound, w, h int) orb.Bound {
	return fit(b, float64(w), float64(h)).bound()
}
