package render

import (
	"image/color"
	"math"

	"github.com/tdewolff/canvas"
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
	d.drawPath(hatch(region), alpha(gained, 0.9), stroke{})
	d.drawGeometry(region, color.NRGBA{}, stroke{color: lost, width: edge})
}

// drawChanges draws the change view over the areas.
func (d *drawer) drawChanges() {
	ch := d.sc.Changes
	if ch == nil {
		return
	}
	for _, r := range ch.Regions {
		if !d.visible(r.Geometry.Bound()) {
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
