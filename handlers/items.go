package handlers

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

// items serves /collections/{collectionId}/items: a page of features
// matching bbox, datetime and property filters, or with download=1 every
// matching feature as a file. The features are encoded once per data
// version and epoch (itemsSection); only the links around them are written
// per URL.
func (s *server) items(c echo.Context) error {
	col, err := s.lookup(c)
	if err != nil {
		return err
	}
	r, err := parseItems(c.QueryParams(), col)
	if err != nil {
		return err
	}
	mediaType := MediaGeoJSON
	if r.format == formatJSON {
		mediaType = MediaJSON
	}
	return s.respond(c, resource{mediaType: mediaType, maxAge: s.maxAgeFor(r.query.Time)}, func(d *dataState) (built, error) {
		sec, err := s.itemsSection(c.Request().Context(), d, col.Collection, r)
		if err != nil {
			return built{}, err
		}
		links := s.itemsLinks(c, col.ID, r, sec.returned, sec.matched)
		var out built
		if r.download {
			out.disposition = `attachment; filename="` + downloadName(col.ID, r.datetime) + `"`
		} else {
			out.link = linkHeader(links)
		}
		out.body = collectionBody(sec, featureCollection{
			numberMatched: sec.matched,
			timeStamp:     d.stampText,
			links:         links,
		})
		return out, nil
	})
}

// itemsLinks returns the links of an items response: self, alternate,
// collection, and next and prev carrying every query parameter.
func (s *server) itemsLinks(c echo.Context, id string, r itemsRequest, returned, matched int) []link {
	p := r.params
	self, other := MediaGeoJSON, MediaJSON
	otherF := formatJSON
	if r.format == formatJSON {
		self, other, otherF = MediaJSON, MediaGeoJSON, formatGeoJSON
	}
	path := itemsPath(id)
	links := []link{
		{Href: s.href(c, path, p), Rel: RelSelf, Type: self, Title: "This document"},
		{Href: s.href(c, path, p.with(paramF, otherF)), Rel: RelAlternate, Type: other, Title: "This document as " + otherF},
		{Href: s.href(c, collectionPath(id), nil), Rel: RelCollection, Type: MediaJSON, Title: "The collection"},
	}
	if r.download {
		return links
	}
	q := r.query
	if next := q.Offset + returned; returned > 0 && next < matched {
		links = append(links, link{Href: s.href(c, path, p.with(paramOffset, strconv.Itoa(next))), Rel: RelNext, Type: self, Title: "Next page"})
	}
	if q.Offset > 0 {
		prev := max(q.Offset-q.Limit, 0)
		off := ""
		if prev > 0 {
			off = strconv.Itoa(prev)
		}
		links = append(links, link{Href: s.href(c, path, p.with(paramOffset, off)), Rel: RelPrev, Type: self, Title: "Previous page"})
	}
	return links
}

// linkHeader formats the next and prev links as an RFC 8288 Link header.
func linkHeader(links []link) string {
	var parts []string
	for _, l := range links {
		if l.Rel == RelNext || l.Rel == RelPrev {
			parts = append(parts, fmt.Sprintf(`<%s>; rel="%s"; type="%s"`, l.Href, l.Rel, l.Type))
		}
	}
	return strings.Join(parts, ", ")
}

// downloadName is the file name of a download: the collection id, with the
// date when datetime is a single date or instant (facilities-2026-01-21.geojson).
func downloadName(id, datetime string) string {
	if datetime != "" && !strings.Contains(datetime, "/") {
		if t, _, err := geo.ParseTime(datetime); err == nil {
			return id + "-" + t.Format("2006-01-02") + ".geojson"
		}
	}
	return id + ".geojson"
}
