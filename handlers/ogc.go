package handlers

// The vocabulary of OGC API – Features Part 1 (Core) and the media types this
// server speaks, in one place.

// Conformance classes this server implements.
const (
	ConfCore    = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
	ConfGeoJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
	ConfOAS30   = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
)

// Conformance classes of filtering: OGC API – Features Part 3 and CQL2
// (OGC 21-065). Not implemented: accent-insensitive comparison (ACCENTI,
// which would need Unicode normalisation that both stores do alike),
// custom functions and arithmetic; docs/api.md says why.
const (
	confFeatures3 = "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/"
	confCQL2      = "http://www.opengis.net/spec/cql2/1.0/conf/"
)

// filterConformance lists the Part 3 and CQL2 classes this server implements.
func filterConformance() []string {
	return []string{
		confFeatures3 + "queryables",
		confFeatures3 + "queryables-query-parameters",
		confFeatures3 + "filter",
		confFeatures3 + "features-filter",
		confCQL2 + "cql2-text",
		confCQL2 + "cql2-json",
		confCQL2 + "basic-cql2",
		confCQL2 + "advanced-comparison-operators",
		confCQL2 + "case-insensitive-comparison",
		confCQL2 + "basic-spatial-functions",
		confCQL2 + "basic-spatial-functions-plus",
		confCQL2 + "spatial-functions",
		confCQL2 + "temporal-functions",
		confCQL2 + "array-functions",
		confCQL2 + "property-property",
	}
}

// conformanceClasses lists the classes returned by /conformance, in order.
func conformanceClasses() []string {
	return append([]string{ConfCore, ConfGeoJSON, ConfOAS30}, filterConformance()...)
}

// RelQueryables is the link relation of a collection's queryables.
const RelQueryables = "http://www.opengis.net/def/rel/ogc/1.0/queryables"

// Coordinate and time reference systems.
const (
	// CRS84 is WGS 84 longitude, latitude: the only CRS this server uses.
	CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
	// TRSGregorian is the temporal reference system of every date.
	TRSGregorian = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian"
)

// Link relations.
const (
	RelSelf        = "self"
	RelAlternate   = "alternate"
	RelServiceDesc = "service-desc"
	RelServiceDoc  = "service-doc"
	RelConformance = "conformance"
	RelData        = "data"
	RelItems       = "items"
	RelCollection  = "collection"
	RelNext        = "next"
	RelPrev        = "prev"
	RelLicense     = "license"
	RelDescribedBy = "describedby"
)

// Media types.
const (
	MediaJSON        = "application/json"
	MediaGeoJSON     = "application/geo+json"
	MediaHTML        = "text/html"
	MediaOpenAPI     = "application/vnd.oai.openapi+json;version=3.0"
	MediaProblem     = "application/problem+json"
	MediaJSONSchema  = "application/schema+json"
	charsetUTF8      = "; charset=utf-8"
	mediaHTMLCharset = MediaHTML + charsetUTF8
)

// Paging limits of /collections/{id}/items.
const (
	// DefaultLimit is the page size when limit is not given.
	DefaultLimit = 100
	// MaxLimit is the largest page; a larger limit is clamped to it.
	MaxLimit = 10000
	// DefaultPrecision is the number of decimals written for coordinates.
	DefaultPrecision = 6
	// MaxPrecision is the largest accepted precision.
	MaxPrecision = 15
)
