package handlers

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// /analytics/change: what changed hands between two dates, the regions of
// a polygon collection (the store's geo.AnalyticsStore) or the sites of a
// point collection (two ordinary queries compared here).

// analyticsChange serves /analytics/change.
func (s *server) analyticsChange(c echo.Context) error {
	p, err := strictParams(c.QueryParams(), []string{paramCollection, paramFrom, paramTo, paramF, paramDownload, paramPrecision}, nil)
	if err != nil {
		return err
	}
	format, err := p.format(formatGeoJSON, formatGeoJSON, formatJSON)
	if err != nil {
		return err
	}
	download, err := p.download()
	if err != nil {
		return err
	}
	prec, err := p.precision()
	if err != nil {
		return err
	}
	var from, to time.Time
	for _, x := range []struct {
		name string
		t    *time.Time
	}{{paramFrom, &from}, {paramTo, &to}} {
		t, ok, err := analyticsInstant(p, x.name)
		if err != nil {
			return err
		}
		if !ok {
			return &geo.ParamError{Param: x.name, Reason: "required: a date (YYYY-MM-DD) or an RFC 3339 date-time"}
		}
		*x.t = t
	}
	if from.After(to) {
		return &geo.ParamError{Param: paramFrom, Value: p[paramFrom], Reason: "after to (" + p[paramTo] + ")"}
	}
	d, err := s.data(c)
	if err != nil {
		return err
	}
	col, err := analyticsCollection(d, p, false)
	if err != nil {
		return err
	}
	polygons := isPolygonal(col)
	if !polygons && (col.GroupKey == "" || !col.Dated || (col.GeometryType != "Point" && col.GeometryType != "MultiPoint")) {
		return &geo.ParamError{Param: paramCollection, Value: col.ID, Reason: "changes are computed for polygon collections (regions) and dated point collections with a group key (sites)"}
	}
	mediaType := MediaGeoJSON
	if format == formatJSON {
		mediaType = MediaJSON
	}
	return s.respond(c, resource{mediaType: mediaType, maxAge: s.maxAgeFor(geo.Interval{Start: from, End: to.Add(geo.Precision)})}, func(d *dataState) (built, error) {
		ctx := c.Request().Context()
		var feats []geo.Feature
		var names []string
		if polygons {
			feats, names, err = s.regionChanges(ctx, col, from, to)
		} else {
			feats, names, err = s.siteChanges(ctx, col, from, to)
		}
		if err != nil {
			return built{}, err
		}
		var out built
		if download {
			out.disposition = fmt.Sprintf(`attachment; filename="%s-changes-%s-%s.geojson"`, col.ID, strings.ReplaceAll(formatInstant(from), ":", ""), strings.ReplaceAll(formatInstant(to), ":", ""))
		}
		body, err := featureCollectionBody(featureCollection{
			features: feats, properties: names, precision: prec, numberMatched: len(feats), timeStamp: d.stampText,
			links: []link{
				{Href: s.href(c, "/analytics/change", p), Rel: RelSelf, Type: mediaType, Title: "This document"},
				{Href: s.href(c, collectionPath(col.ID), nil), Rel: RelCollection, Type: MediaJSON, Title: "The collection"},
			},
		})
		out.body = body
		return out, err
	})
}

// regionChanges are the regions of a polygon collection that changed
// hands, as features with the sources of the versions that meet them.
func (s *server) regionChanges(ctx context.Context, col geo.Collection, from, to time.Time) ([]geo.Feature, []string, error) {
	a, err := s.analyticsStore()
	if err != nil {
		return nil, nil, err
	}
	regions, err := a.RegionChanges(ctx, col.ID, col.Style.Property, from, to)
	if err != nil {
		return nil, nil, err
	}
	prop := col.Style.Property
	feats := make([]geo.Feature, 0, len(regions))
	for _, r := range regions {
		var srcs []geo.Source
		var ids []string
		for _, id := range append(slices.Clone(r.FromIDs), r.ToIDs...) {
			f, err := s.store.Item(ctx, col.ID, id)
			if err != nil {
				return nil, nil, err
			}
			ids = append(ids, id)
			for _, src := range f.Sources {
				if !slices.Contains(srcs, src) {
					srcs = append(srcs, src)
				}
			}
		}
		mp := ccw(r.Geometry)
		var g orb.Geometry = mp
		if len(mp) == 1 {
			g = mp[0]
		}
		feats = append(feats, geo.Feature{
			ID: idPart(r.From) + "-to-" + idPart(r.To), Collection: col.ID, Geometry: g, Sources: srcs,
			Properties: map[string]any{
				"from_" + prop: r.From, "to_" + prop: r.To, "area_km2": roundKM2(r.KM2),
				"from": formatInstant(from), "to": formatInstant(to), "approximate": true,
				"versions": stringsAny(ids),
			},
		})
	}
	return feats, []string{"approximate", "area_km2", "from", "from_" + prop, "sources", "to", "to_" + prop, "versions"}, nil
}

func stringsAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// siteChanges are the sites (things) of a dated point collection whose
// style property or status differs between from and to; each at its
// position at to (or at from, if it has no version at to).
func (s *server) siteChanges(ctx context.Context, col geo.Collection, from, to time.Time) ([]geo.Feature, []string, error) {
	at := func(t time.Time) (map[string]geo.Feature, error) {
		page, err := s.store.Items(ctx, col.ID, geo.Query{Time: geo.Instant(t)})
		if err != nil {
			return nil, err
		}
		m := map[string]geo.Feature{}
		for _, f := range page.Features {
			m[f.Thing] = f
		}
		return m, nil
	}
	before, err := at(from)
	if err != nil {
		return nil, nil, err
	}
	after, err := at(to)
	if err != nil {
		return nil, nil, err
	}
	var things []string
	for k := range before {
		things = append(things, k)
	}
	for k := range after {
		if _, ok := before[k]; !ok {
			things = append(things, k)
		}
	}
	slices.Sort(things)
	prop := col.Style.Property
	keys := []string{prop, "status", "claim_status"}
	var feats []geo.Feature
	for _, thing := range things {
		b, hadB := before[thing]
		a, hasA := after[thing]
		if hadB && hasA && b.ID == a.ID {
			continue
		}
		changed := !hadB || !hasA
		for _, k := range keys[:2] {
			if fmt.Sprint(b.Properties[k]) != fmt.Sprint(a.Properties[k]) {
				changed = true
			}
		}
		if !changed {
			continue
		}
		props := map[string]any{"from": formatInstant(from), "to": formatInstant(to), col.GroupKey: thing}
		var srcs []geo.Source
		for _, side := range []struct {
			name string
			f    geo.Feature
			ok   bool
		}{{"from_", b, hadB}, {"to_", a, hasA}} {
			props[side.name+"version"] = nil
			for _, k := range keys {
				props[side.name+k] = nil
			}
			if !side.ok {
				continue
			}
			props[side.name+"version"] = side.f.ID
			for _, k := range keys {
				if v, ok := side.f.Properties[k]; ok {
					props[side.name+k] = v
				}
			}
			if n, ok := side.f.Properties["name"]; ok {
				props["name"] = n
			}
			for _, src := range side.f.Sources {
				if !slices.Contains(srcs, src) {
					srcs = append(srcs, src)
				}
			}
		}
		pos := a
		if !hasA {
			pos = b
		}
		for _, k := range []string{"estimated", geo.PropPositionPrecision} {
			if v, ok := pos.Properties[k]; ok {
				props[k] = v
			}
		}
		feats = append(feats, geo.Feature{ID: thing, Collection: col.ID, Geometry: pos.Geometry, Sources: srcs, Properties: props})
	}
	names := []string{"from", "to", col.GroupKey, "name", "estimated", geo.PropPositionPrecision, "sources"}
	for _, side := range []string{"from_", "to_"} {
		names = append(names, side+"version")
		for _, k := range keys {
			names = append(names, side+k)
		}
	}
	slices.Sort(names)
	return feats, slices.Compact(names), nil
}
