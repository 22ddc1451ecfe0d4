package render

import (
	"image"
	"image/color"
	"math"
	"strings"

	"github.com/paulmach/orb"
	"github.com/tdewolff/canvas"

	"github.com/controlmap/controlmap/geo"
)

// TileThreshold is the count of features above which the map draws a
// layer from vector tiles, its points as small dots (static/js/tiles.js
// TILE_THRESHOLD and tileStyle): a picture draws such a layer's points the
// same way (Layer.Dots).
const TileThreshold = 5000

// MaxDots is the most points a PNG draws as dots (the scale dataset's
// 100,000 points with room), counted as dots of the smallest size (below
// zoom 10, at scale 1: about 40 pixels each, blended straight into the
// raster at about 0.1 µs a pixel, so that all of them cost tens of
// milliseconds); a larger dot counts as as many of those as it has pixels
// (dotWeight), and a MultiPoint as its points. An SVG or a PDF writes
// every dot as an element and counts them among MaxFeatures.
const MaxDots = 250000

// dotStyle is a dot of a tiled point layer at zoom, in CSS pixels: the
// fill's radius, the white edge's width (tileStyle: radius 2.5 and edge
// 0.5 below zoom 10, 4 and 1 from it), both at 0.9 opacity.
func dotStyle(zoom float64) (radius, edge float64) {
	if zoom >= 10 {
		return 4, 1
	}
	return 2.5, 0.5
}

// dotWeight is how many of the smallest dots one dot of sc counts as: the
// ratio of the squares the two reach across, in raster pixels.
func dotWeight(sc Scene) float64 {
	pr := fit(sc.View, float64(sc.Width), float64(sc.Height))
	r, e := dotStyle(math.Log2(pr.k / 256))
	r0, e0 := dotStyle(0)
	reach := (r + e/2 + 0.5) * float64(max(sc.Scale, 1))
	reach0 := r0 + e0/2 + 0.5
	return reach * reach / (reach0 * reach0)
}

// drawDots draws the points of a tiled layer as the map's tiles do (its
// lines and areas as any layer's, which is how the tiles draw them): a
// disc in the colour of the feature's value with a thin white edge (a dark
// one where the feature is one party's claim or disputed: the tiles' dotted
// edge, too small at this size to show its dots). On a raster they are
// blended straight into the image; otherwise each is a circle path.
func (d *drawer) drawDots(l Layer) {
	col := l.Collection
	radius, edge := dotStyle(d.zoom)
	img, _ := d.img.(*image.RGBA)
	s := float64(d.scale())
	for _, f := range l.Features {
		if !IsPoints(f.Geometry) {
			d.drawFeature(col, f)
			continue
		}
		v := styleValue(col, f)
		fill := alpha(colorOf(col, v), 0.9)
		ring, width := alpha(colWhite, 0.9), edge
		if isDoubtful(f) {
			ring, width = colInk, 1.2
		}
		drawn := false
		for _, p := range points(f.Geometry) {
			x, y := d.pr.point(p)
			if x < -radius-width || x > d.w+radius+width || y < -radius-width || y > d.h+radius+width {
				continue
			}
			drawn = true
			if img != nil {
				dot(img, x*s, y*s, radius*s, width*s, fill, ring)
				continue
			}
			d.drawPath(canvas.Circle(radius).Translate(x, y), fill, stroke{color: ring, width: width})
		}
		if drawn {
			d.legend.value(col, v, swatchSymbol)
		}
	}
}

// dot blends into img a disc of radius r centred on (cx, cy) in fill and,
// over it, a ring of width w on its edge in edge, anti-aliased by the
// distance of each pixel's centre from the edges (in raster pixels, the
// image's colours linear, as the rasterizer keeps them).
func dot(img *image.RGBA, cx, cy, r, w float64, fill, edge color.NRGBA) {
	outer := r + w/2
	reach := outer + 0.5 // beyond it a pixel's centre is not covered
	b := img.Rect.Intersect(image.Rect(int(math.Floor(cx-reach)), int(math.Floor(cy-reach)), int(math.Ceil(cx+reach)), int(math.Ceil(cy+reach))))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		dy := float64(y) + 0.5 - cy
		for x := b.Min.X; x < b.Max.X; x++ {
			dx := float64(x) + 0.5 - cx
			d2 := dx*dx + dy*dy
			if d2 >= reach*reach {
				continue
			}
			dist := math.Sqrt(d2)
			// Coverage of the disc, then of the ring (inside its outer edge
			// and outside its inner one), each ramping over one pixel.
			disc := clamp01(r + 0.5 - dist)
			ring := clamp01(reach-dist) - clamp01(r-w/2+0.5-dist)
			i := img.PixOffset(x, y)
			px := img.Pix[i : i+4 : i+4]
			blend(px, fill, disc)
			blend(px, edge, ring)
		}
	}
}

func clamp01(v float64) float64 { return math.Max(0, math.Min(1, v)) }

// DotProperties are the properties drawDots reads of a point: the value
// of the style and the claim status (geo.Query.Properties).
func DotProperties(col geo.Collection) []string {
	if col.Style.Property == "" || col.Style.Property == "claim_status" {
		return []string{"claim_status"}
	}
	return []string{col.Style.Property, "claim_status"}
}

// DotCollection reports whether the map draws col from vector tiles and
// its points as dots (static/js/layers.js tiled): a point collection of
// more than TileThreshold features, neither events nor the basemap. A
// large collection of areas or lines is drawn as any (and counts against
// MaxFeatures).
func DotCollection(col geo.Collection) bool {
	return col.Count > TileThreshold && col.Role != geo.RoleEvents && col.ID != "basemap" && strings.HasSuffix(col.GeometryType, "Point")
}

// dotLayer reports whether a layer is drawn as dots: a point layer the
// map draws from vector tiles (more than TileThreshold features in all;
// events and the basemap never are, layers.js tiled).
func dotLayer(l Layer) bool {
	c := l.Collection
	return l.Dots && c.Role != geo.RoleEvents && c.ID != "basemap"
}

// IsPoints reports whether g is a point or points (what a dot layer draws
// as dots).
func IsPoints(g orb.Geometry) bool {
	switch g.(type) {
	case orb.Point, orb.MultiPoint:
		return true
	}
	return false
}

// blend composites c at coverage k over the premultiplied pixel px.
func blend(px []byte, c color.NRGBA, k float64) {
	a := float64(c.A) / 255 * k
	if a <= 0 {
		return
	}
	px[0] = uint8(float64(c.R)*a + float64(px[0])*(1-a) + 0.5)
	px[1] = uint8(float64(c.G)*a + float64(px[1])*(1-a) + 0.5)
	px[2] = uint8(float64(c.B)*a + float64(px[2])*(1-a) + 0.5)
	px[3] = uint8(255*a + float64(px[3])*(1-a) + 0.5)
}
