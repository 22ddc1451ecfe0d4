package handlers

import (
	"context"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/mvt"
)

// Vector tiles of a collection, OGC API – Tiles style: one tile matrix set
// (WebMercatorQuad), Mapbox Vector Tiles of one layer named after the
// collection, filtered by datetime and property filters like items. The
// store draws them when it can (geo.TileStore: geo/mvt, in memory and from
// PostGIS's rows); otherwise they are drawn here from an items query. Tiles are
// cached like items: per data version, epoch of the layer and tile.

// Tile routes.
const (
	routeTileSets = "/collections/:collectionId/tiles"
	routeTileSet  = "/collections/:collectionId/tiles/" + geo.TileMatrixSet
	// routeTile is the OGC API – Tiles path, row before column.
	routeTile = routeTileSet + "/:z/:y/:x"
	// routeTileXYZ is the {z}/{x}/{y}.mvt template map libraries expect.
	routeTileXYZ = "/collections/:collectionId/tiles/:z/:x/:y"
)

// MediaMVT is the media type of a vector tile.
const MediaMVT = mvt.MediaType

// Values of the OGC API – Tiles vocabulary.
const (
	tileMatrixSetURI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
	crsWebMercator   = "http://www.opengis.net/def/crs/EPSG/0/3857"
	relTilingScheme  = "http://www.opengis.net/def/rel/ogc/1.0/tiling-scheme"
	mediaTileJSON    = MediaJSON
	tileJSONVersion  = "3.0.0"
	tileXYZSuffix    = ".mvt"
	tileTemplateOGC  = "/{z}/{y}/{x}"
	tileTemplateXYZ  = "/{z}/{x}/{y}" + tileXYZSuffix
)

// registerTiles adds the tile routes with get (GET and HEAD).
func (s *server) registerTiles(get func(path string, h echo.HandlerFunc)) {
	get(routeTileSets, s.tileSets)
	get(routeTileSet, s.tileJSON)
	get(routeTile, func(c echo.Context) error { return s.tile(c, c.Param("z"), c.Param("x"), c.Param("y")) })
	get(routeTileXYZ, func(c echo.Context) error {
		y, ok := strings.CutSuffix(c.Param("y"), tileXYZSuffix)
		if !ok {
			return &geo.ParamError{Param: "y", Value: c.Param("y"), Reason: "want the tile row followed by .mvt, as in /tiles/7/77/51.mvt"}
		}
		return s.tile(c, c.Param("z"), c.Param("x"), y)
	})
}

// tile serves one vector tile. An empty tile is 200 with no body.
func (s *server) tile(c echo.Context, z, x, y string) error {
	col, err := s.lookup(c)
	if err != nil {
		return err
	}
	t, err := geo.ParseTile(z, x, y)
	if err != nil {
		return err
	}
	q, _, err := parseFilter(col, c.QueryParams(), false)
	if err != nil {
		return err
	}
	d, err := s.data(c)
	if err != nil {
		return err
	}
	// A tile's bytes depend on the epoch of the layer, not on the date
	// asked: every date between the same two changes shares one answer.
	key := append([]string{col.ID, geo.TileKey(t), d.timeKey(col.ID, q.Time)}, queryKey(q)...)
	return s.respond(c, resource{mediaType: MediaMVT, maxAge: s.maxAgeFor(q.Time), key: key}, func(*dataState) (built, error) {
		b, err := s.drawTile(c.Request().Context(), col.ID, t, q)
		return built{body: b}, err
	})
}

// drawTile asks the store for the tile, or draws it from the features of
// an items query when the store cannot, in a turn to compute (work.go).
func (s *server) drawTile(ctx context.Context, collection string, t maptile.Tile, q geo.Query) ([]byte, error) {
	if err := s.work.take(ctx); err != nil {
		return nil, err
	}
	defer s.work.done()
	if ts, ok := s.store.(geo.TileStore); ok {
		return ts.Tile(ctx, collection, t, q)
	}
	b := geo.TileBound(t)
	q.BBox, q.Limit, q.Offset = &b, 0, 0
	page, err := s.store.Items(ctx, collection, q)
	if err != nil {
		return nil, err
	}
	return mvt.Encode(collection, t, page.Features)
}

// tileJSONDoc is a TileJSON 3.0.0 document: what a map library needs to
// show a collection's tiles.
type tileJSONDoc struct {
	TileJSON     string        `json:"tilejson"`
	Name         string        `json:"name"`
	Description  string        `json:"description,omitempty"`
	Attribution  string        `json:"attribution,omitempty"`
	Scheme       string        `json:"scheme"`
	Tiles        []string      `json:"tiles"`
	MinZoom      int           `json:"minzoom"`
	MaxZoom      int           `json:"maxzoom"`
	Bounds       []float64     `json:"bounds,omitempty"`
	VectorLayers []vectorLayer `json:"vector_layers"`
	Links        []tileLink    `json:"links"`
}

type vectorLayer struct {
	ID          string            `json:"id"`
	Description string            `json:"description,omitempty"`
	Fields      map[string]string `json:"fields"`
	MinZoom     int               `json:"minzoom"`
	MaxZoom     int               `json:"maxzoom"`
}

// tileLink is a link that may be a URI template (OGC API – Tiles).
type tileLink struct {
	Href      string `json:"href"`
	Rel       string `json:"rel"`
	Type      string `json:"type,omitempty"`
	Title     string `json:"title,omitempty"`
	Templated bool   `json:"templated,omitempty"`
}

// tileURLs returns the OGC and the {z}/{x}/{y}.mvt templates of a
// collection's tiles, with the query p (datetime, filters) appended.
func (s *server) tileURLs(c echo.Context, id string, p params) (ogc, xyz string) {
	base := s.baseURL(c) + collectionPath(id) + "/tiles"
	q := encodeQuery(p)
	if q != "" {
		q = "?" + q
	}
	return base + "/" + geo.TileMatrixSet + tileTemplateOGC + q, base + tileTemplateXYZ + q
}

// tileJSON serves /collections/{id}/tiles/WebMercatorQuad: the collection's
// tiles as TileJSON 3.0.0. datetime and property filters given here are
// carried into the tile URL templates.
func (s *server) tileJSON(c echo.Context) error {
	col, err := s.lookup(c)
	if err != nil {
		return err
	}
	_, p, err := parseFilter(col, c.QueryParams(), false)
	if err != nil {
		return err
	}
	return s.respond(c, resource{mediaType: mediaTileJSON, maxAge: s.opts.CacheMaxAge}, func(*dataState) (built, error) {
		ogc, xyz := s.tileURLs(c, col.ID, p)
		fields := map[string]string{
			geo.TileProperty:  "String: the feature's id",
			geo.PropValidFrom: "String: start of validity (RFC 3339), absent when open",
			geo.PropValidTo:   "String: end of validity (RFC 3339), absent when open",
		}
		for _, name := range col.Properties {
			if _, ok := fields[name]; !ok {
				fields[name] = "property of the features (scalar values only; see the collection's schema)"
			}
		}
		doc := tileJSONDoc{
			TileJSON: tileJSONVersion, Name: col.Title, Description: col.Description, Attribution: col.Attribution,
			Scheme: "xyz", Tiles: []string{ogc}, MinZoom: 0, MaxZoom: geo.MaxTileZoom,
			VectorLayers: []vectorLayer{{ID: col.ID, Description: col.Title, Fields: fields, MinZoom: 0, MaxZoom: geo.MaxTileZoom}},
			Links: []tileLink{
				{Href: s.href(c, collectionPath(col.ID)+"/tiles/"+geo.TileMatrixSet, p), Rel: RelSelf, Type: mediaTileJSON, Title: "This document"},
				{Href: ogc, Rel: "item", Type: MediaMVT, Title: "Tiles (OGC API – Tiles path: z, row, column)", Templated: true},
				{Href: xyz, Rel: "item", Type: MediaMVT, Title: "Tiles ({z}/{x}/{y}.mvt template)", Templated: true},
				{Href: tileMatrixSetURI, Rel: relTilingScheme, Title: "WebMercatorQuad"},
				{Href: s.href(c, collectionPath(col.ID), nil), Rel: RelCollection, Type: MediaJSON, Title: "The collection"},
			},
		}
		if !col.Extent.Empty {
			b := col.Extent.Bound
			doc.Bounds = []float64{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}
		}
		return jsonBuilt(doc)
	})
}

// tileSetsDoc lists a collection's tilesets (OGC API – Tiles).
type tileSetsDoc struct {
	Tilesets []tileSetRef `json:"tilesets"`
	Links    []tileLink   `json:"links"`
}

type tileSetRef struct {
	Title            string     `json:"title"`
	DataType         string     `json:"dataType"`
	CRS              string     `json:"crs"`
	TileMatrixSetURI string     `json:"tileMatrixSetURI"`
	Links            []tileLink `json:"links"`
}

// tileSets serves /collections/{id}/tiles: the one tileset of the
// collection, with links to its TileJSON and tile templates.
func (s *server) tileSets(c echo.Context) error {
	col, err := s.lookup(c)
	if err != nil {
		return err
	}
	if err := s.metadataParams(c); err != nil {
		return err
	}
	return s.respond(c, resource{mediaType: MediaJSON, maxAge: s.opts.CacheMaxAge}, func(*dataState) (built, error) {
		ogc, xyz := s.tileURLs(c, col.ID, nil)
		set := s.href(c, collectionPath(col.ID)+"/tiles/"+geo.TileMatrixSet, nil)
		doc := tileSetsDoc{
			Tilesets: []tileSetRef{{
				Title: col.Title + " (" + geo.TileMatrixSet + ")", DataType: "vector", CRS: crsWebMercator, TileMatrixSetURI: tileMatrixSetURI,
				Links: []tileLink{
					{Href: set, Rel: RelSelf, Type: mediaTileJSON, Title: "TileJSON of the tileset"},
					{Href: ogc, Rel: "item", Type: MediaMVT, Title: "Tiles; add ?datetime=YYYY-MM-DD for a date", Templated: true},
					{Href: xyz, Rel: "item", Type: MediaMVT, Title: "Tiles as a {z}/{x}/{y}.mvt template", Templated: true},
				},
			}},
			Links: []tileLink{
				{Href: s.href(c, collectionPath(col.ID)+"/tiles", nil), Rel: RelSelf, Type: MediaJSON, Title: "This document"},
				{Href: s.href(c, collectionPath(col.ID), nil), Rel: RelCollection, Type: MediaJSON, Title: "The collection"},
			},
		}
		return jsonBuilt(doc)
	})
}
