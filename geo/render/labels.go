package render

import (
	"image/color"
	"slices"

	"github.com/tdewolff/canvas"
)

// labelCand is a name to write beside a symbol at x, y whose radius is r.
type labelCand struct {
	text  string
	x, y  float64
	r     float64
	bold  bool
	prio  int // lower first: sites, cities, towns
	color color.NRGBA
}

// labelPx is the size of labels (app.css .cm-label).
const labelPx = 12

// placeLabels writes each label where it overlaps no symbol, no other
// label and no part of the frame: right of its symbol, else left, above or
// below; a label that fits nowhere, or that the fonts cannot draw, is left
// out. Labels sit on a white halo, as on the map.
func (d *drawer) placeLabels() {
	slices.SortStableFunc(d.labels, func(a, b labelCand) int { return a.prio - b.prio })
	var placed []rect
	for _, l := range d.labels {
		face := d.f.face(labelPx, l.color, l.bold)
		if l.text == "" || !covers(face, l.text) {
			continue
		}
		m := face.Metrics()
		tw, th := face.TextWidth(l.text), m.Ascent+m.Descent
		const pad = 2
		tries := []rect{
			{l.x + l.r + 2, l.y - th/2, l.x + l.r + 2 + tw, l.y + th/2},
			{l.x - l.r - 2 - tw, l.y - th/2, l.x - l.r - 2, l.y + th/2},
			{l.x - tw/2, l.y - l.r - 2 - th, l.x + tw/2, l.y - l.r - 2},
			{l.x - tw/2, l.y + l.r + 2, l.x + tw/2, l.y + l.r + 2 + th},
		}
		for _, t := range tries {
			box := rect{t.x0 - pad, t.y0 - 1, t.x1 + pad, t.y1 + 1}
			if box.x0 < 2 || box.y0 < 2 || box.x1 > d.w-2 || box.y1 > d.h-2 || hits(box, placed) || hits(box, d.taken) {
				continue
			}
			placed = append(placed, box)
			d.drawPath(canvas.RoundedRectangle(box.x1-box.x0, box.y1-box.y0, 3).Translate(box.x0, box.y0), alpha(colWhite, 0.78), stroke{})
			d.ctx.DrawText(t.x0, t.y0+m.Ascent, canvas.NewTextLine(face, l.text, canvas.Left))
			break
		}
	}
}

func hits(b rect, rs []rect) bool {
	for _, r := range rs {
		if b.overlaps(r) {
			return true
		}
	}
	return false
}
