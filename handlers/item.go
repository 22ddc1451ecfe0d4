package handlers

import (
	"bytes"
	"errors"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

// itemParams are the parameters a feature by id accepts: f, properties,
// and those of items it ignores (ignoredParams).
var itemParams = append([]string{paramF, paramProperties}, ignoredParams()...)

// item serves /collections/{collectionId}/items/{featureId}.
func (s *server) item(c echo.Context) error {
	col, err := s.lookup(c)
	if err != nil {
		return err
	}
	fid, err := pathParam(c, "featureId")
	if err != nil {
		return &geo.ParamError{Param: "featureId", Value: c.Param("featureId"), Reason: "not a valid path segment"}
	}
	p, err := strictParams(c.QueryParams(), itemParams, nil)
	if err != nil {
		return err
	}
	f, err := p.format(formatGeoJSON, formatGeoJSON, formatJSON)
	if err != nil {
		return err
	}
	if err := p.checkIgnored(); err != nil {
		return err
	}
	props, err := p.properties(col)
	if err != nil {
		return err
	}
	prec, _ := p.precision() // checked above
	self, other, otherF := MediaGeoJSON, MediaJSON, formatJSON
	if f == formatJSON {
		self, other, otherF = MediaJSON, MediaGeoJSON, formatGeoJSON
	}
	get := s.store.Item
	if es, ok := s.store.(geo.EncodedItemStore); ok && props == nil {
		get = es.ItemEncoded // every property, written as the store encoded it
	}
	return s.respond(c, resource{mediaType: self, maxAge: s.opts.CacheMaxAge}, func(*dataState) (built, error) {
		feat, err := get(c.Request().Context(), col.ID, fid)
		if errors.Is(err, geo.ErrNotFound) {
			return built{}, withDetail(err, "no feature %q in collection %q", fid, col.ID)
		}
		if err != nil {
			return built{}, err
		}
		path := itemPath(col.ID, fid)
		links := []link{
			{Href: s.href(c, path, p), Rel: RelSelf, Type: self, Title: "This document"},
			{Href: s.href(c, path, p.with(paramF, otherF)), Rel: RelAlternate, Type: other, Title: "This document as " + otherF},
			{Href: s.href(c, collectionPath(col.ID), nil), Rel: RelCollection, Type: MediaJSON, Title: "The collection"},
		}
		body, err := featureBody(feat, props, prec, links)
		return built{body: body}, err
	})
}

// featureBody is the answer of one feature: writeFeature's bytes and a
// newline, in a buffer sized once from the feature's id, positions,
// properties and links rather than grown by doubling, and no more than a
// quarter larger than the answer (the cache keeps, and counts, an answer by
// its capacity).
func featureBody(feat geo.Feature, props []string, prec int, links []link) ([]byte, error) {
	n := featureSize(feat, props, prec)
	for _, l := range links {
		n += len(l.Href) + len(l.Title)
	}
	buf := bytes.NewBuffer(make([]byte, 0, n))
	if err := writeFeature(buf, feat, props, prec, links); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	body := buf.Bytes()
	if cap(body)-len(body) > len(body)/4 {
		body = bytes.Clone(body) // estimated far over: short positions, long properties left out
	}
	return body, nil
}

// featureSize estimates the bytes of feat written with the properties
// props (nil: all) at precision prec, without links: its id, positions
// and encoded properties, and featureRoom.
func featureSize(feat geo.Feature, props []string, prec int) int {
	n := len(feat.ID) + positions(feat.Geometry)*positionBytes(prec) + featureRoom
	if props == nil {
		n += len(feat.PropertiesJSON) + len(feat.PropertiesJSONTail)
	}
	return n
}

// featureRoom is the room of a feature answer beyond its id, positions,
// properties, and links' hrefs and titles: its other members and the links'
// rel, type and punctuation (about 300 bytes).
const featureRoom = 320
