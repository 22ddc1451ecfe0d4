package render

import (
	"image/color"
	"slices"
	"strings"
	"time"

	"github.com/controlmap/controlmap/geo"
)

// legend records what was drawn, for a legend of exactly that: the values
// whose colours were used, the line layers, the symbols and the honesty
// notes that apply.
type legend struct {
	groups  []*legendGroup
	lines   []legendLine
	shapes  []string // "square:Prison", "circle:Camp", "diamond:Border crossing"
	claims  []string
	changes []changePair

	schematicAreas, doubtfulAreas, schematicLines bool
	estimated, ring, siteRings                    bool
}

// swatch kinds.
const (
	swatchArea = iota
	swatchLine
	swatchSymbol
	swatchEvent
)

// legendGroup is the values of one style property drawn, with the
// collection whose style and terms name and colour them.
type legendGroup struct {
	key    string
	title  string
	col    geo.Collection
	kind   int
	values []string
}

type legendLine struct {
	id    string
	words string
	color color.NRGBA
	style lineStyle
}

type changePair struct{ from, to string }

// value records that value of col's style property was drawn.
func (l *legend) value(col geo.Collection, value string, kind int) {
	if col.Style.Property == "" {
		return
	}
	k, title := col.Style.Property, propertyTitle(col.Style.Property)
	if col.Role == geo.RoleEvents {
		k, title, kind = "events:"+col.ID, col.Title, swatchEvent
	}
	var g *legendGroup
	for _, x := range l.groups {
		if x.key == k {
			g = x
		}
	}
	if g == nil {
		g = &legendGroup{key: k, title: title, col: col, kind: kind}
		l.groups = append(l.groups, g)
	}
	if kind == swatchArea {
		g.kind = swatchArea
	}
	if !slices.Contains(g.values, value) {
		g.values = append(g.values, value)
	}
}

// propertyTitle heads the legend of a style property.
func propertyTitle(prop string) string {
	if prop == "controller" {
		return "Controlled by"
	}
	t := strings.ReplaceAll(prop, "_", " ")
	return strings.ToUpper(t[:1]) + t[1:]
}

// line records that a line layer without a style property was drawn.
func (l *legend) line(col geo.Collection, c color.NRGBA, ls lineStyle) {
	for _, x := range l.lines {
		if x.id == col.ID {
			return
		}
	}
	l.lines = append(l.lines, legendLine{id: col.ID, words: lineWords(col), color: c, style: ls})
}

// symbol records a point symbol drawn.
func (l *legend) symbol(col geo.Collection, f geo.Feature, value string, o symbolOpts) {
	l.value(col, value, swatchSymbol)
	shape := ""
	switch {
	case col.Role == geo.RoleSites:
		kind := text(f, "kind")
		if kind == "" {
			kind = "site"
		}
		shape = o.shape + ":" + strings.ToUpper(kind[:1]) + strings.ReplaceAll(kind[1:], "_", " ")
	case col.ID == "crossings":
		shape = "diamond:Border crossing (colour: who held the Syrian side)"
	}
	if shape != "" && !slices.Contains(l.shapes, shape) {
		l.shapes = append(l.shapes, shape)
	}
	if o.claim != "" && !slices.Contains(l.claims, o.claim) {
		l.claims = append(l.claims, o.claim)
	}
	l.estimated = l.estimated || o.estimated
	l.ring = l.ring || o.ring
}

// ordered returns a group's values in its style's order, then the others
// in the order drawn.
func (g *legendGroup) ordered() []string {
	out := slices.Clone(g.values)
	rank := func(v string) int {
		if i := slices.Index(g.col.Style.Order, v); i >= 0 {
			return i
		}
		return len(g.col.Style.Order)
	}
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}

// Drawn is what a picture's legend lists: for each style property, the
// values whose colours were drawn.
type Drawn map[string][]string

// drawn returns the legend's values by group key.
func (l *legend) drawn() Drawn {
	out := Drawn{}
	for _, g := range l.groups {
		out[g.key] = g.ordered()
	}
	return out
}

// eventTime is when an event happened: the start of its validity.
func eventTime(f geo.Feature) (time.Time, bool) {
	return f.Valid.Start, !f.Valid.Start.IsZero()
}
