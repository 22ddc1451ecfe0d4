package handlers

import "fmt"

// The shared parts of the OpenAPI document: query parameters (with the
// limits the handlers enforce), error responses and response schemas.

// oaComponentsDoc returns the shared parameters, responses and schemas.
func oaComponentsDoc() oaComponents {
	f := false
	ps := map[string]oaParam{
		"collectionId": {Name: "collectionId", In: "path", Required: true, Description: "The collection's id.", Schema: &oaSchema{Type: "string"}},
		"featureId":    {Name: "featureId", In: "path", Required: true, Description: "The feature's id.", Schema: &oaSchema{Type: "string"}},
		paramBBox: {Name: paramBBox, In: "query", Style: "form", Explode: &f,
			Description: "Only features intersecting the box minLon,minLat,maxLon,maxLat (CRS84 degrees). Six numbers (with heights) are accepted; the heights are ignored.",
			Schema:      &oaSchema{Type: "array", MinItems: intp(4), MaxItems: intp(6), Items: &oaSchema{Type: "number"}}},
		paramBBoxCRS: {Name: paramBBoxCRS, In: "query", Description: "The CRS of bbox; only CRS84 is supported.",
			Schema: &oaSchema{Type: "string", Format: "uri", Enum: []string{CRS84}, Default: CRS84}},
		paramDatetime: {Name: paramDatetime, In: "query",
			Description: "Only features valid at this time: a date (the whole UTC day), an RFC 3339 date-time, or an interval a/b, ../b, a/.. (ends inclusive; a date end includes its whole day).",
			Schema:      &oaSchema{Type: "string"}},
		paramLimit: {Name: paramLimit, In: "query", Description: fmt.Sprintf("The most features on one page. A value above %d is taken as %d.", MaxLimit, MaxLimit),
			Schema: &oaSchema{Type: "integer", Minimum: num(1), Maximum: num(MaxLimit), Default: DefaultLimit}},
		paramOffset: {Name: paramOffset, In: "query", Description: "Skip this many matching features (in id order); the next and prev links set it.",
			Schema: &oaSchema{Type: "integer", Minimum: num(0), Default: 0}},
		paramProperties: {Name: paramProperties, In: "query", Style: "form", Explode: &f,
			Description: "Only these properties (comma-separated; valid_from, valid_to and sources included). Unknown names are refused.",
			Schema:      &oaSchema{Type: "array", Items: &oaSchema{Type: "string"}}},
		paramPrecision: {Name: paramPrecision, In: "query", Description: "Decimal places of coordinates.",
			Schema: &oaSchema{Type: "integer", Minimum: num(0), Maximum: num(MaxPrecision), Default: DefaultPrecision}},
		paramDownload: {Name: paramDownload, In: "query",
			Description: "1: every matching feature in one file (no paging; limit and offset refused) with Content-Disposition: attachment.",
			Schema:      &oaSchema{Type: "string", Enum: []string{"0", "1", "false", "true"}, Default: "0"}},
		paramFilter: {Name: paramFilter, In: "query",
			Description: "A CQL2 filter (OGC API – Features Part 3), in the language of filter-lang: for example " +
				"controller IN ('government','unknown') AND claim_status = 'disputed' AND T_AFTER(valid_from, DATE('2026-01-18')). " +
				"Names are checked against the collection's queryables; a bad filter is a 400 problem with the position (text) or the JSON pointer (JSON) at fault.",
			Schema: &oaSchema{Type: "string"}},
		paramFilterLang: {Name: paramFilterLang, In: "query", Description: "The encoding of filter.",
			Schema: &oaSchema{Type: "string", Enum: []string{langCQL2Text, langCQL2JSON}, Default: langCQL2Text}},
		paramFilterCRS: {Name: paramFilterCRS, In: "query", Description: "The CRS of the geometries in filter: only CRS84.",
			Schema: &oaSchema{Type: "string", Enum: []string{CRS84}, Default: CRS84}},
		paramSortBy: {Name: paramSortBy, In: "query",
			Description: "Order of the features: queryables (not geometry) separated by commas, each with an optional - for descending " +
				"(sortby=-valid_from,name); ties are broken by id, so pages are stable. Strings sort by their bytes.",
			Schema: &oaSchema{Type: "string"}},
		paramFrom: {Name: paramFrom, In: "query", Description: "First date (YYYY-MM-DD, inclusive); open when absent.", Schema: &oaSchema{Type: "string", Format: "date"}},
		paramTo:   {Name: paramTo, In: "query", Description: "Last date (YYYY-MM-DD, inclusive); open when absent.", Schema: &oaSchema{Type: "string", Format: "date"}},
	}
	for _, n := range ignoredParams() {
		p := ps[n]
		p.Description = "Accepted, checked and ignored here, so one query can be appended to every URL (as GDAL does). " + p.Description
		if n == paramFilter {
			p.Description = "Accepted and ignored here, so one query can be appended to every URL (as GDAL does with OAPIF:…/collections/x?filter=…); " +
				"filter-lang and filter-crs are checked here, the filter itself by the items request."
		}
		ps["ignored-"+n] = p
	}
	problem := &oaSchema{Ref: "#/components/schemas/Problem"}
	rs := map[string]oaResponse{
		"BadRequest":  {Description: "A query parameter is unknown, repeated with different values, or malformed; the problem names it.", Content: map[string]oaMedia{MediaProblem: {Schema: problem}}},
		"NotFound":    {Description: "No such collection, feature or path.", Content: map[string]oaMedia{MediaProblem: {Schema: problem}}},
		"Unavailable": {Description: "The data store is not answering; see Retry-After.", Content: map[string]oaMedia{MediaProblem: {Schema: problem}}, Headers: map[string]oaHeader{"Retry-After": {Description: "Seconds to wait", Schema: &oaSchema{Type: "integer"}}}},
	}
	str := &oaSchema{Type: "string"}
	nullStr := &oaSchema{Type: "string", Nullable: true}
	linkRef := &oaSchema{Ref: "#/components/schemas/Link"}
	links := &oaSchema{Type: "array", Items: linkRef}
	obj := func(required []string, props map[string]*oaSchema) *oaSchema {
		return &oaSchema{Type: "object", Required: required, Properties: props}
	}
	ss := map[string]*oaSchema{
		"Link": obj([]string{"href", "rel"}, map[string]*oaSchema{"href": str, "rel": str, "type": str, "title": str}),
		"Problem": obj([]string{"type", "title", "status"}, map[string]*oaSchema{
			"type": str, "title": str, "status": {Type: "integer"}, "detail": str, "instance": str,
			"parameter": {Type: "string", Description: "The query parameter at fault"}, "value": {Type: "string", Description: "Its value"},
		}),
		"LandingPage": obj([]string{"links"}, map[string]*oaSchema{"title": str, "description": str, "links": links}),
		"ConfClasses": obj([]string{"conformsTo"}, map[string]*oaSchema{"conformsTo": {Type: "array", Items: str}}),
		"Collections": obj([]string{"links", "collections"}, map[string]*oaSchema{"links": links, "collections": {Type: "array", Items: &oaSchema{Ref: "#/components/schemas/Collection"}}}),
		"Collection": obj([]string{"id", "links"}, map[string]*oaSchema{
			"id": str, "title": str, "description": str, "itemType": str, "links": links,
			"crs": {Type: "array", Items: str},
			"extent": obj(nil, map[string]*oaSchema{
				"spatial":  obj(nil, map[string]*oaSchema{"bbox": {Type: "array", Items: &oaSchema{Type: "array", MinItems: intp(4), MaxItems: intp(4), Items: &oaSchema{Type: "number"}}}, "crs": str}),
				"temporal": obj(nil, map[string]*oaSchema{"interval": {Type: "array", Items: &oaSchema{Type: "array", MinItems: intp(2), MaxItems: intp(2), Items: nullStr}}, "trs": str}),
			}),
			"geometry_type": {Type: "string", Description: "Extension: the declared geometry type"},
			"dated":         {Type: "boolean", Description: "Extension: whether features carry validity (valid_from, valid_to)"},
			"group_key":     {Type: "string", Description: "Extension: the property naming the real-world thing a feature is a version of"},
			"attribution":   {Type: "string", Description: "Extension: attribution to show with the layer"},
			"license":       {Type: "string", Description: "Extension: SPDX licence id"},
			"style":         {Type: "object", Description: "Extension: default map style (property, colors, default_color, label, order)"},
			"role":          {Type: "string", Enum: []string{"events", "sites"}, Description: "Extension: what the map uses the collection for (the timeline's events; the sites the text summary names)"},
			"terms":         {Type: "object", Description: "Extension: the words for property values: property -> value -> {label, label_ar, subject, note, state}"},
		}),
		"Feature": obj([]string{"type", "geometry", "properties"}, map[string]*oaSchema{
			"type": {Type: "string", Enum: []string{"Feature"}}, "id": str,
			"geometry":   {Type: "object", Nullable: true},
			"properties": {Type: "object", Nullable: true, Description: "Always valid_from and valid_to (RFC 3339 or null) and sources, unless properties= leaves them out"},
			"links":      links,
		}),
		"FeatureCollection": obj([]string{"type", "features"}, map[string]*oaSchema{
			"type":          {Type: "string", Enum: []string{"FeatureCollection"}},
			"features":      {Type: "array", Items: &oaSchema{Ref: "#/components/schemas/Feature"}},
			"numberMatched": {Type: "integer", Minimum: num(0)}, "numberReturned": {Type: "integer", Minimum: num(0)},
			"timeStamp": {Type: "string", Format: "date-time"}, "links": links,
		}),
		"Timeline": obj([]string{"start", "end", "dates", "events", "links"}, map[string]*oaSchema{
			"start": {Type: "string", Format: "date", Nullable: true}, "end": {Type: "string", Format: "date", Nullable: true},
			"dates":  {Type: "array", Items: &oaSchema{Type: "string", Format: "date"}},
			"events": {Ref: "#/components/schemas/FeatureCollection"}, "links": links,
		}),
		"Status": obj([]string{"status"}, map[string]*oaSchema{"status": str}),
	}
	return oaComponents{Parameters: ps, Responses: rs, Schemas: ss}
}
