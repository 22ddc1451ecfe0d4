package render

import (
	"cmp"
	"image"
	"image/color"
	"math"
	"slices"
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
//
// The dots are drawn in an order of their own, top to bottom, then left
// to right, then by colour and edge, so that where they overlap the
// picture is the same whatever order the store returned them in (a store
// may return a picture's dots in any order: geo.Query.Unordered); its
// other features after them, in id order.
func (d *drawer) drawDots(l Layer) {
	col := l.Collection
	radius, edge := dotStyle(d.zoom)
	img, _ := d.img.(*image.RGBA)
	s := float64(d.scale())
	type dotAt struct {
		x, y     float64
		value    int // index of the feature's colour in colours
		doubtful bool
	}
	var (
		dots    = make([]dotAt, 0, len(l.Features))
		values  []string
		indexOf = map[string]int{}
		drawn   []bool // whether a dot of the value is on the picture
		others  []geo.Feature
	)
	for _, f := range l.Features {
		if !IsPoints(f.Geometry) {
			others = append(others, f)
			continue
		}
		v := styleValue(col, f)
		vi, ok := indexOf[v]
		if !ok {
			vi = len(values)
			indexOf[v] = vi
			values = append(values, v)
			drawn = append(drawn, false)
		}
		doubtful := isDoubtful(f)
		for _, p := range points(f.Geometry) {
			x, y := d.pr.point(p)
			if !(x >= -radius-1.2 && x <= d.w+radius+1.2 && y >= -radius-1.2 && y <= d.h+radius+1.2) {
				continue // off the picture, or not a number
			}
			drawn[vi] = true
			dots = append(dots, dotAt{x: x, y: y, value: vi, doubtful: doubtful})
		}
	}
	// The legend lists the values drawn in the style's order, others after
	// them by their names (not in the order the store returned them).
	byName := slices.Clone(values)
	slices.Sort(byName)
	for _, v := range byName {
		if drawn[indexOf[v]] {
			d.legend.value(col, v, swatchSymbol)
		}
	}
	slices.SortFunc(dots, func(a, b dotAt) int {
		if c := cmp.Compare(a.y, b.y); c != 0 {
			return c
		}
		if c := cmp.Compare(a.x, b.x); c != 0 {
			return c
		}
		if c := strings.Compare(values[a.value], values[b.value]); c != 0 {
			return c
		}
		switch {
		case a.doubtful == b.doubtful:
			return 0
		case b.doubtful:
			return -1
		}
		return 1
	})
	var plain, doubtful *dotStamp
	if img != nil {
		plain, doubtful = newDotStamp(radius*s, edge*s), newDotStamp(radius*s, 1.2*s)
	}
	fills := make([]color.NRGBA, len(values))
	for i, v := range values {
		fills[i] = alpha(colorOf(col, v), 0.9)
	}
	for _, dt := range dots {
		ring, width, stamp := alpha(colWhite, 0.9), edge, plain
		if dt.doubtful {
			ring, width, stamp = colInk, 1.2, doubtful
		}
		if img != nil {
			stamp.draw(img, dt.x*s, dt.y*s, fills[dt.value], ring)
			continue
		}
		d.drawPath(canvas.Circle(radius).Translate(dt.x, dt.y), fills[dt.value], stroke{color: ring, width: width})
	}
	slices.SortFunc(others, func(a, b geo.Feature) int { return strings.Compare(a.ID, b.ID) })
	for _, f := range others {
		d.drawFeature(col, f)
	}
}

// stampPhases is how many positions of a dot's centre within a pixel a
// dotStamp has, across and down (at k/8 of a pixel from its corner): a
// centre is drawn at the nearest of them, at most 1/16 of a pixel from
// where it is in each direction.
const stampPhases = 8

// A dotStamp is a dot (a disc of radius r and a ring of width w on its
// edge, in raster pixels) with its coverage of every pixel it reaches
// worked out once for each sub-pixel position of its centre, so that
// drawing 100,000 dots is a blend of bytes per pixel: the coverage of the
// disc and of the ring by the distance of the pixel's centre from the
// edges, each ramping over one pixel (a pixel is covered by the ring where
// it lies inside the ring's outer edge and outside its inner one).
type dotStamp struct {
	half  int // the stamp reaches half pixels each side of the centre's pixel
	side  int // 2*half + 1
	cover [stampPhases * stampPhases][]uint8
}

func newDotStamp(r, w float64) *dotStamp {
	reach := r + w/2 + 0.5 // beyond it a pixel's centre is not covered
	half := int(math.Ceil(reach)) + 1
	st := &dotStamp{half: half, side: 2*half + 1}
	for phase := range st.cover {
		cx := float64(half) + float64(phase%stampPhases)/stampPhases
		cy := float64(half) + float64(phase/stampPhases)/stampPhases
		cov := make([]uint8, 2*st.side*st.side)
		for y := range st.side {
			for x := range st.side {
				dx, dy := float64(x)+0.5-cx, float64(y)+0.5-cy
				dist := math.Sqrt(dx*dx + dy*dy)
				disc := clamp01(r + 0.5 - dist)
				ring := clamp01(reach-dist) - clamp01(r-w/2+0.5-dist)
				i := 2 * (y*st.side + x)
				cov[i], cov[i+1] = uint8(disc*255+0.5), uint8(ring*255+0.5)
			}
		}
		st.cover[phase] = cov
	}
	return st
}

// draw blends into img the dot centred on (cx, cy) in raster pixels, its
// disc in fill and its ring over it in edge (the image's colours linear,
// as the rasterizer keeps them).
func (st *dotStamp) draw(img *image.RGBA, cx, cy float64, fill, edge color.NRGBA) {
	if math.IsNaN(cx) || math.IsNaN(cy) || math.Abs(cx) > 1e9 || math.Abs(cy) > 1e9 {
		return
	}
	// The nearest phase, k/stampPhases past a pixel's corner (the next
	// pixel's phase 0 past its last).
	qx, qy := int(math.Round(cx*stampPhases)), int(math.Round(cy*stampPhases))
	ix, iy := floorDiv(qx, stampPhases), floorDiv(qy, stampPhases)
	cov := st.cover[(qy-iy*stampPhases)*stampPhases+qx-ix*stampPhases]
	x0, y0 := ix-st.half, iy-st.half
	b := img.Rect.Intersect(image.Rect(x0, y0, x0+st.side, y0+st.side))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := cov[2*(y-y0)*st.side:]
		for x := b.Min.X; x < b.Max.X; x++ {
			c := row[2*(x-x0) : 2*(x-x0)+2 : 2*(x-x0)+2]
			if c[0]|c[1] == 0 {
				continue
			}
			i := img.PixOffset(x, y)
			px := img.Pix[i : i+4 : i+4]
			blend8(px, fill, c[0])
			blend8(px, edge, c[1])
		}
	}
}

// floorDiv is a/b rounded down, for b > 0.
func floorDiv(a, b int) int {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// blend8 composites c at coverage k/255 over the premultiplied pixel px.
func blend8(px []byte, c color.NRGBA, k uint8) {
	a := (uint32(c.A)*uint32(k) + 127) / 255
	if a == 0 {
		return
	}
	na := 255 - a
	px[0] = uint8((uint32(c.R)*a + uint32(px[0])*na + 127) / 255)
	px[1] = uint8((uint32(c.G)*a + uint32(px[1])*na + 127) / 255)
	px[2] = uint8((uint32(c.B)*a + uint32(px[2])*na + 127) / 255)
	px[3] = uint8((255*a + uint32(px[3])*na + 127) / 255)
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
