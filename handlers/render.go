package handlers

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
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
