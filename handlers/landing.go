package handlers

import (
	"mime"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo/render"
)

// landingDoc is the OGC API landing page.
type landingDoc struct {
	Title       string `json:"title"`
	Description string `json:"description"`
	Links       []link `json:"links"`
}

// landing serves "/": the JSON landing page for f=json or a client that
// prefers application/json, the map page for everyone else (browsers).
func (s *server) landing(c echo.Context) error {
	// The page's filters (f.PROPERTY) are the page's business, not checked here.
	q := c.QueryParams()
	rest := make(url.Values, len(q))
	for k, v := range q {
		if !pageFilterParam(k) {
			rest[k] = v
		}
	}
	p, err := strictParams(rest, append(append([]string{paramF}, ignoredParams()...), pageParams()...), nil)
	if err != nil {
		return err
	}
	if err := p.checkIgnored(); err != nil {
		return err
	}
	f, err := p.format("", formatJSON, formatHTML)
	if err != nil {
		return err
	}
	c.Response().Header().Add("Vary", "Accept")
	if f == formatHTML || (f == "" && !prefersJSON(c.Request().Header.Get("Accept"))) {
		return s.servePage(c)
	}
	return s.respond(c, resource{mediaType: MediaJSON, variant: formatJSON, maxAge: s.opts.CacheMaxAge}, func(d *dataState) (built, error) {
		doc := landingDoc{
			Title:       "controlmap",
			Description: "Dated layers of who controls what in north-east Syria, served as OGC API – Features (GeoJSON) with a date filter.",
			Links: []link{
				{Href: s.href(c, "/", params{paramF: formatJSON}), Rel: RelSelf, Type: MediaJSON, Title: "This document"},
				{Href: s.href(c, "/", params{paramF: formatHTML}), Rel: RelAlternate, Type: MediaHTML, Title: "The map"},
				{Href: s.href(c, "/api", nil), Rel: RelServiceDesc, Type: MediaOpenAPI, Title: "The API definition (OpenAPI 3.0)"},
				{Href: s.href(c, "/api.html", nil), Rel: RelServiceDoc, Type: MediaHTML, Title: "The API documentation"},
				{Href: s.href(c, "/conformance", nil), Rel: RelConformance, Type: MediaJSON, Title: "OGC API conformance classes implemented by this server"},
				{Href: s.href(c, "/collections", nil), Rel: RelData, Type: MediaJSON, Title: "The collections (layers)"},
				{Href: s.href(c, "/timeline", nil), Rel: "related", Type: MediaJSON, Title: "Timeline: the dates on which anything changes, and the events"},
			},
		}
		doc.Links = append(doc.Links, s.analyticsLinks(c, d)...)
		doc.Links = append(doc.Links, s.renderLinks(c, d)...)
		return jsonBuilt(doc)
	})
}

// analyticsLinks links the analytics of each polygon collection with a
// style property: its area series, and what changed between its first and
// last change.
func (s *server) analyticsLinks(c echo.Context, d *dataState) []link {
	var out []link
	for _, col := range d.cols {
		if !isPolygonal(col) || col.Style.Property == "" || !col.Dated {
			continue
		}
		out = append(out, link{Href: s.href(c, "/analytics/area", params{paramCollection: col.ID}), Rel: "related", Type: MediaJSON,
			Title: "Area of " + col.Title + " by " + col.Style.Property + " at every change (approximate)"})
		if ch, ok := d.changes[col.ID]; ok && ch.Len() > 1 {
			times := ch.Times()
			out = append(out, link{Href: s.href(c, "/analytics/change", params{paramCollection: col.ID,
				paramFrom: formatInstant(times[0]), paramTo: formatInstant(times[len(times)-1])}), Rel: "related", Type: MediaGeoJSON,
				Title: "What changed hands in " + col.Title + " from its first change to its last (approximate)"})
		}
	}
	return out
}

// renderLinks links the picture of the map on the date it opens on.
func (s *server) renderLinks(c echo.Context, d *dataState) []link {
	p := params{}
	if len(d.changeTimes()) > 0 {
		p[paramDate] = s.defaultDate(d).Format(dateLayout)
	}
	return []link{
		{Href: s.href(c, routeRenderPNG, p), Rel: "related", Type: render.PNG.MediaType(), Title: "A picture of the map (PNG; /render.svg and /render.pdf too)"},
	}
}

// prefersJSON reports whether an Accept header ranks application/json (or
// application/geo+json) above text/html. Wildcards count for neither, so a
// browser, and a client that accepts anything, get the map page.
func prefersJSON(accept string) bool {
	jsonQ, htmlQ := 0.0, 0.0
	for _, part := range strings.Split(accept, ",") {
		mt, prms, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		q := 1.0
		if qs, ok := prms["q"]; ok {
			if v, err := strconv.ParseFloat(qs, 64); err == nil {
				q = v
			}
		}
		switch mt {
		case MediaJSON, MediaGeoJSON:
			jsonQ = max(jsonQ, q)
		case MediaHTML, "application/xhtml+xml":
			htmlQ = max(htmlQ, q)
		}
	}
	return jsonQ > 0 && jsonQ > htmlQ
}
