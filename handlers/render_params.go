package handlers

import (
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
	"github.com/controlmap/controlmap/geo/render"
)

// The parameters of a picture (/render.png, .svg, .pdf): parsed, checked
// and made canonical (the cache key) before anything is drawn; the layers'
// filters and the default view come from the data state.

// renderRequest is a parsed render query.
type renderRequest struct {
	at      time.Time // the date shown (midnight) or instant
	dated   bool      // false for an undated dataset
	since   time.Time // zero: no change view
	bbox    *orb.Bound
	layers  []string // in drawing order
	feature render.Selection
	width   int
	height  int
	scale   int
	// filters are the map page's (f.PROPERTY): the values of a property
	// kept, in every layer that has the property; none: no feature of it.
	filters map[string][]string
}

// key is the part of the cache key and ETag that stands for the request:
// the parsed values, so that one picture spelt two ways is kept once.
func (r renderRequest) key() []string {
	k := []string{"date=" + formatInstant(r.at), "layers=" + strings.Join(r.layers, ","),
		"feature=" + r.feature.Collection + ":" + r.feature.Key,
		fmt.Sprintf("size=%dx%d@%d", r.width, r.height, r.scale)}
	if !r.since.IsZero() {
		k = append(k, "since="+formatInstant(r.since))
	}
	if b := r.bbox; b != nil {
		k = append(k, fmt.Sprintf("bbox=%g,%g,%g,%g", b.Min[0], b.Min[1], b.Max[0], b.Max[1]))
	}
	for _, prop := range slices.Sorted(maps.Keys(r.filters)) {
		k = append(k, pageFilterPrefix+prop+"="+strconv.Quote(strings.Join(r.filters[prop], "\x00")))
	}
	return k
}

// filterName is a property name the page's filters may name: a CQL2
// identifier as filters.js writes it, in double quotes.
var filterName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// renderFilters parses the map page's filters: f.PROPERTY is the values of
// the property kept, comma-separated, a comma or % inside a value
// percent-encoded (static/js/urlstate.js); empty: none.
func renderFilters(p params) (map[string][]string, error) {
	var out map[string][]string
	// In order, so that the first bad one is the one named, every time.
	for _, name := range slices.Sorted(maps.Keys(p)) {
		v := p[name]
		if !pageFilterParam(name) {
			continue
		}
		prop := strings.TrimPrefix(name, pageFilterPrefix)
		if !filterName.MatchString(prop) {
			return nil, &geo.ParamError{Param: name, Value: v, Reason: "not a property the map filters by"}
		}
		vals := []string{}
		if v != "" {
			for _, raw := range strings.Split(v, ",") {
				val, err := url.PathUnescape(raw)
				if err != nil {
					return nil, &geo.ParamError{Param: name, Value: v, Reason: "a value is not percent-encoded right: " + err.Error()}
				}
				vals = append(vals, val)
			}
		}
		slices.Sort(vals)
		if out == nil {
			out = map[string][]string{}
		}
		out[prop] = slices.Compact(vals)
	}
	return out, nil
}

// layerFilter is the CQL2 filter of the page's filters on one layer: each
// property the collection has keeps its values (none is false: the layer
// shows nothing); nil when no filter applies.
func layerFilter(col geo.Collection, filters map[string][]string) (e *cql2.Expr, none bool, err error) {
	var terms, names []string
	for _, prop := range slices.Sorted(maps.Keys(filters)) {
		if !slices.Contains(col.Properties, prop) {
			continue
		}
		vals := filters[prop]
		if len(vals) == 0 {
			return nil, true, nil
		}
		quoted := make([]string, len(vals))
		for i, v := range vals {
			quoted[i] = "'" + strings.ReplaceAll(v, "'", "''") + "'"
		}
		terms = append(terms, `"`+prop+`" IN (`+strings.Join(quoted, ",")+")")
		names = append(names, pageFilterPrefix+prop)
	}
	if len(terms) == 0 {
		return nil, false, nil
	}
	src := strings.Join(terms, " AND ")
	if e, err = cql2.ParseText(src, queryables(col), cql2.DefaultLimits); err != nil {
		return nil, false, &geo.ParamError{Param: names[0], Value: src, Reason: "as a filter on " + col.ID + ": " + err.Error()}
	}
	return e, false, nil
}

// parseRender checks and parses a render query against the data state d.
func parseRender(q url.Values, d *dataState) (renderRequest, error) {
	p, err := strictParams(q, renderParams(), pageFilterParam)
	if err != nil {
		return renderRequest{}, err
	}
	r := renderRequest{}
	if r.filters, err = renderFilters(p); err != nil {
		return r, err
	}
	if r.width, err = intParam(p, paramWidth, render.DefaultWidth, render.MinWidth, render.MaxSide); err != nil {
		return r, err
	}
	if r.height, err = intParam(p, paramHeight, render.DefaultHeight, render.MinHeight, render.MaxSide); err != nil {
		return r, err
	}
	if r.scale, err = intParam(p, paramScale, 1, 1, render.MaxScale); err != nil {
		return r, err
	}
	if px := r.width * r.height * r.scale * r.scale; px > render.MaxPixels {
		return r, &geo.ParamError{Param: paramScale, Value: p[paramScale],
			Reason: fmt.Sprintf("%d×%d at scale %d is %d pixels; at most %d (%d×%d): ask a smaller width or height", r.width, r.height, r.scale, px, render.MaxPixels, render.MaxSide, render.MaxSide)}
	}
	if r.bbox, err = p.bbox(); err != nil {
		return r, err
	}
	var ok bool
	if r.at, ok, err = analyticsInstant(p, paramDate); err != nil {
		return r, err
	}
	r.dated = len(d.changeTimes()) > 0
	if !ok && r.dated {
		return r, &geo.ParamError{Param: paramDate, Reason: "required: the date to draw (YYYY-MM-DD), as on the map"}
	}
	if r.since, ok, err = analyticsInstant(p, paramSince); err != nil {
		return r, err
	}
	if ok {
		if r.since.After(r.at) {
			return r, &geo.ParamError{Param: paramSince, Value: p[paramSince], Reason: "after date (" + p[paramDate] + "); the change view compares an earlier date with the date drawn"}
		}
		if _, found := areasCollection(d); !found {
			return r, &geo.ParamError{Param: paramSince, Value: p[paramSince], Reason: "the data has no polygon collection styled by a property to compare"}
		}
	}
	if r.layers, err = renderLayers(p, d); err != nil {
		return r, err
	}
	if v, given := p[paramFeature]; given {
		col, k, found := strings.Cut(v, ":")
		if !found || col == "" || k == "" {
			return r, &geo.ParamError{Param: paramFeature, Value: v, Reason: "want collection:key, as the map's sel (facilities:al-hol)"}
		}
		if !slices.Contains(r.layers, col) {
			return r, &geo.ParamError{Param: paramFeature, Value: v, Reason: "the collection " + strconv.Quote(col) + " is not among the layers drawn"}
		}
		r.feature = render.Selection{Collection: col, Key: k}
	}
	return r, nil
}

// intParam parses a whole number from lo to hi; def when absent.
func intParam(p params, name string, def, lo, hi int) (int, error) {
	v, ok := p[name]
	if !ok {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, &geo.ParamError{Param: name, Value: v, Reason: fmt.Sprintf("want a whole number from %d to %d", lo, hi)}
	}
	return n, nil
}

// renderLayers parses layers: collection ids, comma-separated; absent,
// every collection (the map shows every layer at first). They are drawn in
// the map's order (render.Order), whatever order they are given in.
func renderLayers(p params, d *dataState) ([]string, error) {
	ids := make([]string, len(d.cols))
	for i, col := range d.cols {
		ids[i] = col.ID
	}
	v, ok := p[paramLayers]
	if !ok {
		return render.Order(ids, roles(d)), nil
	}
	var out []string
	if v != "" {
		for _, id := range strings.Split(v, ",") {
			if !slices.Contains(ids, id) {
				return nil, &geo.ParamError{Param: paramLayers, Value: v, Reason: fmt.Sprintf("unknown collection %q; the layers are %s", id, strings.Join(ids, ", "))}
			}
			if !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return render.Order(out, roles(d)), nil
}

// roles maps collection ids to their roles.
func roles(d *dataState) map[string]string {
	out := map[string]string{}
	for _, col := range d.cols {
		if col.Role != "" {
			out[col.ID] = col.Role
		}
	}
	return out
}

// areasCollection is the polygon collection the change view compares (as
// static/js/analytics.js): control_areas, else the first polygon
// collection with a style property.
func areasCollection(d *dataState) (geo.Collection, bool) {
	if col, ok := d.collection("control_areas"); ok && isPolygonal(col) && col.Style.Property != "" {
		return col, true
	}
	for _, col := range d.cols {
		if isPolygonal(col) && col.Style.Property != "" {
			return col, true
		}
	}
	return geo.Collection{}, false
}

// defaultView is the box a picture shows without bbox: the extent of the
// areas (the map's first view), else of the dated collections, else of all.
func defaultView(d *dataState) orb.Bound {
	if col, ok := areasCollection(d); ok && !col.Extent.Empty {
		return col.Extent.Bound
	}
	var b orb.Bound
	seen := false
	for _, dated := range []bool{true, false} {
		for _, col := range d.cols {
			if col.Extent.Empty || (dated && !col.Dated) {
				continue
			}
			if !seen {
				b, seen = col.Extent.Bound, true
			} else {
				b = b.Union(col.Extent.Bound)
			}
		}
		if seen {
			return b
		}
	}
	return orb.Bound{Min: orb.Point{-180, -85}, Max: orb.Point{180, 85}}
}

// viewDay is the day of a date, or the instant of a date-time.
func viewDay(t time.Time) geo.Interval {
	if t.Equal(geo.Day(t).Start) {
		return geo.Day(t)
	}
	return geo.Instant(t)
}

// dateWords writes a date as "15 January 2026", an instant with its time.
func dateWords(t time.Time) string {
	if t.Equal(geo.Day(t).Start) {
		return t.Format("2 January 2006")
	}
	return t.UTC().Format("2 January 2006, 15:04 UTC")
}

func boundText(b *orb.Bound) string {
	if b == nil {
		return ""
	}
	return fmt.Sprintf("%g,%g,%g,%g", b.Min[0], b.Min[1], b.Max[0], b.Max[1])
}
