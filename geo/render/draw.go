package render

import (
	"encoding/binary"
	"image"
	"image/color"
	"image/draw"
	"math"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/simplify"
	"github.com/tdewolff/canvas"
	"golang.org/x/image/vector"

	"github.com/controlmap/controlmap/geo"
)

// drawer draws one scene on one canvas. It is used by one goroutine.
type drawer struct {
	ctx  *canvas.Context
	pr   projection
	f    *fonts
	sc   *Scene
	w, h float64
	u    float64 // size of the frame's text and boxes relative to 1200×675
	zoom float64 // the web map's zoom level of this scale

	// cancelled, when not nil, says whether to stop drawing (the request
	// went away): asked before each geometry; err keeps its answer.
	cancelled func() error
	err       error

	// raster is set when the picture is a PNG: outlines of the data's
	// geometries are then drawn as filled strips (fastStroke) rather than
	// by canvas's stroker, which settles every outline's self-overlaps
	// (Bentley–Ottmann) and took seconds on a layer of thousands of
	// detailed areas.
	raster bool
	// img is the raster's image when the drawer draws straight onto one:
	// drawDots blends its dots into it.
	img image.Image
	// mask is hatchRaster's image of a region's coverage, made once;
	// maskDirty the box it last drew in.
	mask      *image.RGBA
	maskDirty image.Rectangle

	// thinLon and thinLat are thinning's answer, once asked; scratch is
	// path's buffer of projected positions.
	thinLon, thinLat float64
	scratch          []orb.Point
	// geom and strips are the buffers of path and of fastStroke's strips.
	geom, strips canvas.Path
	// vec and coverage are fillRaster's rasterizer and mask, made once.
	vec      *vector.Rasterizer
	coverage image.Alpha

	labels []labelCand // drawn after the layers, where they fit
	taken  []rect      // what labels must not cover: symbols, the frame
	legend legend
}

// rect is an axis-aligned box in pixels.
type rect struct{ x0, y0, x1, y1 float64 }

func (a rect) overlaps(b rect) bool {
	return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1
}

// margin is how far outside the picture a shape may lie and still be drawn
// (a stroke or symbol reaching in).
const margin = 40

// visible reports whether a geometry's box meets the picture.
func (d *drawer) visible(b orb.Bound) bool {
	x0, y1 := d.pr.point(b.Min)
	x1, y0 := d.pr.point(b.Max)
	return x1 >= -margin && x0 <= d.w+margin && y1 >= -margin && y0 <= d.h+margin
}

// path returns the lines and rings of g in pixels, leaving out positions
// less than a third of a pixel from the last one kept (compared in degrees,
// before projecting: see thinning), then those that a line within a
// quarter of a pixel of them can do without (Douglas–Peucker,
// simplifyTolerance), and everything more than clipMargin pixels outside
// the picture (clipped, polygons as polygons): the work of drawing,
// dashing and hatching is bounded by the picture, not by the detail or the
// extent of the data. Points are left out.
//
// The path is the drawer's own, emptied at the next call: what draws it
// copies it (a canvas keeps a copy, the rasterizer transforms one), so one
// buffer serves every geometry of a picture.
func (d *drawer) path(g orb.Geometry) *canvas.Path {
	p := &d.geom
	p.Reset()
	if d.err == nil && d.cancelled != nil {
		if d.err = d.cancelled(); d.err != nil {
			return p
		}
	}
	box := orb.Bound{Min: orb.Point{-clipMargin, -clipMargin}, Max: orb.Point{d.w + clipMargin, d.h + clipMargin}}
	tol := simplifyTolerance / float64(d.scale())
	thinLon, thinLat := d.thinning()
	// project returns ps in pixels, thinned and simplified.
	project := func(ps []orb.Point) []orb.Point {
		out := d.scratch[:0]
		var last orb.Point
		for i, q := range ps {
			if i > 0 && i < len(ps)-1 && math.Abs(q[0]-last[0]) < thinLon && math.Abs(q[1]-last[1]) < thinLat {
				continue
			}
			last = q
			x, y := d.pr.point(q)
			if math.IsNaN(x) || math.IsNaN(y) || math.IsInf(x, 0) || math.IsInf(y, 0) {
				continue // validated data has none; the rasterizer would never end
			}
			out = append(out, orb.Point{x, y})
		}
		d.scratch = out
		if len(out) > 4 {
			out = simplify.DouglasPeucker(tol).LineString(out)
		}
		return slices.Clone(out)
	}
	line := func(ps []orb.Point, closed bool) {
		if len(ps) < 2 {
			return
		}
		p.MoveTo(ps[0][0], ps[0][1])
		for _, q := range ps[1:] {
			p.LineTo(q[0], q[1])
		}
		if closed {
			p.Close()
		}
	}
	polygon := func(pg orb.Polygon) {
		px := make(orb.Polygon, 0, len(pg))
		for _, r := range pg {
			px = append(px, orb.Ring(project(r)))
		}
		if px.Bound().Intersects(box) {
			for _, r := range clip.Polygon(box, px) {
				line(r, true)
			}
		}
	}
	lineString := func(ls orb.LineString) {
		for _, l := range clip.LineString(box, orb.LineString(project(ls))) {
			line(l, false)
		}
	}
	var add func(g orb.Geometry)
	add = func(g orb.Geometry) {
		switch g := g.(type) {
		case orb.LineString:
			lineString(g)
		case orb.MultiLineString:
			for _, l := range g {
				lineString(l)
			}
		case orb.Ring:
			polygon(orb.Polygon{g})
		case orb.Polygon:
			polygon(g)
		case orb.MultiPolygon:
			for _, pg := range g {
				polygon(pg)
			}
		case orb.Collection:
			for _, c := range g {
				add(c)
			}
		}
	}
	add(g)
	return p
}

// simplifyTolerance is how far, in CSS pixels, a drawn line may stray from
// the data's (Douglas–Peucker, in the picture's pixels, so at scale 2 half
// as far): a quarter of a pixel, below what anti-aliasing shows. A smooth
// outline of a thousand positions across a hundred pixels keeps a few
// dozen. The map itself strays up to a pixel (Leaflet's smoothFactor 1).
const simplifyTolerance = 0.25

// thinPx is how close, in raster pixels along both axes, a position may be
// to the last one kept and be left out of a path.
const thinPx = 0.34

// thinning returns thinPx raster pixels in degrees (pixelDegrees).
// Comparing in degrees spares projecting the positions left out (a
// logarithm each).
func (d *drawer) thinning() (lon, lat float64) {
	if d.thinLon == 0 {
		lon, lat := d.pr.pixelDegrees(d.scale())
		d.thinLon, d.thinLat = thinPx*lon, thinPx*lat
	}
	return d.thinLon, d.thinLat
}

// scale is the raster pixels per CSS pixel.
func (d *drawer) scale() int {
	if d.sc == nil || d.sc.Scale < 1 {
		return 1
	}
	return d.sc.Scale
}

// onPicture reports whether p's box reaches the picture, or within
// edgeReach of it (half the widest outline): what path keeps up to
// clipMargin outside it, for outlines that cross the edge, shows nothing.
func (d *drawer) onPicture(p *canvas.Path) bool {
	if p.Empty() {
		return false
	}
	b := p.FastBounds()
	return b.X1 >= -edgeReach && b.X0 <= d.w+edgeReach && b.Y1 >= -edgeReach && b.Y0 <= d.h+edgeReach
}

// edgeReach is half the widest outline of an area or line (a selected
// one's, 4 px), in pixels.
const edgeReach = 2.0

// clipMargin is how far outside the picture, in pixels, paths are kept:
// more than the widest outline, so that the edges clipping adds are never
// seen.
const clipMargin = 16.0

// points returns the points of g (a Point, a MultiPoint, or those of a
// collection).
func points(g orb.Geometry) []orb.Point {
	switch g := g.(type) {
	case orb.Point:
		return []orb.Point{g}
	case orb.MultiPoint:
		return g
	case orb.Collection:
		var out []orb.Point
		for _, c := range g {
			out = append(out, points(c)...)
		}
		return out
	}
	return nil
}

// stroke is how a path is outlined; width 0 is no outline.
type stroke struct {
	color color.NRGBA
	width float64
	dash  []float64 // in pixels
	round bool
}

// drawPath fills p with fill (when its alpha is not 0) and outlines it.
func (d *drawer) drawPath(p *canvas.Path, fill color.NRGBA, s stroke) {
	if p.Empty() {
		return
	}
	c := d.ctx
	c.Push()
	defer c.Pop()
	c.SetFillRule(canvas.EvenOdd)
	if fill.A > 0 {
		c.SetFillColor(fill)
	} else {
		c.SetFillColor(canvas.Transparent)
	}
	if s.width > 0 {
		c.SetStrokeColor(s.color)
		c.SetStrokeWidth(s.width)
		c.SetStrokeJoiner(canvas.RoundJoin)
		if s.round {
			c.SetStrokeCapper(canvas.RoundCap)
		} else {
			c.SetStrokeCapper(canvas.ButtCap)
		}
		if len(s.dash) > 0 {
			// canvas counts dashes in stroke widths.
			ds := make([]float64, len(s.dash))
			for i, v := range s.dash {
				ds[i] = v / s.width
			}
			c.SetDashes(0, ds...)
		}
	} else {
		c.SetStrokeColor(canvas.Transparent)
	}
	c.DrawPath(0, 0, p)
}

// drawGeometry draws p, a path of drawer.path, as drawPath does; in a
// raster picture its outline is fastStroke's strips rather than canvas's
// stroke, and both are filled by fillRaster.
func (d *drawer) drawGeometry(p *canvas.Path, fill color.NRGBA, s stroke) {
	img, ok := d.img.(*image.RGBA)
	if !d.raster || !ok || p.Empty() {
		d.drawPath(p, fill, s)
		return
	}
	d.fillRaster(img, p, fill)
	if s.width > 0 {
		d.fillRaster(img, fastStroke(p, s, &d.strips), s.color)
	}
}

// fillRaster fills p, made of moves, lines and closes in CSS pixels (as
// drawer.path and fastStroke make them), with c on img, a raster of the
// drawer's scale, anti-aliased by the area each pixel has inside p,
// non-zero winding, as canvas's rasterizer fills. It uses
// golang.org/x/image/vector's rasterizer sized to p's box on the picture:
// canvas's took 70% of the time of a picture of a thousand areas (each
// path copied, transformed and scanned into cells), this one a small part.
func (d *drawer) fillRaster(img *image.RGBA, p *canvas.Path, c color.NRGBA) {
	if c.A == 0 || p.Empty() {
		return
	}
	s := float64(d.scale())
	b := p.FastBounds()
	r := image.Rect(int(math.Floor(b.X0*s)), int(math.Floor(b.Y0*s)), int(math.Ceil(b.X1*s)), int(math.Ceil(b.Y1*s))).Intersect(img.Rect)
	if r.Empty() {
		return
	}
	if d.vec == nil {
		d.vec = vector.NewRasterizer(r.Dx(), r.Dy())
	} else {
		d.vec.Reset(r.Dx(), r.Dy())
	}
	z := d.vec
	ox, oy := float64(r.Min.X), float64(r.Min.Y)
	at := func(q canvas.Point) (float32, float32) { return float32(q.X*s - ox), float32(q.Y*s - oy) }
	open := false
	for sc := p.Scanner(); sc.Scan(); {
		switch sc.Cmd() {
		case canvas.MoveToCmd:
			if open {
				z.ClosePath()
			}
			z.MoveTo(at(sc.End()))
			open = true
		case canvas.CloseCmd:
			z.LineTo(at(sc.End()))
			z.ClosePath()
			open = false
		default: // LineToCmd: drawer.path and fastStroke make nothing else
			z.LineTo(at(sc.End()))
		}
	}
	if open {
		z.ClosePath()
	}
	// The coverage is accumulated into a mask of p's box, then blended
	// where it is not zero: vector's own blending visits every pixel of
	// the box, and an outline's strips cover little of theirs.
	w, h := r.Dx(), r.Dy()
	if cap(d.coverage.Pix) < w*h {
		d.coverage.Pix = make([]uint8, w*h)
	}
	d.coverage.Pix, d.coverage.Stride, d.coverage.Rect = d.coverage.Pix[:w*h], w, image.Rect(0, 0, w, h)
	z.DrawOp = draw.Src
	z.Draw(&d.coverage, d.coverage.Rect, image.Opaque, image.Point{})
	blendRows(img, r.Min, d.coverage.Pix, w, h, c)
}

// blendRows composites c over the w×h pixels of img from min at the
// coverages of mask (w a row): each channel becomes (c·a + p·(255−a) +
// 127) / 255 with a the colour's alpha times the coverage, two channels at
// a time in 16-bit lanes of a uint32 (every lane stays at or under
// 65,152, below 65,535, under which (x + x>>8 + 1) >> 8 is x/255 exactly).
func blendRows(img *image.RGBA, min image.Point, mask []uint8, w, h int, c color.NRGBA) {
	ca := uint32(c.A)
	rbC, agC := uint32(c.R)|uint32(c.B)<<16, uint32(c.G)|255<<16
	const lanes, round, one = 0x00FF00FF, 0x007F007F, 0x00010001
	for y := range h {
		row := mask[y*w : y*w+w]
		i := img.PixOffset(min.X, min.Y+y)
		pix := img.Pix[i : i+4*w : i+4*w]
		for x, m := range row {
			if m == 0 {
				continue
			}
			a := ca
			if m != 255 {
				a = (ca*uint32(m) + 127) / 255
			}
			na := 255 - a
			px := pix[4*x : 4*x+4 : 4*x+4]
			p := binary.LittleEndian.Uint32(px)
			rb := (p&lanes)*na + rbC*a + round
			ag := (p>>8&lanes)*na + agC*a + round
			rb = (rb + rb>>8&lanes + one) >> 8 & lanes
			ag = (ag + ag>>8&lanes + one) >> 8 & lanes
			binary.LittleEndian.PutUint32(px, rb|ag<<8)
		}
	}
}

// fastStroke returns the outline of p (moves, lines and closes only, as
// drawer.path makes them) at s's width and dashes as a path to fill: one
// rectangle per piece of segment, each lengthened by half the width at both
// ends so that the pieces cover their joins, all turning the same way, so
// that the non-zero fill of the rasterizer paints their union. In pixels,
// at the widths of a map's outlines (1–3 px), it is the stroke less the
// round corners of its joins.
//
// It writes into out (emptied first), when not nil, and returns it.
func fastStroke(p *canvas.Path, s stroke, out *canvas.Path) *canvas.Path {
	if out == nil {
		out = &canvas.Path{}
	}
	out.Reset()
	hw := s.width / 2
	piece := func(a, b canvas.Point) {
		dx, dy := b.X-a.X, b.Y-a.Y
		l := math.Hypot(dx, dy)
		if l == 0 {
			return
		}
		tx, ty := dx/l*hw, dy/l*hw // along, half the width long
		nx, ny := -ty, tx          // across
		out.MoveTo(a.X-tx+nx, a.Y-ty+ny)
		out.LineTo(a.X-tx-nx, a.Y-ty-ny)
		out.LineTo(b.X+tx-nx, b.Y+ty-ny)
		out.LineTo(b.X+tx+nx, b.Y+ty+ny)
		out.Close()
	}
	// The dash pattern runs on along a subpath: k is the dash or gap now,
	// left what is left of it.
	var k int
	var left float64
	var period float64
	for _, v := range s.dash {
		period += math.Max(v, 0)
	}
	segment := func(a, b canvas.Point) {
		if period <= 0 {
			piece(a, b)
			return
		}
		l := math.Hypot(b.X-a.X, b.Y-a.Y)
		for at := 0.0; at < l; {
			step := math.Min(left, l-at)
			if k%2 == 0 {
				f0, f1 := at/l, (at+step)/l
				piece(canvas.Point{X: a.X + f0*(b.X-a.X), Y: a.Y + f0*(b.Y-a.Y)}, canvas.Point{X: a.X + f1*(b.X-a.X), Y: a.Y + f1*(b.Y-a.Y)})
			}
			at += step
			if left -= step; left <= 0 {
				k = (k + 1) % len(s.dash)
				left = math.Max(s.dash[k], 0)
			}
		}
	}
	var start, last canvas.Point
	for sc := p.Scanner(); sc.Scan(); {
		end := sc.End()
		switch sc.Cmd() {
		case canvas.MoveToCmd:
			start = end
			if period > 0 {
				k, left = 0, s.dash[0]
			}
		case canvas.CloseCmd:
			segment(last, start)
			end = start
		default:
			segment(last, end)
		}
		last = end
	}
	return out
}

// drawLayer draws one layer's features in its style.
func (d *drawer) drawLayer(l Layer, pending *dotsDrawing) {
	col := l.Collection
	switch {
	case col.ID == "basemap":
		d.drawBasemap(l)
	case dotLayer(l):
		d.drawDots(l, pending)
	case strings.Contains(col.GeometryType, "Polygon"):
		for _, f := range l.Features {
			d.drawArea(col, f)
		}
	case strings.Contains(col.GeometryType, "LineString"):
		for _, f := range l.Features {
			d.drawLine(col, f)
		}
	default:
		for _, f := range l.Features {
			d.drawFeature(col, f)
		}
	}
}

// drawFeature draws one feature by its geometry's type.
func (d *drawer) drawFeature(col geo.Collection, f geo.Feature) {
	switch f.Geometry.(type) {
	case orb.Polygon, orb.MultiPolygon:
		d.drawArea(col, f)
	case orb.LineString, orb.MultiLineString:
		d.drawLine(col, f)
	default:
		d.drawPoints(col, f)
	}
}

func (d *drawer) selected(col geo.Collection, f geo.Feature) bool {
	return d.sc.Highlight.Collection == col.ID && d.sc.Highlight.Key == key(f)
}

// drawArea draws a polygon: its colour at 0.32, its edge at 0.9, dashed
// where approximate, dotted and heavier where claimed or disputed, black
// when selected (layers.js control_areas, claimEdge; app.css cm-selected).
//
// Neither it nor drawLine asks visible first: the layers' features are
// those of the box the picture shows, and computing a detailed area's
// bound costs about what projecting it does. One whose path's box does not
// reach the picture (onPicture) is not drawn and not in the legend.
func (d *drawer) drawArea(col geo.Collection, f geo.Feature) {
	if f.Geometry == nil {
		return
	}
	p := d.path(f.Geometry)
	if !d.onPicture(p) {
		return
	}
	v := styleValue(col, f)
	c := colorOf(col, v)
	s := stroke{color: alpha(c, 0.9), width: 1.2}
	approx := flag(f, "approximate") || flag(f, "schematic")
	if approx {
		s.dash = []float64{5, 4}
		d.legend.schematicAreas = true
	}
	if isDoubtful(f) {
		s.dash, s.width = []float64{2, 5}, 2.4
		d.legend.doubtfulAreas = true
	}
	if d.selected(col, f) {
		s = stroke{color: colBlack, width: 4}
	}
	d.drawGeometry(p, alpha(c, 0.32), s)
	d.legend.value(col, v, swatchArea)
}

// drawLine draws a line in its layer's style (layers.js lineStyle).
func (d *drawer) drawLine(col geo.Collection, f geo.Feature) {
	if f.Geometry == nil {
		return
	}
	p := d.path(f.Geometry)
	if !d.onPicture(p) {
		return
	}
	ls := lineStyleOf(col.ID)
	v := styleValue(col, f)
	c := colorOf(col, v)
	s := stroke{color: alpha(c, ls.opacity), width: ls.width, dash: ls.dash, round: ls.round}
	if isDoubtful(f) {
		s.dash, s.round = []float64{2, 6}, true
	}
	if d.selected(col, f) {
		s = stroke{color: colBlack, width: 4}
	}
	d.drawGeometry(p, color.NRGBA{}, s)
	if col.Style.Property != "" {
		d.legend.value(col, v, swatchLine)
	} else {
		d.legend.line(col, c, ls)
	}
	if flag(f, "approximate") || flag(f, "schematic") {
		d.legend.schematicLines = true
	}
}

// drawBasemap draws the offline basemap: countries filled (Syria lighter),
// rivers (dashed where approximate), and places with their names as labels
// (towns only from zoom 8, as on the map).
func (d *drawer) drawBasemap(l Layer) {
	col := l.Collection
	for _, f := range l.Features {
		if f.Geometry == nil || !d.visible(geo.BoundOf(f.Geometry)) {
			continue
		}
		kind := text(f, "kind")
		c := colorOf(col, styleValue(col, f))
		switch f.Geometry.(type) {
		case orb.Polygon, orb.MultiPolygon:
			fill := colLand
			if f.ID == "country-syria" {
				fill = colSyria
			}
			d.drawGeometry(d.path(f.Geometry), fill, stroke{color: colOutline, width: 1})
		case orb.LineString, orb.MultiLineString:
			s := stroke{color: alpha(c, 0.9), width: 2}
			if flag(f, "approximate") {
				s.width, s.dash = 1.5, []float64{4, 4}
			}
			d.drawGeometry(d.path(f.Geometry), color.NRGBA{}, s)
		default:
			big := kind == "city"
			r := 2.5
			if big {
				r = 3.5
			}
			for _, p := range points(f.Geometry) {
				x, y := d.pr.point(p)
				d.drawPath(canvas.Circle(r).Translate(x, y), c, stroke{color: colWhite, width: 1})
				d.taken = append(d.taken, rect{x - r, y - r, x + r, y + r})
				if kind == "city" || (kind == "town" && d.zoom >= 8) {
					prio := 2
					if big {
						prio = 1
					}
					d.labels = append(d.labels, labelCand{text: name(f), x: x, y: y, r: r + 2, bold: big, prio: prio, color: colText})
				}
			}
		}
	}
}

// name is a feature's name, else its id.
func name(f geo.Feature) string {
	if n := text(f, "name"); n != "" {
		return n
	}
	return f.ID
}
