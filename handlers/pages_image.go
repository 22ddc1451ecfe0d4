package handlers

import (
	"errors"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// The picture of a page's state: what a shared link shows (og:image, the
// Twitter card), oEmbed's thumbnail and the widget code's <noscript>
// image, all drawn by /render.png from the same parameters as the map page.

// cardWidth and cardHeight are the size of the picture of a page, in
// pixels: the social cards' 1.91:1 is near enough 16:9, the render's
// default.
const (
	cardWidth  = 1200
	cardHeight = 675
)

// pageImageQuery returns the /render.png parameters for the state of a map
// page or widget with the query q, drawn at date (the page's date,
// YYYY-MM-DD): since, the view (lat,lon,zoom, as the picture of that view
// at the card's size) or a bbox, the layers, the filters (f.PROPERTY) and
// the selection (sel). The area chart (view=chart) shows as the map of its
// date. refused, when not
// nil, returns the parameter the render would refuse ("" for none); the
// optional ones it names are dropped, so that a card never points at a 400.
func pageImageQuery(q url.Values, date string, refused func(url.Values) string) url.Values {
	out := url.Values{}
	if date != "" {
		out.Set("date", date)
	}
	if v := q.Get("since"); v != "" {
		out.Set("since", v)
	}
	if b, ok := viewBound(q.Get("view"), cardWidth, cardHeight); ok {
		out.Set("bbox", boundParam(b))
	} else if v := q.Get("bbox"); v != "" && q.Get("view") == "" {
		out.Set("bbox", v)
	}
	if v := q.Get("layers"); q.Has("layers") {
		out.Set("layers", v)
	}
	if v := q.Get("sel"); v != "" {
		out.Set("feature", v)
	}
	for k := range q {
		if pageFilterParam(k) {
			out.Set(k, q.Get(k))
		}
	}
	// One parameter at a time, each at most once: the loop ends.
	for range len(out) {
		if refused == nil {
			break
		}
		name := refused(out)
		if name == "" || name == "date" || !out.Has(name) {
			break
		}
		out.Del(name)
	}
	out.Set("width", strconv.Itoa(cardWidth))
	out.Set("height", strconv.Itoa(cardHeight))
	return out
}

// viewBound is the lon/lat box that a map of w×h pixels shows at view
// ("lat,lon,zoom", as the map page's URL has it) in Web Mercator, as
// Leaflet draws it with 256-pixel tiles. ok is false for a malformed view
// (or "chart").
func viewBound(view string, w, h int) (orb.Bound, bool) {
	parts := strings.Split(view, ",")
	if len(parts) != 3 {
		return orb.Bound{}, false
	}
	var v [3]float64
	for i, s := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return orb.Bound{}, false
		}
		v[i] = f
	}
	lat, lon, zoom := v[0], v[1], v[2]
	if math.Abs(lat) > 85 || math.Abs(lon) > 180 || zoom < 0 || zoom > 20 {
		return orb.Bound{}, false
	}
	// World pixels at this zoom, and the centre in them.
	world := 256 * math.Exp2(zoom)
	x := (lon + 180) / 360 * world
	y := (1 - math.Log(math.Tan(math.Pi/4+lat*math.Pi/360))/math.Pi) / 2 * world
	toLon := func(px float64) float64 { return px/world*360 - 180 }
	toLat := func(py float64) float64 {
		return math.Atan(math.Sinh(math.Pi*(1-2*py/world))) * 180 / math.Pi
	}
	clamp := func(v, lo, hi float64) float64 { return math.Max(lo, math.Min(hi, v)) }
	b := orb.Bound{
		Min: orb.Point{clamp(toLon(x-float64(w)/2), -180, 180), clamp(toLat(y+float64(h)/2), -85, 85)},
		Max: orb.Point{clamp(toLon(x+float64(w)/2), -180, 180), clamp(toLat(y-float64(h)/2), -85, 85)},
	}
	return b, b.Min[0] < b.Max[0] && b.Min[1] < b.Max[1]
}

// boundParam writes a box as a bbox parameter, to six decimals (0.1 m).
func boundParam(b orb.Bound) string {
	f := func(v float64) string { return strconv.FormatFloat(math.Round(v*1e6)/1e6, 'f', -1, 64) }
	return f(b.Min[0]) + "," + f(b.Min[1]) + "," + f(b.Max[0]) + "," + f(b.Max[1])
}

// pageDescription names the state of a page's query for link previews: the
// title (oEmbed's: the map on its date, or the changes since an earlier
// date) and a description with the date's summary and the selection.
func pageDescription(q url.Values, date, summary string) (title, description string) {
	state := url.Values{}
	for _, k := range []string{"since", "view"} {
		if v := q.Get(k); v != "" {
			state.Set(k, v)
		}
	}
	if date != "" {
		state.Set("date", date)
	}
	title = oembedTitle(state)
	description = title + "."
	if sel := q.Get("sel"); sel != "" {
		if _, key, ok := strings.Cut(sel, ":"); ok && key != "" {
			description += " Selected: " + key + "."
		}
	}
	if summary != "" {
		description += " " + summary
	}
	const most = 300 // what link previews show, about
	if r := []rune(description); len(r) > most {
		description = strings.TrimSpace(string(r[:most-1])) + "…"
	}
	return title, description
}

// renderRefuses returns the parameter /render.png would refuse, for the
// data d: "" when it accepts them, "date" when it refuses them otherwise.
func (s *server) renderRefuses(d *dataState) func(url.Values) string {
	return func(q url.Values) string {
		_, err := parseRender(q, d)
		var pe *geo.ParamError
		switch {
		case err == nil:
			return ""
		case errors.As(err, &pe):
			return pe.Param
		}
		return "date"
	}
}
