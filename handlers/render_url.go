package handlers

import (
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/controlmap/controlmap/geo/render"
)

// RenderURL returns the URL of the picture of a map page's state, for the
// pages' og:image, the embed code's <noscript> image, oEmbed's thumbnail
// and the Share dialog's download. base is the server's external URL
// (Options.BaseURL, or the request's scheme and host), page the query of
// the map page or widget (date, since, view or bbox, layers, sel; see
// static/js/urlstate.js), format "png", "svg" or "pdf", and width and
// height the picture's size in CSS pixels (clamped to the render limits).
//
// view (lat,lon,zoom) becomes the box a Leaflet map of that size shows at
// that zoom; sel becomes feature, unless the layers named leave its
// collection out. The filters of the layer panel (f.PROPERTY), lang and the
// widget's own parameters are not drawn and are left out.
func RenderURL(base, page, format string, width, height int) string {
	in, _ := url.ParseQuery(strings.TrimPrefix(page, "?"))
	width = min(max(width, render.MinWidth), render.MaxSide)
	height = min(max(height, render.MinHeight), render.MaxSide)
	out := url.Values{}
	for _, name := range []string{paramDate, paramSince, paramLayers} {
		if v := in.Get(name); v != "" || (name == paramLayers && in.Has(name)) {
			out.Set(name, v)
		}
	}
	if b, ok := viewBox(in.Get("view"), width, height); ok {
		out.Set(paramBBox, b)
	} else if v := in.Get(paramBBox); v != "" {
		out.Set(paramBBox, v)
	}
	if sel := in.Get("sel"); sel != "" {
		col, _, _ := strings.Cut(sel, ":")
		if !in.Has(paramLayers) || slices.Contains(strings.Split(in.Get(paramLayers), ","), col) {
			out.Set(paramFeature, sel)
		}
	}
	if width != render.DefaultWidth {
		out.Set(paramWidth, strconv.Itoa(width))
	}
	if height != render.DefaultHeight {
		out.Set(paramHeight, strconv.Itoa(height))
	}
	if format != "svg" && format != "pdf" {
		format = "png"
	}
	q := strings.NewReplacer("%2C", ",", "%3A", ":").Replace(out.Encode())
	u := strings.TrimRight(base, "/") + "/render." + format
	if q != "" {
		u += "?" + q
	}
	return u
}

// viewBox returns the bbox a Leaflet map of w by h pixels shows at view
// (lat,lon,zoom), if view is one.
func viewBox(view string, w, h int) (string, bool) {
	parts := strings.Split(view, ",")
	if len(parts) != 3 {
		return "", false
	}
	var v [3]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(p, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return "", false
		}
		v[i] = f
	}
	lat, lon, zoom := v[0], v[1], v[2]
	if math.Abs(lat) > 85 || math.Abs(lon) > 180 || zoom < 0 || zoom > 20 {
		return "", false
	}
	k := 256 * math.Exp2(zoom)
	s := math.Sin(lat * math.Pi / 180)
	cx, cy := (lon+180)/360, 0.5-math.Log((1+s)/(1-s))/(4*math.Pi)
	toLon := func(x float64) float64 { return math.Max(-180, math.Min(180, x*360-180)) }
	toLat := func(y float64) float64 {
		return math.Max(-85, math.Min(85, math.Atan(math.Sinh(math.Pi*(1-2*y)))*180/math.Pi))
	}
	dx, dy := float64(w)/2/k, float64(h)/2/k
	f := func(x float64) string { return strconv.FormatFloat(x, 'f', 5, 64) }
	return f(toLon(cx-dx)) + "," + f(toLat(cy+dy)) + "," + f(toLon(cx+dx)) + "," + f(toLat(cy-dy)), true
}
