package render

import (
	"image/color"
	"strconv"
	"strings"

	"github.com/controlmap/controlmap/geo"
)

// The styles below are static/js/layers.js's and symbols.js's, so that a
// picture looks like the map: change one, change the other.

// Colours of the frame and the basemap (static/css/app.css, layers.js).
var (
	colBackground = hex("#e6e4df") // .map
	colSyria      = hex("#fbfaf6")
	colLand       = hex("#f1efe9")
	colOutline    = hex("#9a9a9a")
	colInk        = hex("#111111")
	colText       = hex("#222222")
	colTown       = hex("#333333")
	colMuted      = hex("#555555")
	colWhite      = hex("#ffffff")
	colBlack      = hex("#000000")
)

// defaultColor is a collection's colour for a value without one.
const defaultColor = "#555555"

// hex parses a #rrggbb colour; anything else is defaultColor.
func hex(s string) color.NRGBA {
	if len(s) == 7 && s[0] == '#' {
		if v, err := strconv.ParseUint(s[1:], 16, 32); err == nil {
			return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
		}
	}
	if s != defaultColor {
		return hex(defaultColor)
	}
	return color.NRGBA{0x55, 0x55, 0x55, 255}
}

// alpha returns c with opacity a (0..1).
func alpha(c color.NRGBA, a float64) color.NRGBA {
	c.A = uint8(a*255 + 0.5)
	return c
}

// styleValue is the value of a feature's style property, as text.
func styleValue(col geo.Collection, f geo.Feature) string {
	if col.Style.Property == "" {
		return ""
	}
	v, _ := geo.ScalarText(f.Properties[col.Style.Property])
	return v
}

// colorOf is the colour a collection's style gives value (layers.js colorFor).
func colorOf(col geo.Collection, value string) color.NRGBA {
	if c, ok := col.Style.Colors[value]; ok && value != "" {
		return hex(c)
	}
	if col.Style.DefaultColor != "" {
		return hex(col.Style.DefaultColor)
	}
	return hex(defaultColor)
}

// label names a value of a collection's style property: its term's label,
// else the value with underscores as spaces (labels.js termLabel).
func label(col geo.Collection, prop, value string) string {
	if t, ok := col.Term(prop, value); ok && t.Label != "" {
		return t.Label
	}
	return strings.ReplaceAll(value, "_", " ")
}

// lineStyle is a line layer's stroke: width, opacity, dashes in pixels and
// round caps (layers.js lineStyle).
type lineStyle struct {
	width, opacity float64
	dash           []float64
	round          bool
}

func lineStyleOf(id string) lineStyle {
	switch id {
	case "front_lines":
		return lineStyle{width: 2.6, opacity: 0.95, dash: []float64{9, 5}}
	case "border":
		return lineStyle{width: 2.2, opacity: 0.9, dash: []float64{14, 4, 2, 4}}
	case "transfer_routes":
		return lineStyle{width: 3.2, opacity: 0.95, dash: []float64{1, 8}, round: true}
	}
	return lineStyle{width: 2, opacity: 1}
}

// lineWords is what the legend says of a line layer (legend.js).
func lineWords(col geo.Collection) string {
	switch col.ID {
	case "front_lines":
		return "Contact line between areas (schematic)"
	case "border":
		return "International border"
	case "transfer_routes":
		return "Transfer of detainees (schematic: origin to destination)"
	}
	return col.Title
}

// isDoubtful reports whether a feature's claim is one party's word or
// disputed: its shape gets a dotted edge (layers.js isDoubtful).
func isDoubtful(f geo.Feature) bool {
	c, _ := f.Properties["claim_status"].(string)
	return c == "claimed" || c == "disputed"
}

// flag reports whether a boolean property is true.
func flag(f geo.Feature, name string) bool {
	v, _ := f.Properties[name].(bool)
	return v
}

// text returns a string property, or "".
func text(f geo.Feature, name string) string {
	v, _ := f.Properties[name].(string)
	return v
}

// isUnsettled reports whether a site is drawn with a dashed ring: a status
// with a note other than unknown, or a controller that is a state other
// than unknown (labels.js isUnsettled).
func isUnsettled(col geo.Collection, f geo.Feature) bool {
	status, ctrl := text(f, "status"), styleValue(col, f)
	if t, ok := col.Term("status", status); ok && status != unknown && t.Note != "" {
		return true
	}
	t, ok := col.Term(col.Style.Property, ctrl)
	return ctrl != unknown && ok && t.State
}

// unknown is the controller and status of a site no source reports on.
const unknown = "unknown"
