package handlers

import (
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/cache"
)

// collectionsDoc is the /collections document.
type collectionsDoc struct {
	Links       []link          `json:"links"`
	Collections []collectionDoc `json:"collections"`
}

// collectionDoc describes one collection: the OGC members, then this
// server's extensions the frontend uses for the legend and colours.
type collectionDoc struct {
	ID          string    `json:"id"`
	Title       string    `json:"title"`
	Description string    `json:"description,omitempty"`
	Extent      extentDoc `json:"extent"`
	ItemType    string    `json:"itemType"`
	CRS         []string  `json:"crs"`
	Links       []link    `json:"links"`

	GeometryType string    `json:"geometry_type"`
	Dated        bool      `json:"dated"`
	GroupKey     string    `json:"group_key"`
	Attribution  string    `json:"attribution"`
	License      string    `json:"license,omitempty"`
	Style        geo.Style `json:"style"`
	// Role and Terms (extensions) tell the map which collection holds the
	// events and the sites, and the words for the properties' values.
	Role  string                         `json:"role,omitempty"`
	Terms map[string]map[string]geo.Term `json:"terms,omitempty"`
	// Values are the closed value lists of properties (claim_status: …).
	Values map[string][]string `json:"values,omitempty"`
}

type extentDoc struct {
	Spatial  *spatialDoc `json:"spatial,omitempty"`
	Temporal temporalDoc `json:"temporal"`
}

type spatialDoc struct {
	BBox [][4]float64 `json:"bbox"`
	CRS  string       `json:"crs"`
}

type temporalDoc struct {
	Interval [][2]*string `json:"interval"`
	TRS      string       `json:"trs"`
}

// collections serves /collections.
func (s *server) collections(c echo.Context) error {
	if err := s.metadataParams(c); err != nil {
		return err
	}
	return s.respond(c, resource{mediaType: MediaJSON, maxAge: s.opts.CacheMaxAge}, func(*dataState) (built, error) {
		cols, err := s.store.Collections(c.Request().Context())
		if err != nil {
			return built{}, err
		}
		doc := collectionsDoc{
			Links: []link{
				{Href: s.href(c, "/collections", nil), Rel: RelSelf, Type: MediaJSON, Title: "This document"},
			},
			Collections: make([]collectionDoc, 0, len(cols)),
		}
		for _, col := range cols {
			doc.Collections = append(doc.Collections, s.describe(c, col))
		}
		return jsonBuilt(doc)
	})
}

// collection serves /collections/{collectionId}.
func (s *server) collection(c echo.Context) error {
	col, err := s.lookup(c)
	if err != nil {
		return err
	}
	if err := s.metadataParams(c); err != nil {
		return err
	}
	return s.respond(c, resource{mediaType: MediaJSON, maxAge: s.opts.CacheMaxAge}, func(*dataState) (built, error) {
		return jsonBuilt(s.describe(c, col.Collection))
	})
}

// lookup returns the collection named by the collectionId path parameter.
func (s *server) lookup(c echo.Context) (requestCollection, error) {
	id, err := pathParam(c, "collectionId")
	if err != nil {
		return requestCollection{}, &geo.ParamError{Param: "collectionId", Value: c.Param("collectionId"), Reason: "not a valid path segment"}
	}
	d, err := s.data(c)
	if err != nil {
		return requestCollection{}, err
	}
	col, ok := d.requestCollection(id)
	if !ok {
		if err := cache.MissError(c.Request().Context()); err != nil {
			// Answering stale from an older state: the collection may be
			// newer than it, and the store cannot say.
			return requestCollection{}, err
		}
		return requestCollection{}, withDetail(geo.ErrNotFound, "no collection %q; /collections lists them", id)
	}
	return col, nil
}

// describe builds the description of col.
func (s *server) describe(c echo.Context, col geo.Collection) collectionDoc {
	id := col.ID
	links := []link{
		{Href: s.href(c, collectionPath(id), nil), Rel: RelSelf, Type: MediaJSON, Title: "This document"},
		{Href: s.href(c, "/", nil), Rel: RelAlternate, Type: MediaHTML, Title: "The map"},
		{Href: s.href(c, itemsPath(id), nil), Rel: RelItems, Type: MediaGeoJSON, Title: "Features as GeoJSON"},
		{Href: s.href(c, itemsPath(id), params{paramF: formatJSON}), Rel: RelItems, Type: MediaJSON, Title: "Features as JSON"},
		{Href: s.href(c, itemsPath(id), params{paramF: formatGeoJSON, paramDownload: "1"}), Rel: "enclosure", Type: MediaGeoJSON, Title: "Download every feature as one GeoJSON file"},
		{Href: s.href(c, collectionPath(id)+"/schema", nil), Rel: RelDescribedBy, Type: MediaJSONSchema, Title: "JSON Schema of the features"},
		{Href: s.href(c, collectionPath(id)+"/queryables", nil), Rel: RelQueryables, Type: MediaJSONSchema, Title: "What a filter may name (CQL2 queryables)"},
	}
	if col.LicenseURL != "" {
		title := col.License
		if title == "" {
			title = "Licence"
		}
		links = append(links, link{Href: col.LicenseURL, Rel: RelLicense, Type: MediaHTML, Title: title})
	}
	return collectionDoc{
		ID:           id,
		Title:        col.Title,
		Description:  col.Description,
		Extent:       extentOf(col.Extent),
		ItemType:     "feature",
		CRS:          []string{CRS84},
		Links:        links,
		GeometryType: col.GeometryType,
		Dated:        col.Dated,
		GroupKey:     col.GroupKey,
		Attribution:  col.Attribution,
		License:      col.License,
		Style:        col.Style,
		Role:         col.Role,
		Terms:        col.Terms,
		Values:       col.Values,
	}
}

// extentOf converts an extent, writing open time ends as null.
func extentOf(e geo.Extent) extentDoc {
	var out extentDoc
	if !e.Empty {
		b := e.Bound
		out.Spatial = &spatialDoc{BBox: [][4]float64{{b.Min[0], b.Min[1], b.Max[0], b.Max[1]}}, CRS: CRS84}
	}
	out.Temporal = temporalDoc{Interval: [][2]*string{{timeOrNull(e.Time.Start), timeOrNull(e.Time.End)}}, TRS: TRSGregorian}
	return out
}

// timeOrNull formats t as RFC 3339, or nil (JSON null) for an open end.
func timeOrNull(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := geo.FormatTime(t)
	return &s
}
