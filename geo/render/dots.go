package render

import (
	"cmp"
	"context"
	"image"
	"image/color"
	"math"
	"slices"
	"strings"
	"sync"

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
// zoom 10, at scale 1: about 40 pixels each, laid over the raster from
// stamps worked out ahead, so that all of them cost tens of
// milliseconds); a larger dot counts as as many of those as it has
// pixels (dotWeight), and a MultiPoint as its points. An SVG or a PDF writes
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
// blended into one of their own, laid over the image at the layer's turn
// (pending, from startDots); otherwise each is a circle path.
//
// The dots are drawn in an order of their own, top to bottom, then left
// to right, then by colour and edge, so that where they overlap the
// picture is the same whatever order the store returned them in (a store
// may return a picture's dots in any order: geo.Query.Unordered); its
// other features after them, in id order.
//
// pending, when not nil, is the layer's dots already drawn on a
// transparent raster of their own (startDots), to lay over the image.
func (d *drawer) drawDots(l Layer, pending *dotsDrawing) {
	col := l.Collection
	var pl dotsPlan
	if pending != nil {
		<-pending.done
		if pending.err != nil {
			if d.err == nil {
				d.err = pending.err
			}
			return
		}
		pl = pending.plan
		if pending.img != nil {
			composite(d.img.(*image.RGBA), pending.img, pending.dirty)
			putDotsRaster(pending.img, pending.dirty)
			pending.img = nil
		}
	} else {
		// An SVG or a PDF (a raster's dots are always pending: compose).
		pl = planDots(d.pr, d.w, d.h, d.zoom, l)
		radius, edge := dotStyle(d.zoom)
		for _, dt := range pl.dots {
			ring, width := alpha(colWhite, 0.9), edge
			if dt.doubtful {
				ring, width = colInk, 1.2
			}
			d.drawPath(canvas.Circle(radius).Translate(dt.x, dt.y), pl.fills[dt.value], stroke{color: ring, width: width})
		}
	}
	// The legend lists the values drawn in the style's order, others after
	// them by their names (not in the order the store returned them).
	byName := slices.Clone(pl.values)
	slices.Sort(byName)
	for _, v := range byName {
		if pl.drawn[slices.Index(pl.values, v)] {
			d.legend.value(col, v, swatchSymbol)
		}
	}
	for _, f := range pl.others {
		d.drawFeature(col, f)
	}
}

// dotsPlan is what drawDots draws of a layer: its dots in drawing order,
// the values they show with their colours and whether a dot of each is on
// the picture, and the layer's features that are not points, in id order.
type dotsPlan struct {
	dots   []dotAt
	values []string
	fills  []color.NRGBA
	drawn  []bool
	others []geo.Feature
	zoom   float64
}

// dotAt is a dot at (x, y) CSS pixels in the colour of value (an index in
// its plan's values), with a dark edge when doubtful.
type dotAt struct {
	x, y     float64
	value    int
	doubtful bool
}

// planDots projects and orders the dots of l on a picture of w×h CSS
// pixels projected by pr at zoom.
func planDots(pr projection, w, h, zoom float64, l Layer) dotsPlan {
	col := l.Collection
	radius, _ := dotStyle(zoom)
	reach := radius + 1.2 // the widest edge
	pl := dotsPlan{dots: make([]dotAt, 0, len(l.Features)), zoom: zoom}
	indexOf := map[string]int{}
	for _, f := range l.Features {
		if !IsPoints(f.Geometry) {
			pl.others = append(pl.others, f)
			continue
		}
		v := styleValue(col, f)
		vi, ok := indexOf[v]
		if !ok {
			vi = len(pl.values)
			indexOf[v] = vi
			pl.values = append(pl.values, v)
			pl.fills = append(pl.fills, alpha(colorOf(col, v), 0.9))
			pl.drawn = append(pl.drawn, false)
		}
		doubtful := isDoubtful(f)
		for _, p := range points(f.Geometry) {
			x, y := pr.point(p)
			if !(x >= -reach && x <= w+reach && y >= -reach && y <= h+reach) {
				continue // off the picture, or not a number
			}
			pl.drawn[vi] = true
			pl.dots = append(pl.dots, dotAt{x: x, y: y, value: vi, doubtful: doubtful})
		}
	}
	slices.SortFunc(pl.dots, func(a, b dotAt) int {
		if c := cmp.Compare(a.y, b.y); c != 0 {
			return c
		}
		if c := cmp.Compare(a.x, b.x); c != 0 {
			return c
		}
		if c := strings.Compare(pl.values[a.value], pl.values[b.value]); c != 0 {
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
	slices.SortFunc(pl.others, func(a, b geo.Feature) int { return strings.Compare(a.ID, b.ID) })
	return pl
}

// stamp blends the plan's dots into img, a raster at scale raster pixels
// per CSS pixel, and returns the box it drew in.
func (pl dotsPlan) stamp(img *image.RGBA, scale int) image.Rectangle {
	radius, edge := dotStyle(pl.zoom)
	s := float64(scale)
	plain, doubtful := newDotStamp(radius*s, edge*s), newDotStamp(radius*s, 1.2*s)
	// One painted stamp per value and edge, each painted at a phase when a
	// dot first needs it.
	painted := make([]*paintedStamp, 2*len(pl.values))
	var dirty image.Rectangle
	for _, dt := range pl.dots {
		k := 2 * dt.value
		if dt.doubtful {
			k++
		}
		ps := painted[k]
		if ps == nil {
			ring, st := alpha(colWhite, 0.9), plain
			if dt.doubtful {
				ring, st = colInk, doubtful
			}
			ps = &paintedStamp{dotStamp: st, fill: pl.fills[dt.value], edge: ring}
			painted[k] = ps
		}
		dirty = dirty.Union(ps.draw(img, dt.x*s, dt.y*s))
	}
	return dirty
}

// A paintedStamp is a dotStamp in two colours, its disc in fill and its
// ring in edge, composed at each phase into the premultiplied pixels of
// the dot alone (the ring over the disc over nothing), so that a dot is
// one blend of a pixel over what is below (Porter–Duff over, the same as
// the disc's blend then the ring's, to the rounding).
type paintedStamp struct {
	*dotStamp
	fill, edge color.NRGBA
	pix        [stampPhases * stampPhases][]uint8 // RGBA, premultiplied
}

func (ps *paintedStamp) phase(i int) []uint8 {
	if ps.pix[i] != nil {
		return ps.pix[i]
	}
	cov := ps.cover[i]
	pix := make([]uint8, 4*ps.side*ps.side)
	for j := range ps.side * ps.side {
		px := pix[4*j : 4*j+4 : 4*j+4]
		blend8(px, ps.fill, cov[2*j])
		blend8(px, ps.edge, cov[2*j+1])
	}
	ps.pix[i] = pix
	return pix
}

// draw lays the dot centred on (cx, cy), in raster pixels, over img and
// returns the box it may have drawn in.
func (ps *paintedStamp) draw(img *image.RGBA, cx, cy float64) image.Rectangle {
	phase, x0, y0, ok := ps.place(cx, cy)
	if !ok {
		return image.Rectangle{}
	}
	src := ps.phase(phase)
	b := img.Rect.Intersect(image.Rect(x0, y0, x0+ps.side, y0+ps.side))
	for y := b.Min.Y; y < b.Max.Y; y++ {
		row := src[4*((y-y0)*ps.side+b.Min.X-x0) : 4*((y-y0)*ps.side+b.Max.X-x0)]
		i := img.PixOffset(b.Min.X, y)
		overRow(img.Pix[i:i+len(row):i+len(row)], row)
	}
	return b
}

// overRow lays the premultiplied pixels of src over those of dst, of the
// same length (Porter–Duff over, each channel rounded to the nearest).
func overRow(dst, src []uint8) {
	dst = dst[:len(src)]
	for k := 0; k+3 < len(src); k += 4 {
		a := uint32(src[k+3])
		if a == 0 {
			continue
		}
		na := 255 - a
		d := dst[k : k+4 : k+4]
		d[0] = uint8(uint32(src[k]) + (uint32(d[0])*na+127)/255)
		d[1] = uint8(uint32(src[k+1]) + (uint32(d[1])*na+127)/255)
		d[2] = uint8(uint32(src[k+2]) + (uint32(d[2])*na+127)/255)
		d[3] = uint8(a + (uint32(d[3])*na+127)/255)
	}
}

// dotsDrawing is a layer's dots being drawn on a transparent raster of
// their own while the layers below them are drawn (startDots): the plan
// and the raster, with the box drawn in, or the error that stopped it,
// once done is closed.
type dotsDrawing struct {
	done  chan struct{}
	plan  dotsPlan
	img   *image.RGBA
	dirty image.Rectangle
	err   error
}

// dotsLimits counts the features of the layers read while a picture is
// drawn (Layer.Load) with those of the others, against the limits.
type dotsLimits struct {
	mu     sync.Mutex
	counts counts
}

// startDots starts drawing the dots of l on a transparent raster of the
// size of d's, in a goroutine of its own, reading l's features first when
// it has them still to read (Layer.Load): what it reads of d (the scene,
// the projection, the size, the zoom, the scale) no layer changes.
func (d *drawer) startDots(ctx context.Context, l Layer, limits *dotsLimits) *dotsDrawing {
	img := d.img.(*image.RGBA)
	dd := &dotsDrawing{done: make(chan struct{})}
	sc, pr, w, h, zoom, scale := *d.sc, d.pr, d.w, d.h, d.zoom, d.scale()
	go func() {
		defer close(dd.done)
		if l.Load != nil {
			feats, err := l.Load(ctx)
			if err != nil {
				dd.err = err
				return
			}
			l.Features, l.Load = feats, nil
			limits.mu.Lock()
			err = limits.counts.add(sc, l, PNG)
			limits.mu.Unlock()
			if err != nil {
				dd.err = err
				return
			}
		}
		if err := ctx.Err(); err != nil {
			dd.err = err
			return
		}
		dd.plan = planDots(pr, w, h, zoom, l)
		if len(dd.plan.dots) > 0 {
			dd.img = getDotsRaster(img.Rect)
			dd.dirty = dd.plan.stamp(dd.img, scale)
		}
	}()
	return dd
}

// dotsRasters keeps the transparent rasters the dots are drawn on (3.2 MB
// for a 1200×675 picture) from one picture to the next, each with the box
// its dots were drawn in: the only pixels to clear before it is used again.
var dotsRasters sync.Pool

type dotsRaster struct {
	img   *image.RGBA
	dirty image.Rectangle
}

// getDotsRaster returns a transparent raster of r, pooled when one of the
// same size is there.
func getDotsRaster(r image.Rectangle) *image.RGBA {
	if p, ok := dotsRasters.Get().(*dotsRaster); ok {
		if img := p.reuse(r); img != nil {
			return img
		}
	}
	return image.NewRGBA(r)
}

// reuse returns p's raster made transparent again, or nil when it is not
// of r.
func (p *dotsRaster) reuse(r image.Rectangle) *image.RGBA {
	if p.img.Rect != r {
		return nil
	}
	for y := p.dirty.Min.Y; y < p.dirty.Max.Y; y++ {
		i := p.img.PixOffset(p.dirty.Min.X, y)
		clear(p.img.Pix[i : i+4*p.dirty.Dx()])
	}
	return p.img
}

// putDotsRaster gives img back to the pool; nothing was drawn on it outside
// dirty.
func putDotsRaster(img *image.RGBA, dirty image.Rectangle) {
	dotsRasters.Put(&dotsRaster{img: img, dirty: dirty.Intersect(img.Rect)})
}

// composite lays src, premultiplied, over dst within r (Porter–Duff over:
// the same as blending src's dots into dst one by one, to the rounding).
func composite(dst, src *image.RGBA, r image.Rectangle) {
	r = r.Intersect(dst.Rect).Intersect(src.Rect)
	for y := r.Min.Y; y < r.Max.Y; y++ {
		i, j := dst.PixOffset(r.Min.X, y), src.PixOffset(r.Min.X, y)
		overRow(dst.Pix[i:i+4*r.Dx()], src.Pix[j:j+4*r.Dx()])
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

// place returns the phase nearest a dot centred on (cx, cy), k/stampPhases
// past a pixel's corner (the next pixel's phase 0 past its last), and the
// top left pixel of its stamp; false for a centre far off any picture.
func (st *dotStamp) place(cx, cy float64) (phase, x0, y0 int, ok bool) {
	if math.IsNaN(cx) || math.IsNaN(cy) || math.Abs(cx) > 1e9 || math.Abs(cy) > 1e9 {
		return 0, 0, 0, false
	}
	qx, qy := int(math.Round(cx*stampPhases)), int(math.Round(cy*stampPhases))
	ix, iy := floorDiv(qx, stampPhases), floorDiv(qy, stampPhases)
	return (qy-iy*stampPhases)*stampPhases + qx - ix*stampPhases, ix - st.half, iy - st.half, true
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
