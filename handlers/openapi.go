package handlers

import (
	"fmt"
	"sort"
	"strings"

	"github.com/labstack/echo/v4"
)

// The OpenAPI 3.0 document served at /api is generated here from the same
// parameter names and limits the handlers use, plus one items path per
// collection listing its property filters (GDAL and QGIS read these to know
// which attributes they may filter on). Routes registered by others (the
// map pages) are listed from the router itself, so nothing is missed.

// openAPI serves /api.
func (s *server) openAPI(c echo.Context) error {
	if err := s.metadataParams(c); err != nil {
		return err
	}
	return s.respond(c, resource{mediaType: MediaOpenAPI, maxAge: s.opts.CacheMaxAge}, func(*dataState) (built, error) {
		doc, err := s.buildOpenAPI(c)
		if err != nil {
			return built{}, err
		}
		return jsonBuilt(doc)
	})
}

// buildOpenAPI generates the document for the collections now served.
func (s *server) buildOpenAPI(c echo.Context) (*oaDoc, error) {
	cols, err := s.store.Collections(c.Request().Context())
	if err != nil {
		return nil, err
	}
	doc := &oaDoc{
		OpenAPI: "3.0.3",
		Info: oaInfo{
			Title:   "controlmap",
			Version: "1.0.0",
			Description: "OGC API – Features (Part 1: Core, GeoJSON, OpenAPI 3.0) serving dated layers, with " +
				"whole-layer GeoJSON downloads and a timeline. Every GET also answers HEAD. Every answer carries " +
				"a strong ETag (If-None-Match gives 304). Errors are RFC 9457 problem documents. Unknown query " +
				"parameters, and a parameter given twice with different values, are refused with 400.",
		},
		Servers: []oaServer{{URL: s.baseURL(c)}},
		Tags: []oaTag{
			{Name: "Capabilities", Description: "What the server offers"},
			{Name: "Data", Description: "Collections and their features"},
			{Name: "Timeline", Description: "Dates of change and events, for the date slider"},
			{Name: "Operations", Description: "Health checks"},
			{Name: "Pages", Description: "The map and its files, for people"},
		},
		Paths:      map[string]oaPathItem{},
		Components: oaComponentsDoc(),
	}
	ignored := refs(prefixed("ignored-", ignoredParams())...)
	meta := func(tag, summary, id, desc, media string, schema string) *oaOperation {
		return &oaOperation{
			Tags: []string{tag}, Summary: summary, Description: desc, OperationID: id,
			Parameters: append([]oaParam{fParam("json")}, ignored...),
			Responses:  okResponses(media, schema, false),
		}
	}
	landing := meta("Capabilities", "Landing page", "getLandingPage",
		"JSON for f=json or an Accept header preferring application/json; otherwise (browsers) the map page.", MediaJSON, "LandingPage")
	landing.Parameters[0] = fParam("json", "html")
	landing.Responses["200"].Content[MediaHTML] = oaMedia{Schema: &oaSchema{Type: "string"}}
	doc.Paths["/"] = oaPathItem{Get: landing}
	doc.Paths["/conformance"] = oaPathItem{Get: meta("Capabilities", "Conformance classes implemented", "getConformance", "", MediaJSON, "ConfClasses")}
	doc.Paths["/api"] = oaPathItem{Get: meta("Capabilities", "This API definition", "getAPI", "", MediaOpenAPI, "")}
	doc.Paths["/api.html"] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Capabilities"}, Summary: "This API definition as a web page", OperationID: "getAPIDoc",
		Responses: okResponses(MediaHTML, "", false),
	}}
	doc.Paths["/collections"] = oaPathItem{Get: meta("Data", "The collections (layers)", "getCollections", "", MediaJSON, "Collections")}
	coll := meta("Data", "One collection", "describeCollection", "", MediaJSON, "Collection")
	coll.Parameters = append(refs("collectionId"), coll.Parameters...)
	coll.Responses["404"] = oaResponse{Ref: "#/components/responses/NotFound"}
	doc.Paths["/collections/{collectionId}"] = oaPathItem{Get: coll}
	schema := meta("Data", "JSON Schema of a collection's features", "getCollectionSchema",
		"Property types are inferred from the data.", MediaJSONSchema, "")
	schema.Parameters = append(refs("collectionId"), schema.Parameters...)
	schema.Responses["404"] = oaResponse{Ref: "#/components/responses/NotFound"}
	doc.Paths["/collections/{collectionId}/schema"] = oaPathItem{Get: schema}
	qry := meta("Data", "What a filter may name (OGC API – Features Part 3 queryables)", "getQueryables",
		"A JSON Schema closed by additionalProperties: false: the collection's properties, id, geometry, valid_from and valid_to.", MediaJSONSchema, "")
	qry.Parameters = append(refs("collectionId"), qry.Parameters...)
	qry.Responses["404"] = oaResponse{Ref: "#/components/responses/NotFound"}
	doc.Paths["/collections/{collectionId}/queryables"] = oaPathItem{Get: qry}

	items := itemsOperation("getFeatures", "Features of a collection",
		"Any property of the collection may also be given as an equality filter (controller=sdf); "+
			"each collection's own path below lists them.", refs("collectionId"))
	doc.Paths["/collections/{collectionId}/items"] = oaPathItem{Get: items}
	for _, col := range cols {
		var filters []oaParam
		for _, n := range filterable(col) {
			filters = append(filters, oaParam{Name: n, In: "query", Schema: &oaSchema{Type: "string"},
				Description: fmt.Sprintf("Only features whose property %q equals this value (compared as text: 150 matches the number 150).", n)})
		}
		op := itemsOperation("getFeatures_"+opID(col.ID), "Features of "+col.Title, "", filters)
		doc.Paths[itemsPath(col.ID)] = oaPathItem{Get: op}
	}

	item := &oaOperation{
		Tags: []string{"Data"}, Summary: "One feature", OperationID: "getFeature",
		Parameters: append(append(refs("collectionId", "featureId"), fParam("geojson", "json"), oaParam{Ref: "#/components/parameters/properties"}),
			refs(prefixed("ignored-", without(ignoredParams(), paramPrecision))...)...),
		Responses: okResponses(MediaGeoJSON, "Feature", true),
	}
	item.Parameters = append(item.Parameters, oaParam{Ref: "#/components/parameters/precision"})
	item.Responses["200"].Content[MediaJSON] = oaMedia{Schema: &oaSchema{Ref: "#/components/schemas/Feature"}}
	item.Responses["404"] = oaResponse{Ref: "#/components/responses/NotFound"}
	doc.Paths["/collections/{collectionId}/items/{featureId}"] = oaPathItem{Get: item}

	doc.Paths["/timeline"] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Timeline"}, Summary: "Dates of change and events",
		Description: "The sorted UTC dates in [from, to] on which any dated feature's validity starts or ends, " +
			"the earliest and latest dates of all dated data (null when open), and the events collection's " +
			"features intersecting [from, to].",
		OperationID: "getTimeline",
		Parameters:  append([]oaParam{fParam("json")}, refs("from", "to", "precision")...),
		Responses:   okResponses(MediaJSON, "Timeline", false),
	}}
	collectionParam := oaParam{Name: paramCollection, In: "query", Required: true, Description: "The id of a collection (see /collections).", Schema: &oaSchema{Type: "string"}}
	doc.Paths["/analytics/area"] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Analytics"}, Summary: "Area each side controlled over time",
		Description: "For a polygon collection, the area in km² held by each value of its style property (the controller) " +
			"at its first date and at every date its state changes, or at datetime (a date is its midnight UTC): " +
			"the union of the polygons valid then, overlaps counted once, measured on the WGS84 ellipsoid. " +
			"Approximate: the areas are schematic. With the confidence values and the sources of the versions.",
		OperationID: "getAnalyticsArea",
		Parameters:  append([]oaParam{collectionParam, fParam("json")}, refs("datetime")...),
		Responses:   okResponses(MediaJSON, "", false),
	}}
	fromTo := func(name, desc string) oaParam {
		return oaParam{Name: name, In: "query", Required: true, Description: desc, Schema: &oaSchema{Type: "string"}}
	}
	change := &oaOperation{
		Tags: []string{"Analytics"}, Summary: "What changed hands between two dates",
		Description: "For a polygon collection: one (Multi)Polygon per pair of controllers, where the controller at from " +
			"differs from the one at to, with from_controller, to_controller, area_km2 (regions under 1 km² are left out), " +
			"approximate, the versions involved and their sources. For a dated point collection with a group key " +
			"(facilities): the sites whose controller or status differs, with both versions' values and sources.",
		OperationID: "getAnalyticsChange",
		Parameters: append([]oaParam{collectionParam,
			fromTo(paramFrom, "The first instant: a date (its midnight UTC) or an RFC 3339 date-time."),
			fromTo(paramTo, "The second instant, not before from."), fParam("geojson", "json")},
			refs(paramPrecision, paramDownload)...),
		Responses: okResponses(MediaGeoJSON, "FeatureCollection", false),
	}
	change.Responses["200"].Content[MediaJSON] = oaMedia{Schema: &oaSchema{Ref: "#/components/schemas/FeatureCollection"}}
	doc.Paths["/analytics/change"] = oaPathItem{Get: change}
	doc.Paths["/healthz"] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Operations"}, Summary: "Liveness: always 200 while the process runs", OperationID: "getHealth",
		Responses: map[string]oaResponse{"200": {Description: "Alive", Content: map[string]oaMedia{MediaJSON: {Schema: &oaSchema{Ref: "#/components/schemas/Status"}}}}},
	}}
	doc.Paths["/readyz"] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Operations"}, Summary: "Readiness: 200 when the data store answers, else 503", OperationID: "getReady",
		Responses: map[string]oaResponse{
			"200": {Description: "Ready", Content: map[string]oaMedia{MediaJSON: {Schema: &oaSchema{Ref: "#/components/schemas/Status"}}}},
			"503": {Ref: "#/components/responses/Unavailable"},
		},
	}}
	doc.Paths["/version"] = oaPathItem{Get: versionOperation()}
	doc.Paths["/metrics"] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Operations"}, Summary: "Prometheus metrics (text exposition format)", OperationID: "getMetrics",
		Responses: map[string]oaResponse{"200": {Description: "Metrics", Content: map[string]oaMedia{"text/plain": {Schema: &oaSchema{Type: "string"}}}}},
	}}
	addTilePaths(doc)
	addRenderPaths(doc)
	s.addPageRoutes(doc)
	return doc, nil
}

// addPageRoutes lists every GET route of the router the document does not
// describe yet: the map pages and static files registered by pages.go.
func (s *server) addPageRoutes(doc *oaDoc) {
	if s.echo == nil {
		return
	}
	for _, r := range s.echo.Routes() {
		if r.Method != "GET" {
			continue
		}
		path, params := openAPIPath(r.Path)
		if _, ok := doc.Paths[path]; ok {
			continue
		}
		op := &oaOperation{
			Tags: []string{"Pages"}, Summary: "Map page or frontend file " + path, OperationID: "page" + opID(path),
			Responses: map[string]oaResponse{
				"200": {Description: "The page or file", Content: map[string]oaMedia{"*/*": {}}},
				"404": {Ref: "#/components/responses/NotFound"},
			},
		}
		for _, p := range params {
			op.Parameters = append(op.Parameters, oaParam{Name: p, In: "path", Required: true, Schema: &oaSchema{Type: "string"}})
		}
		doc.Paths[path] = oaPathItem{Get: op}
	}
}

// openAPIPath converts an Echo route path (/a/:id/*) to an OpenAPI path
// (/a/{id}/{path}) and returns its path parameter names.
func openAPIPath(p string) (string, []string) {
	segs := strings.Split(p, "/")
	var names []string
	for i, seg := range segs {
		switch {
		case strings.HasPrefix(seg, ":"):
			names = append(names, seg[1:])
			segs[i] = "{" + seg[1:] + "}"
		case seg == "*":
			names = append(names, "path")
			segs[i] = "{path}"
		}
	}
	return strings.Join(segs, "/"), names
}

// opID turns a path or id into an operationId fragment.
func opID(s string) string {
	var b strings.Builder
	up := true
	for _, r := range s {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		} else {
			up = true
		}
	}
	return b.String()
}

// itemsOperation describes an items path; extra parameters come first.
func itemsOperation(id, summary, desc string, extra []oaParam) *oaOperation {
	op := &oaOperation{
		Tags: []string{"Data"}, Summary: summary, Description: desc, OperationID: id,
		Parameters: append(append(extra, fParam("geojson", "json")),
			refs(paramBBox, paramBBoxCRS, paramDatetime, paramLimit, paramOffset, paramProperties, paramPrecision, paramDownload,
				paramFilter, paramFilterLang, paramFilterCRS, paramSortBy)...),
		Responses: okResponses(MediaGeoJSON, "FeatureCollection", true),
	}
	op.Responses["200"].Content[MediaJSON] = oaMedia{Schema: &oaSchema{Ref: "#/components/schemas/FeatureCollection"}}
	op.Responses["200"].Headers["Link"] = oaHeader{Description: "The next and prev links (RFC 8288)", Schema: &oaSchema{Type: "string"}}
	op.Responses["200"].Headers["Content-Disposition"] = oaHeader{Description: "With download=1: attachment; filename=\"<collection>[-<date>].geojson\"", Schema: &oaSchema{Type: "string"}}
	op.Responses["404"] = oaResponse{Ref: "#/components/responses/NotFound"}
	return op
}

// okResponses returns 200 (media type and schema), 304, 400 and 503, plus
// 404 when notFound is set.
func okResponses(media, schema string, notFound bool) map[string]oaResponse {
	var sc *oaSchema
	if schema != "" {
		sc = &oaSchema{Ref: "#/components/schemas/" + schema}
	} else {
		sc = &oaSchema{Type: "object"}
		if media == MediaHTML {
			sc = &oaSchema{Type: "string"}
		}
	}
	rs := map[string]oaResponse{
		"200": {Description: "OK", Content: map[string]oaMedia{media: {Schema: sc}}, Headers: map[string]oaHeader{
			"ETag":          {Description: "Strong entity tag derived from the data version and the request", Schema: &oaSchema{Type: "string"}},
			"Cache-Control": {Description: "public, with a longer max-age for dates wholly in the past", Schema: &oaSchema{Type: "string"}},
		}},
		"304": {Description: "Not modified (If-None-Match matched the ETag)"},
		"400": {Ref: "#/components/responses/BadRequest"},
		"503": {Ref: "#/components/responses/Unavailable"},
	}
	if notFound {
		rs["404"] = oaResponse{Ref: "#/components/responses/NotFound"}
	}
	return rs
}

// fParam is the f parameter with its allowed values, the first the default.
func fParam(values ...string) oaParam {
	return oaParam{Name: paramF, In: "query", Description: "The format of the answer.",
		Schema: &oaSchema{Type: "string", Enum: values, Default: values[0]}}
}

func refs(names ...string) []oaParam {
	out := make([]oaParam, len(names))
	for i, n := range names {
		out[i] = oaParam{Ref: "#/components/parameters/" + n}
	}
	return out
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}

func without(names []string, drop string) []string {
	var out []string
	for _, n := range names {
		if n != drop {
			out = append(out, n)
		}
	}
	return out
}

func num(v float64) *float64 { return &v }
func intp(v int) *int        { return &v }

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
