package render

import (
	"image"
	"image/color"
	"math"

	"github.com/tdewolff/canvas"
	"github.com/tdewolff/canvas/renderers/rasterizer"

	"github.com/controlmap/controlmap/geo"
)

// The change view (static/js/change.js): each region that changed hands is
// hatched in the colour of the side that gained it (stripes 3 px wide every
// 8 px at 45°, at 0.9, on the same colour at 0.18) and outlined in the
// colour of the side that lost it; each site that changed is ringed in the
// colour of its former controller.

const (
	hatchPeriod = 8.0
	hatchWidth  = 3.0
)

// hatch returns the stripes of the hatching that fall inside region.
func hatch(region *canvas.Path) *canvas.Path {
	b := region.FastBounds()
	step := hatchPeriod * math.Sqrt2 // along x, for lines x + y = c
	w := hatchWidth * math.Sqrt2
	stripes := &canvas.Path{}
	// Stripes on a fixed grid of the picture, so that neighbouring regions'
	// stripes line up.
	for c := math.Floor((b.X0+b.Y0)/step)*step - step; c <= b.X1+b.Y1+step; c += step {
		stripes.MoveTo(c-b.Y0, b.Y0)
		stripes.LineTo(c+w-b.Y0, b.Y0)
		stripes.LineTo(c+w-b.Y1, b.Y1)
		stripes.LineTo(c-b.Y1, b.Y1)
		stripes.Close()
	}
	return stripes.And(region)
}

// drawHatched fills region with the hatching of gained and outlines it in
// lost, both colours at the given opacities.
func (d *drawer) drawHatched(region *canvas.Path, gained, lost color.NRGBA, edge float64) {
	if region.Empty() {
		return
	}
	d.drawPath(region, alpha(gained, 0.18), stroke{})
	if !d.hatchRaster(region, alpha(gained, 0.9)) {
		d.drawPath(hatch(region), alpha(gained, 0.9), stroke{})
	}
	d.drawGeometry(region, color.NRGBA{}, stroke{color: lost, width: edge})
}

// hatchRaster blends the stripes of hatch in c straight into the raster
// (d.img), reporting false when the drawer has none: the region's coverage
// is drawn into d.mask by canvas's rasterizer, then every pixel of its box
// that the region covers takes c at the share of it a stripe covers (a box
// filter across the stripe). hatch intersects every stripe with the region
// instead (Bentley–Ottmann), most of a second for a region across a
// zoomed-in picture.
func (d *drawer) hatchRaster(region *canvas.Path, c color.NRGBA) bool {
	img, ok := d.img.(*image.RGBA)
	if !ok {
		return false
	}
	s := float64(d.scale())
	b := region.FastBounds()
	box := image.Rect(int(math.Floor(b.X0*s))-1, int(math.Floor(b.Y0*s))-1, int(math.Ceil(b.X1*s))+1, int(math.Ceil(b.Y1*s))+1).Intersect(img.Rect)
	if box.Empty() {
		return true
	}
	if d.mask == nil || d.mask.Rect != img.Rect {
		d.mask = image.NewRGBA(img.Rect)
	} else {
		// Only the box of the last region was drawn on: clear that, not
		// the whole picture for every region.
		for y := d.maskDirty.Min.Y; y < d.maskDirty.Max.Y; y++ {
			i := d.mask.PixOffset(d.maskDirty.Min.X, y)
			clear(d.mask.Pix[i : i+4*d.maskDirty.Dx()])
		}
	}
	d.maskDirty = box
	mc := canvas.NewContext(rasterizer.FromImage(d.mask, canvas.DPMM(s), canvas.LinearColorSpace{}))
	mc.SetCoordSystem(canvas.CartesianIV)
	mc.SetFillRule(canvas.EvenOdd)
	mc.SetFillColor(colWhite)
	mc.SetStrokeColor(canvas.Transparent)
	mc.DrawPath(0, 0, region)

	// The stripes of hatch lie between the lines x + y = k·step and
	// x + y = k·step + w (CSS pixels); a raster pixel spans 2/s of x + y.
	step, w, half := hatchPeriod*math.Sqrt2, hatchWidth*math.Sqrt2, 1/s
	overlap := func(a, b, lo, hi float64) float64 { return max(0, min(b, hi)-max(a, lo)) }
	for y := box.Min.Y; y < box.Max.Y; y++ {
		for x := box.Min.X; x < box.Max.X; x++ {
			m := d.mask.Pix[d.mask.PixOffset(x, y)+3]
			if m == 0 {
				continue
			}
			u := (float64(x)+0.5)/s + (float64(y)+0.5)/s
			t := u - math.Floor(u/step)*step
			cov := (overlap(t-half, t+half, 0, w) + overlap(t-half, t+half, step, step+w) + overlap(t-half, t+half, -step, w-step)) / (2 * half)
			if cov <= 0 {
				continue
			}
			i := img.PixOffset(x, y)
			blend(img.Pix[i:i+4:i+4], c, cov*float64(m)/255)
		}
	}
	return true
}

// drawChanges draws the change view over the areas.
func (d *drawer) drawChanges() {
	ch := d.sc.Changes
	if ch == nil {
		return
	}
	for _, r := range ch.Regions {
		if !d.visible(geo.BoundOf(r.Geometry)) {
			continue
		}
		d.drawHatched(d.path(r.Geometry), colorOf(ch.Areas, r.To), colorOf(ch.Areas, r.From), 2.5)
		d.legend.value(ch.Areas, r.From, swatchArea)
		d.legend.value(ch.Areas, r.To, swatchArea)
		if p := (changePair{r.From, r.To}); !containsPair(d.legend.changes, p) {
			d.legend.changes = append(d.legend.changes, p)
		}
	}
	for _, s := range ch.SiteChanges {
		x, y := d.pr.point(s.At)
		if x < -margin || x > d.w+margin || y < -margin || y > d.h+margin {
			continue
		}
		st := stroke{color: colorOf(ch.Sites, s.From), width: 3}
		if s.From == s.To {
			st.dash = []float64{3, 4}
		}
		d.drawPath(canvas.Circle(17).Translate(x, y), color.NRGBA{}, st)
		d.legend.value(ch.Sites, s.From, swatchSymbol)
		d.legend.siteRings = true
	}
}

func containsPair(ps []changePair, p changePair) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}
