package render

import (
	"fmt"
	"image/color"
	"math"
	"strings"

	"github.com/tdewolff/canvas"
)

// The frame: the title box (title, date, change view, schematic note) at
// the top left, the legend at the bottom left, the scale bar and the
// attribution at the bottom right. Its boxes are laid out before the labels
// are placed, so that no label runs under them, and drawn last.

// Notes the picture carries where they apply (the map's legend.js).
const (
	noteSchematic = "Areas are schematic: drawn from the reported timeline, not surveyed lines (dashed edges)."
	noteEstimated = "Dotted outline: an estimated position, rounded to a grid no finer than its confidence."
	noteLines     = "Contact lines and transfers are schematic."
)

// textLine is one line of the frame's text.
type textLine struct {
	s    string
	px   float64
	bold bool
	ink  color.NRGBA
}

// row is one line of the legend: a swatch and words, or a heading.
type row struct {
	heading bool
	words   string
	swatch  func(x, y, s float64) // draws the swatch in the s by s box at x, y
}

// box is a laid-out part of the frame.
type box struct {
	r    rect
	draw func()
}

func (d *drawer) margin() float64 { return 10 * d.u }

// wrap breaks s into lines no wider than maxW in face.
func wrap(face *canvas.FontFace, s string, maxW float64) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		try := w
		if line != "" {
			try = line + " " + w
		}
		if line != "" && face.TextWidth(try) > maxW {
			out = append(out, line)
			line = w
			continue
		}
		line = try
	}
	if line != "" {
		out = append(out, line)
	}
	return out
}

// textBox lays out lines in a white box whose top left corner is at x, y
// (or whose right edge is at x when right is set), at most maxW wide.
func (d *drawer) textBox(x, y, maxW float64, right bool, lines []textLine, extra float64, drawExtra func(x0, y0 float64)) box {
	pad := 7 * d.u
	type laid struct {
		s    string
		face *canvas.FontFace
		y    float64
	}
	var out []laid
	w, h := 0.0, pad
	for _, l := range lines {
		face := d.f.face(l.px*d.u, l.ink, l.bold)
		if !covers(face, l.s) {
			continue
		}
		m := face.Metrics()
		for _, s := range wrap(face, l.s, maxW-2*pad) {
			w = math.Max(w, face.TextWidth(s))
			h += m.Ascent
			out = append(out, laid{s, face, h})
			h += m.Descent + 2*d.u
		}
	}
	w = math.Max(w, extra)
	if drawExtra != nil {
		h += extra / 4
	}
	w += 2 * pad
	h += pad - 2*d.u
	x0 := x
	if right {
		x0 = x - w
	}
	r := rect{x0, y, x0 + w, y + h}
	return box{r: r, draw: func() {
		d.panel(r)
		for _, l := range out {
			d.ctx.DrawText(x0+pad, y+l.y, canvas.NewTextLine(l.face, l.s, canvas.Left))
		}
		if drawExtra != nil {
			drawExtra(x0+pad, y+h-pad-extra/4)
		}
	}}
}

// panel draws the white box under a part of the frame.
func (d *drawer) panel(r rect) {
	d.drawPath(canvas.RoundedRectangle(r.x1-r.x0, r.y1-r.y0, 4*d.u).Translate(r.x0, r.y0), alpha(colWhite, 0.92), stroke{color: alpha(colOutline, 0.8), width: 1})
}

// header is the title box.
func (d *drawer) header() box {
	m := d.margin()
	lines := []textLine{{s: d.sc.Title, px: 21, bold: true, ink: colText}, {s: d.sc.Date, px: 16, ink: colText}}
	if ch := d.sc.Changes; ch != nil && ch.Since != "" {
		lines = append(lines, textLine{s: "Hatched: changed hands between " + ch.Since + " and " + d.sc.Date + " (approximate)", px: 12.5, ink: colText})
	}
	if d.legend.schematicAreas {
		lines = append(lines, textLine{s: noteSchematic, px: 12.5, bold: true, ink: hex("#7a4b00")})
	}
	return d.textBox(m, m, math.Min(d.w-2*m, 560*d.u), false, lines, 0, nil)
}

// footer is the scale bar and the attribution.
func (d *drawer) footer() box {
	m := d.margin()
	var lines []textLine
	if d.sc.Attribution != "" {
		lines = append(lines, textLine{s: d.sc.Attribution, px: 10.5, ink: colTown})
	}
	if len(d.sc.Licenses) > 0 {
		lines = append(lines, textLine{s: "Licences: " + strings.Join(d.sc.Licenses, "; ") + ". No outside map tiles.", px: 10.5, ink: colTown})
	}
	barPx, barWords := d.scaleBar()
	face := d.f.face(10.5*d.u, colText, false)
	extra := barPx + 6*d.u + face.TextWidth(barWords)
	maxW := math.Min(d.w*0.5, 460*d.u)
	b := d.textBox(d.w-m, 0, maxW, true, lines, extra, func(x0, y0 float64) {
		y := y0 + extra/8
		d.drawPath(barPath(x0, y, barPx, 5*d.u), color.NRGBA{}, stroke{color: colText, width: 1.5})
		d.ctx.DrawText(x0+barPx+6*d.u, y+3*d.u, canvas.NewTextLine(face, barWords, canvas.Left))
	})
	// Anchored at the bottom: move it down.
	hgt := b.r.y1 - b.r.y0
	dy := d.h - m - hgt
	inner := b.draw
	b.r.y0, b.r.y1 = dy, dy+hgt
	b.draw = func() {
		d.ctx.Push()
		d.ctx.Translate(0, dy)
		inner()
		d.ctx.Pop()
	}
	return b
}

// barPath is a scale bar: a line with ticks at both ends.
func barPath(x, y, w, tick float64) *canvas.Path {
	p := &canvas.Path{}
	p.MoveTo(x, y-tick)
	p.LineTo(x, y)
	p.LineTo(x+w, y)
	p.LineTo(x+w, y-tick)
	return p
}

// scaleBar picks a round distance of at most 120 pixels at the picture's
// centre, and its words.
func (d *drawer) scaleBar() (float64, string) {
	mpp := d.pr.metresPerPixel()
	maxM := 120 * d.u * mpp
	step := math.Pow(10, math.Floor(math.Log10(maxM)))
	dist := step
	for _, f := range []float64{5, 2, 1} {
		if f*step <= maxM {
			dist = f * step
			break
		}
	}
	words := fmt.Sprintf("%g km", dist/1000)
	if dist < 1000 {
		words = fmt.Sprintf("%g m", dist)
	}
	return dist / mpp, words
}

// legendRows lists the legend's lines.
func (d *drawer) legendRows() []row {
	l := &d.legend
	var rows []row
	for _, g := range l.groups {
		if len(g.values) == 0 {
			continue
		}
		rows = append(rows, row{heading: true, words: g.title})
		for _, v := range g.ordered() {
			c := colorOf(g.col, v)
			var words string
			if g.kind == swatchEvent {
				words = capital(label(g.col, g.col.Style.Property, v))
			} else {
				words = label(g.col, g.col.Style.Property, v)
			}
			if v == "" {
				words = "Not recorded"
			}
			kind := g.kind
			rows = append(rows, row{words: words, swatch: func(x, y, s float64) {
				switch kind {
				case swatchArea:
					d.drawPath(canvas.Rectangle(s, s*0.75).Translate(x, y+s*0.125), alpha(c, 0.32), stroke{color: alpha(c, 0.9), width: 1.2, dash: []float64{4, 3}})
				case swatchLine:
					d.drawPath(hline(x, y+s/2, s), color.NRGBA{}, stroke{color: c, width: 2.5})
				case swatchEvent:
					d.symbol(x+s/2, y+s/2, symbolOpts{shape: "circle", fill: c, size: s})
				default:
					d.symbol(x+s/2, y+s/2, symbolOpts{shape: "square", fill: c, size: s + 2, unknown: v == unknown})
				}
			}})
		}
	}
	if len(l.changes) > 0 {
		ch := d.sc.Changes
		rows = append(rows, row{heading: true, words: "Changed hands since " + ch.Since})
		for _, p := range l.changes {
			from, to := colorOf(ch.Areas, p.from), colorOf(ch.Areas, p.to)
			rows = append(rows, row{words: label(ch.Areas, ch.Areas.Style.Property, p.from) + " → " + label(ch.Areas, ch.Areas.Style.Property, p.to), swatch: func(x, y, s float64) {
				d.drawHatched(canvas.Rectangle(s, s*0.75).Translate(x, y+s*0.125), to, from, 2)
			}})
		}
	}
	if l.siteRings {
		rows = append(rows, row{words: "Ring: a site that changed hands (colour: former controller)", swatch: func(x, y, s float64) {
			d.drawPath(canvas.Circle(s/2-1).Translate(x+s/2, y+s/2), color.NRGBA{}, stroke{color: colMuted, width: 2})
		}})
	}
	if len(l.lines) > 0 {
		rows = append(rows, row{heading: true, words: "Lines"})
		for _, ln := range l.lines {
			ln := ln
			rows = append(rows, row{words: ln.words, swatch: func(x, y, s float64) {
				dash := make([]float64, len(ln.style.dash))
				for i, v := range ln.style.dash {
					dash[i] = v * 0.6
				}
				d.drawPath(hline(x, y+s/2, s*1.4), color.NRGBA{}, stroke{color: alpha(ln.color, ln.style.opacity), width: ln.style.width, dash: dash, round: ln.style.round})
			}})
		}
	}
	if len(l.shapes) > 0 || l.ring || l.estimated || len(l.claims) > 0 {
		rows = append(rows, row{heading: true, words: "Symbols"})
		for _, sh := range l.shapes {
			shape, words, _ := strings.Cut(sh, ":")
			rows = append(rows, row{words: words, swatch: func(x, y, s float64) {
				d.symbol(x+s/2, y+s/2, symbolOpts{shape: shape, fill: colWhite, size: s + 2})
			}})
		}
		if l.ring {
			rows = append(rows, row{words: "Dashed ring: besieged, contested or in transition", swatch: func(x, y, s float64) {
				d.symbol(x+s/2, y+s/2, symbolOpts{shape: "square", fill: colWhite, size: s + 2, ring: true})
			}})
		}
		if l.estimated {
			rows = append(rows, row{words: "Dotted outline: estimated position", swatch: func(x, y, s float64) {
				d.symbol(x+s/2, y+s/2, symbolOpts{shape: "square", fill: colWhite, size: s + 2, estimated: true})
			}})
		}
		for _, c := range l.claims {
			c := c
			rows = append(rows, row{words: claimWords(d.sc, c), swatch: func(x, y, s float64) {
				d.symbol(x+s/2, y+s/2, symbolOpts{shape: "square", fill: colWhite, size: s + 4, claim: c})
			}})
		}
	}
	return rows
}

// claimWords names a claim_status value by the first layer's term for it.
func claimWords(sc *Scene, c string) string {
	for _, l := range sc.Layers {
		if t, ok := l.Collection.Term("claim_status", c); ok && t.Label != "" {
			return "Badge: " + t.Label
		}
	}
	return "Badge: " + c
}

func capital(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func hline(x, y, w float64) *canvas.Path {
	p := &canvas.Path{}
	p.MoveTo(x, y)
	p.LineTo(x+w, y)
	return p
}

// legendBox lays the legend out in columns at the bottom left, between
// top (the title box) and bottom.
func (d *drawer) legendBox(rows []row, top, bottom float64) box {
	m, pad := d.margin(), 7*d.u
	sw, rowH := 13*d.u, 17*d.u
	face := d.f.face(11.5*d.u, colText, false)
	bold := d.f.face(11.5*d.u, colText, true)
	maxH := bottom - top - m - 2*pad
	perCol := max(1, int(maxH/rowH))
	type cell struct {
		r    row
		x, y float64
	}
	var cells []cell
	x, colW, w := 0.0, 0.0, 0.0
	for i, r := range rows {
		if i > 0 && i%perCol == 0 {
			x += colW + 14*d.u
			colW = 0
		}
		f := face
		if r.heading {
			f = bold
		}
		tw := f.TextWidth(r.words)
		if !r.heading {
			tw += sw*1.4 + 6*d.u
		}
		colW = math.Max(colW, tw)
		w = math.Max(w, x+colW)
		cells = append(cells, cell{r, x, float64(i%perCol) * rowH})
	}
	n := min(len(rows), perCol)
	bw, bh := w+2*pad, float64(n)*rowH+2*pad-4*d.u
	r := rect{m, bottom - bh, m + bw, bottom}
	asc := face.Metrics().Ascent
	return box{r: r, draw: func() {
		d.panel(r)
		for _, c := range cells {
			x0, y0 := r.x0+pad+c.x, r.y0+pad+c.y
			if c.r.heading {
				if covers(bold, c.r.words) {
					d.ctx.DrawText(x0, y0+asc, canvas.NewTextLine(bold, c.r.words, canvas.Left))
				}
				continue
			}
			c.r.swatch(x0, y0+(rowH-4*d.u-sw)/2, sw)
			if covers(face, c.r.words) {
				d.ctx.DrawText(x0+sw*1.4+6*d.u, y0+asc, canvas.NewTextLine(face, c.r.words, canvas.Left))
			}
		}
	}}
}

// frame lays out the frame, places the labels around it and draws both.
func (d *drawer) frame() {
	head := d.header()
	foot := d.footer()
	d.taken = append(d.taken, head.r, foot.r)
	rows := d.legendRows()
	var leg box
	if len(rows) > 0 {
		// Beside the footer if it fits there, else above it.
		leg = d.legendBox(rows, head.r.y1, d.h-d.margin())
		if leg.r.x1 > foot.r.x0-d.margin() {
			leg = d.legendBox(rows, head.r.y1, foot.r.y0-d.margin())
		}
		d.taken = append(d.taken, leg.r)
	}
	d.placeLabels()
	head.draw()
	foot.draw()
	if leg.draw != nil {
		leg.draw()
	}
}
