package handlers

// The vocabulary of OGC API – Features Part 1 (Core) and the media types this
// server speaks, in one place.

// Conformance classes this server implements.
const (
	ConfCore    = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"
	ConfGeoJSON = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
	ConfOAS30   = "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"
)

// conformanceClasses lists the classes returned by /conformance, in order.
func conformanceClasses() []string { return []string{ConfCore, ConfGeoJSON, ConfOAS30} }

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
