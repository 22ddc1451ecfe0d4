package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
	"github.com/controlmap/controlmap/geo/render"
)

// Pictures of a dated view: /render.png, /render.svg and /render.pdf draw
// what the map draws for a date, a box and layers (geo/render), from the
// store, never from outside tiles. They are cached like every answer: per
// data version and canonical parameters.

// Render routes.
const (
	routeRenderPNG = "/render.png"
	routeRenderSVG = "/render.svg"
	routeRenderPDF = "/render.pdf"
)

// Render parameters besides bbox (params.go).
const (
	paramDate    = "date"
	paramSince   = "since"
	paramLayers  = "layers"
	paramFeature = "feature"
	paramWidth   = "width"
	paramHeight  = "height"
	paramScale   = "scale"
)

// renderTitle heads every picture: the map page's heading
// (static/templates/index.html.tmpl) without its span of dates.
const renderTitle = "Control of north-east Syria"

// renderAttribution credits the data on a picture, as the map's
// attribution does (static/js/map.js SHORT_ATTRIBUTION).
const renderAttribution = "© controlmap contributors (CC BY 4.0), from the sources cited per feature; Natural Earth"

// renderParams lists the parameters of the render routes.
func renderParams() []string {
	return []string{paramDate, paramSince, paramBBox, paramBBoxCRS, paramLayers, paramFeature, paramWidth, paramHeight, paramScale}
}

// registerRender adds the render routes with cached (GET and HEAD through
// respond).
func (s *server) registerRender(cached func(path string, h echo.HandlerFunc)) {
	cached(routeRenderPNG, func(c echo.Context) error { return s.render(c, render.PNG) })
	cached(routeRenderSVG, func(c echo.Context) error { return s.render(c, render.SVG) })
	cached(routeRenderPDF, func(c echo.Context) error { return s.render(c, render.PDF) })
}

// renderer returns the server's renderer, made on first use: at most as
// many pictures are drawn at once as there are processors.
func (s *server) renderer() (*render.Renderer, error) {
	s.renderOnce.Do(func() {
		s.renderDraw, s.renderErr = render.New(runtime.GOMAXPROCS(0))
		s.renderJobs = make(chan struct{}, runtime.GOMAXPROCS(0))
	})
	return s.renderDraw, s.renderErr
}

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

// render serves a picture in format f.
func (s *server) render(c echo.Context, f render.Format) error {
	d, err := s.data(c)
	if err != nil {
		return err
	}
	r, err := parseRender(c.QueryParams(), d)
	if err != nil {
		return err
	}
	iv := geo.Interval{}
	if r.dated {
		iv = geo.Interval{Start: r.at, End: r.at.Add(geo.Precision)}
		if !r.since.IsZero() {
			iv.Start = r.since
		}
	}
	res := resource{mediaType: f.MediaType(), maxAge: s.maxAgeFor(iv), key: r.key(), raw: f != render.SVG}
	return s.respond(c, res, func(d *dataState) (built, error) {
		ctx := c.Request().Context()
		rd, err := s.renderer()
		if err != nil {
			return built{}, err
		}
		select {
		case s.renderJobs <- struct{}{}:
			defer func() { <-s.renderJobs }()
		case <-ctx.Done():
			return built{}, ctx.Err()
		}
		sc, done, err := s.scene(ctx, d, r, f)
		if err != nil {
			return built{}, err
		}
		defer done()
		var buf bytes.Buffer
		if _, err := rd.Render(ctx, &buf, sc, f); err != nil {
			if errors.Is(err, render.ErrTooLarge) {
				return built{}, &geo.ParamError{Param: paramBBox, Value: c.QueryParam(paramBBox), Reason: strings.TrimPrefix(err.Error(), "render: ") + "; draw a smaller box or fewer layers"}
			}
			return built{}, err
		}
		return built{body: buf.Bytes()}, nil
	})
}

// scene reads what the picture shows from the store, for a picture in
// format f. A point layer the map draws from vector tiles (more than
// render.TileThreshold features) is a layer of dots; in a PNG its points
// count against render.MaxDots rather than render.MaxFeatures.
//
// The layers are read one after another, each asked for one feature more
// than the picture may still draw; but the dots of a PNG are read from the
// start, beside them, and handed to the renderer still being read, which
// draws the layers below them meanwhile (render.Layer.Load: a date's
// 50,000 points take PostGIS longer than everything else together).
//
// done ends what scene started and the picture did not ask for (a read
// of dots when the picture failed first), and waits for it: the caller
// calls it once the picture is drawn.
func (s *server) scene(ctx context.Context, d *dataState, r renderRequest, f render.Format) (sc render.Scene, done func(), err error) {
	done = func() {}
	view := defaultView(d)
	if r.bbox != nil {
		view = *r.bbox
	}
	shown := render.Shown(view, r.width, r.height)
	sc = render.Scene{Width: r.width, Height: r.height, Scale: r.scale, View: view, Title: renderTitle,
		Highlight: r.feature, Attribution: renderAttribution}
	if r.dated {
		sc.At = r.at
		sc.Date = dateWords(r.at)
	}
	tol := render.Tolerance(view, r.width, r.height, r.scale)
	type read struct {
		layer render.Layer
		q     geo.Query // its Limit set by load
	}
	var reads []*read
	for _, id := range r.layers {
		col, _ := d.collection(id)
		layer := render.Layer{Collection: col, Dots: render.DotCollection(col)}
		// A picture never shows how many matched; its dots are drawn in
		// an order of their own (render.drawDots).
		q := geo.Query{BBox: &shown, Simplify: tol, Uncounted: true, Unordered: layer.Dots}
		if strings.HasSuffix(col.GeometryType, "Point") {
			q.Simplify = 0 // nothing to simplify: PostGIS would still call ST_Simplify on every point
		}
		if layer.Dots && f == render.PNG {
			// Dots show the style's value and whether the point is one
			// party's claim (render.drawDots): nothing else is read. A dot
			// layer is a Point collection, which holds only points
			// (geo.ValidateGeometry), so no feature of it is drawn with
			// the flags of a line or an area (approximate, schematic).
			q.Properties = render.DotProperties(col)
		}
		filter, none, err := layerFilter(col, r.filters)
		if err != nil {
			return sc, done, err
		}
		if none {
			continue
		}
		q.Filter = filter
		switch {
		case !col.Dated || !r.dated:
		case col.Role == geo.RoleEvents:
			// Every event up to the date, as on the map.
			q.Time = geo.Interval{End: viewDay(r.at).End}
		default:
			q.Time = viewDay(r.at)
		}
		reads = append(reads, &read{layer: layer, q: q})
	}
	// load reads a layer, asking for one feature more than limit: more
	// than limit matched says the picture would draw too many (counted
	// before one version per thing is kept, which could bring a list cut
	// at the limit back under it).
	load := func(ctx context.Context, rd *read, limit int) (feats []geo.Feature, over bool, err error) {
		col := rd.layer.Collection
		q := rd.q
		q.Limit = limit + 1
		page, err := s.store.Items(ctx, col.ID, q)
		if err != nil {
			return nil, false, err
		}
		over = len(page.Features) > limit
		if col.Dated && r.dated && col.Role != geo.RoleEvents {
			return latestVersions(page.Features), over, nil
		}
		return page.Features, over, nil
	}
	tooMany := func(layer render.Layer) *geo.ParamError {
		reason := fmt.Sprintf("the picture would draw more than %d features; draw a smaller box or fewer layers", render.MaxFeatures)
		if layer.Dots && f != render.PNG {
			reason = fmt.Sprintf("the picture would draw more than %d features; draw a smaller box or fewer layers, or ask a PNG, which draws the points of %s as dots (up to %d)", render.MaxFeatures, layer.Collection.ID, render.MaxDots)
		}
		return &geo.ParamError{Param: paramBBox, Value: boundText(r.bbox), Reason: reason}
	}
	tooManyDots := &geo.ParamError{Param: paramBBox, Value: boundText(r.bbox),
		Reason: fmt.Sprintf("the picture would draw more than %d points as dots; draw a smaller box or fewer layers", render.MaxDots)}

	// The dots of a PNG are read from now on, on a connection of their
	// own, and drawn as soon as they come while the layers below are
	// drawn; the renderer counts them with the others then
	// (render.Layer.Load).
	lctx, cancel := context.WithCancel(ctx)
	var started sync.WaitGroup
	done = func() {
		cancel()
		started.Wait()
	}
	defer func() {
		if err != nil {
			done()
		}
	}()
	type loaded struct {
		feats []geo.Feature
		err   error
	}
	// One reader for every dot layer, one after another: with the other
	// layers' reads, a picture holds at most two connections.
	type dotRead struct {
		rd *read
		ch chan loaded // holds one value: the reader never waits on it
	}
	var dotReads []dotRead
	for _, rd := range reads {
		if !rd.layer.Dots || f != render.PNG {
			continue
		}
		dr := dotRead{rd: rd, ch: make(chan loaded, 1)}
		dotReads = append(dotReads, dr)
		rd.layer.Load = func(pctx context.Context) ([]geo.Feature, error) {
			select {
			case l := <-dr.ch:
				return l.feats, l.err
			case <-pctx.Done():
				// The picture has failed: no dot layer is needed now.
				cancel()
				return nil, pctx.Err()
			}
		}
	}
	if len(dotReads) > 0 {
		started.Go(func() {
			var failed error
			for _, dr := range dotReads {
				if failed != nil {
					// The picture fails with the first: the rest are not read.
					dr.ch <- loaded{err: failed}
					continue
				}
				feats, over, err := load(lctx, dr.rd, render.MaxFeatures+render.MaxDots)
				if err == nil && over {
					err = tooManyDots
				}
				if err == nil {
					dots := 0
					for _, ft := range feats {
						if render.IsPoints(ft.Geometry) {
							dots++
						}
					}
					if dots > render.MaxDots {
						err = tooManyDots
					}
				}
				failed = err
				dr.ch <- loaded{feats, err}
			}
		})
	}
	// The other layers one after another, each asked for no more than the
	// picture may still draw.
	total := 0
	for _, rd := range reads {
		layer := rd.layer
		if layer.Load == nil {
			feats, over, err := load(ctx, rd, render.MaxFeatures-total)
			if err != nil {
				return sc, done, err
			}
			if over {
				return sc, done, tooMany(layer)
			}
			total += len(feats)
			layer.Features = feats
		}
		sc.Layers = append(sc.Layers, layer)
		if lic := layer.Collection.License; lic != "" && !slices.Contains(sc.Licenses, lic) {
			sc.Licenses = append(sc.Licenses, lic)
		}
	}
	if !r.since.IsZero() && r.since.Before(r.at) {
		ch, err := s.renderChanges(ctx, d, r)
		if err != nil {
			return sc, done, err
		}
		sc.Changes = ch
	}
	return sc, done, nil
}

// renderChanges reads the change view: the regions of the areas that
// changed hands between since and the date, and the sites that changed.
func (s *server) renderChanges(ctx context.Context, d *dataState, r renderRequest) (*render.Changes, error) {
	areas, _ := areasCollection(d)
	a, err := s.analyticsStore()
	if err != nil {
		return nil, err
	}
	regions, err := a.RegionChanges(ctx, areas.ID, areas.Style.Property, r.since, r.at)
	if err != nil {
		return nil, err
	}
	ch := &render.Changes{Since: dateWords(r.since), Areas: areas, Regions: regions}
	if sites, ok := geo.ByRole(d.cols, geo.RoleSites); ok && sites.Style.Property != "" && sites.GroupKey != "" {
		feats, _, err := s.siteChanges(ctx, sites, r.since, r.at)
		if err != nil {
			return nil, err
		}
		ch.Sites = sites
		prop := sites.Style.Property
		for _, f := range feats {
			p, ok := f.Geometry.(orb.Point)
			if !ok {
				continue
			}
			from, _ := geo.ScalarText(f.Properties["from_"+prop])
			to, _ := geo.ScalarText(f.Properties["to_"+prop])
			ch.SiteChanges = append(ch.SiteChanges, render.SiteChange{At: p, From: from, To: to})
		}
	}
	return ch, nil
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
