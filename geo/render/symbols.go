package render

import (
	"image/color"

	"github.com/tdewolff/canvas"

	"github.com/controlmap/controlmap/geo"
)

// Point symbols: static/js/symbols.js drawn in pixels. A symbol is drawn
// in a box of size pixels, its shapes given in the 24-unit box of the SVG.

// symbolOpts says how a point is drawn (symbols.js symbol()).
type symbolOpts struct {
	shape     string // "circle", "square" or "diamond"
	fill      color.NRGBA
	size      float64
	ring      bool // dashed ring: besieged, contested, in transition
	estimated bool // dotted outline
	recent    bool // halo
	unknown   bool // question mark
	claim     string
	selected  bool
}

// Badge glyphs of the claims that are not confirmed (symbols.js CLAIM_GLYPHS).
var claimGlyphs = map[string]string{
	"reported": "M18.6 3.2 L19.8 2.4 L19.8 6.8",
	"claimed":  "M18.2 3 Q17.6 4.2 17.9 5.2 M21 3 Q20.4 4.2 20.7 5.2",
	"disputed": "M19.5 2.2 L19.5 5 M19.5 6.8 L19.5 6.9",
}

// eventOffset shifts an event's badge up and to the left of its place, so
// that it does not hide a site there (layers.js EVENT_OFFSET).
const eventOffset = 9

// drawPoints draws the symbols of a point feature and queues its label.
func (d *drawer) drawPoints(col geo.Collection, f geo.Feature) {
	v := styleValue(col, f)
	o := symbolOpts{shape: "circle", fill: colorOf(col, v), size: 16, estimated: flag(f, "estimated"), claim: text(f, "claim_status"), selected: d.selected(col, f)}
	shift, labelled := 0.0, false
	switch {
	case col.Role == geo.RoleSites:
		o.size, o.ring, o.unknown = 26, isUnsettled(col, f), v == unknown
		if text(f, "kind") == "prison" {
			o.shape = "square"
		}
		labelled = true
	case col.ID == "crossings":
		o.shape, o.size, o.unknown = "diamond", 20, v == unknown
	case col.Role == geo.RoleEvents:
		shift = eventOffset
		if t, ok := eventTime(f); ok && !d.sc.At.IsZero() && t.After(d.sc.At.AddDate(0, 0, -RecentDays)) {
			o.size, o.recent = 24, true
		}
	}
	if _, ok := claimGlyphs[o.claim]; !ok {
		o.claim = ""
	}
	drawn := false
	for _, p := range points(f.Geometry) {
		x, y := d.pr.point(p)
		x, y = x-shift, y-shift
		if x < -margin || x > d.w+margin || y < -margin || y > d.h+margin {
			continue
		}
		d.symbol(x, y, o)
		drawn = true
		half := o.size / 2
		d.taken = append(d.taken, rect{x - half, y - half, x + half, y + half})
		if labelled {
			d.labels = append(d.labels, labelCand{text: name(f), x: x, y: y, r: half + 1, bold: true, prio: 0, color: colText})
		}
	}
	if !drawn {
		return
	}
	d.legend.symbol(col, f, v, o)
}

// symbol draws one symbol centred at x, y.
func (d *drawer) symbol(x, y float64, o symbolOpts) {
	s := o.size / 24
	at := func(p *canvas.Path) *canvas.Path {
		return p.Transform(canvas.Identity.Translate(x-12*s, y-12*s).Scale(s, s))
	}
	if o.recent {
		d.drawPath(canvas.Circle(11*s).Translate(x, y), alpha(o.fill, 0.3), stroke{})
	}
	if o.ring {
		d.drawPath(canvas.Circle(10.5*s).Translate(x, y), color.NRGBA{}, stroke{color: colInk, width: 1.8 * s, dash: []float64{3 * s, 2.2 * s}})
	}
	r := 8.0
	if o.ring || o.recent {
		r = 6.5
	}
	edge := stroke{color: colInk, width: 1.6 * s}
	if o.estimated {
		edge.dash = []float64{1.2 * s, 1.6 * s}
	}
	var body *canvas.Path
	switch o.shape {
	case "square":
		body = at(canvas.RoundedRectangle(2*r, 2*r, 1.5).Translate(12-r, 12-r))
	case "diamond":
		p := &canvas.Path{}
		p.MoveTo(12, 12-r-1)
		p.LineTo(12+r+1, 12)
		p.LineTo(12, 12+r+1)
		p.LineTo(12-r-1, 12)
		p.Close()
		body = at(p)
	default:
		body = canvas.Circle(r*s).Translate(x, y)
	}
	d.drawPath(body, o.fill, edge)
	if o.unknown {
		q := canvas.MustParseSVGPath("M9.3 9.6 A2.8 2.8 0 1 1 13.4 12.1 Q12 12.9 12 14.3")
		d.drawPath(at(q), color.NRGBA{}, stroke{color: colInk, width: 2 * s, round: true})
		d.drawPath(canvas.Circle(0.9*s).Translate(x, y+5.3*s), colInk, stroke{})
	}
	if g, ok := claimGlyphs[o.claim]; ok {
		bg, ink := colWhite, colInk
		if o.claim == "disputed" {
			bg, ink = colInk, colWhite
		}
		d.drawPath(canvas.Circle(4.3*s).Translate(x+7.5*s, y-7.5*s), bg, stroke{color: colInk, width: s})
		d.drawPath(at(canvas.MustParseSVGPath(g)), color.NRGBA{}, stroke{color: ink, width: 1.3 * s, round: true})
	}
	if o.selected {
		// app.css .cm-marker.cm-selected: a 3 px black ring 2 px outside the icon.
		d.drawPath(canvas.Circle(o.size/2+3.5).Translate(x, y), color.NRGBA{}, stroke{color: colBlack, width: 3})
	}
}
