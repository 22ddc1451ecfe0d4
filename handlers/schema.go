package handlers

import (
	"math"
	"slices"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
)

// schema serves /collections/{collectionId}/schema: a JSON Schema (draft
// 2020-12) of the collection's GeoJSON features, the describedby link. The
// type of each property is inferred from the data: a property with values of
// several types gets no type.
func (s *server) schema(c echo.Context) error {
	return s.schemaDoc(c, "/schema", featureSchema)
}

// schemaDoc answers a JSON Schema of the collection's features built by
// build from all of them (/schema and /queryables): $id is the collection's
// path and suffix.
func (s *server) schemaDoc(c echo.Context, suffix string, build func(id string, col geo.Collection, feats []geo.Feature) map[string]any) error {
	col, err := s.lookup(c)
	if err != nil {
		return err
	}
	if err := s.metadataParams(c); err != nil {
		return err
	}
	return s.respond(c, resource{mediaType: MediaJSONSchema, maxAge: s.opts.CacheMaxAge}, func(*dataState) (built, error) {
		page, err := s.store.Items(c.Request().Context(), col.ID, geo.Query{})
		if err != nil {
			return built{}, err
		}
		return jsonBuilt(build(s.href(c, collectionPath(col.ID)+suffix, nil), col.Collection, page.Features))
	})
}

// featureSchema builds the schema document.
func featureSchema(id string, col geo.Collection, feats []geo.Feature) map[string]any {
	props := propertySchemas(col, feats)
	nullableTime := map[string]any{"type": []string{"string", "null"}, "format": "date-time",
		"description": "RFC 3339 UTC; null for an open end. Validity is [valid_from, valid_to), or the instant valid_from when both are equal."}
	props[geo.PropValidFrom] = nullableTime
	props[geo.PropValidTo] = nullableTime
	str := map[string]any{"type": "string"}
	props[geo.PropSources] = map[string]any{"type": "array", "items": map[string]any{
		"type": "object", "required": []string{"publisher"},
		"properties": map[string]any{"publisher": str, "title": str, "url": str, "date": str},
	}}
	required := append([]string{geo.PropValidFrom, geo.PropValidTo, geo.PropSources}, col.Required...)
	slices.Sort(required)
	required = slices.Compact(required)

	geom := map[string]any{"type": "object", "required": []string{"type"}}
	if col.GeometryType != "Geometry" {
		base := strings.TrimPrefix(col.GeometryType, "Multi")
		geom["properties"] = map[string]any{"type": map[string]any{"type": "string", "enum": []string{base, "Multi" + base}}}
	}
	return map[string]any{
		"$schema":  "https://json-schema.org/draft/2020-12/schema",
		"$id":      id,
		"title":    col.Title,
		"type":     "object",
		"required": []string{"type", "id", "geometry", "properties"},
		"properties": map[string]any{
			"type":       map[string]any{"type": "string", "enum": []string{"Feature"}},
			"id":         str,
			"geometry":   geom,
			"properties": map[string]any{"type": "object", "required": required, "properties": props},
		},
	}
}

// propertySchemas returns the JSON Schema of each of the collection's own
// properties: the type inferred from the data (none for a property with
// values of several types), the closed list of values as an enum.
func propertySchemas(col geo.Collection, feats []geo.Feature) map[string]any {
	types := map[string]map[string]bool{}
	for _, f := range feats {
		for k, v := range f.Properties {
			if types[k] == nil {
				types[k] = map[string]bool{}
			}
			types[k][jsonType(v)] = true
		}
	}
	props := map[string]any{}
	for _, name := range col.Properties {
		ts := types[name]
		var kinds []string
		for t := range ts {
			if t != "null" {
				kinds = append(kinds, t)
			}
		}
		if slices.Contains(kinds, "integer") && slices.Contains(kinds, "number") {
			kinds = slices.DeleteFunc(kinds, func(k string) bool { return k == "integer" })
		}
		p := map[string]any{}
		switch {
		case len(kinds) == 1 && ts["null"]:
			p["type"] = []string{kinds[0], "null"}
		case len(kinds) == 1:
			p["type"] = kinds[0]
		}
		if vals, ok := col.Values[name]; ok {
			enum := make([]any, 0, len(vals)+1)
			for _, v := range vals {
				enum = append(enum, v)
			}
			if ts["null"] {
				enum = append(enum, nil) // the loader accepts null where the property is not required
			}
			p["enum"] = enum
		}
		if name == geo.PropPositionPrecision {
			p["description"] = "The grid, in degrees, the published position was rounded to: an estimate is published no finer than its confidence, and a collection or feature may cap its precision (max_precision)."
		}
		props[name] = p
	}
	return props
}

// jsonType names the JSON Schema type of a decoded value.
func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return "string"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return "integer"
		}
		return "number"
	case int, int32, int64:
		return "integer"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

// queryables serves /collections/{collectionId}/queryables (OGC API –
// Features Part 3): a JSON Schema of what a CQL2 filter, sortby or an
// equality filter may name, closed by additionalProperties: false. A
// filter naming anything else is a 400 that names it. The properties'
// types are those of /schema.
func (s *server) queryables(c echo.Context) error {
	return s.schemaDoc(c, "/queryables", queryablesSchema)
}

// queryablesSchema builds the queryables document.
func queryablesSchema(id string, col geo.Collection, feats []geo.Feature) map[string]any {
	props := propertySchemas(col, feats)
	for name, p := range props {
		p.(map[string]any)["title"] = name
	}
	format := "geometry-any"
	if col.GeometryType != "Geometry" { // a type and its Multi form, as /schema says
		base := strings.ToLower(strings.TrimPrefix(col.GeometryType, "Multi"))
		format = "geometry-" + base + "-or-multi" + base
	}
	props[cql2.PropGeometry] = map[string]any{"title": "geometry", "format": format,
		"description": "The feature's geometry, for the S_ functions (S_INTERSECTS, S_WITHIN, …); CRS84."}
	props[cql2.PropID] = map[string]any{"title": "id", "type": "string", "description": "The feature's id."}
	for _, name := range []string{cql2.PropValidFrom, cql2.PropValidTo} {
		props[name] = map[string]any{"title": name, "type": []string{"string", "null"}, "format": "date-time",
			"description": "Start (valid_from) or end (valid_to, exclusive) of the feature's validity; null for an open end. INTERVAL(valid_from, valid_to) is the validity, for the T_ functions."}
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"$id":                  id,
		"title":                col.Title,
		"type":                 "object",
		"properties":           props,
		"additionalProperties": false,
	}
}
