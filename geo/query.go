package geo

import (
	"strconv"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo/cql2"
)

// Query selects features of one collection. The zero Query matches every
// feature and returns all of them.
type Query struct {
	// BBox, when set, keeps features whose geometry intersects the box (not
	// merely its bound: a polygon whose centre lies outside still matches).
	BBox *orb.Bound
	// Time, when not unbounded, keeps features whose validity intersects it.
	// Undated features match every time.
	Time Interval
	// Limit is the most features returned; zero or less means no limit.
	Limit int
	// Offset skips that many matching features, in id order.
	Offset int
	// Filters keeps features whose property equals the value, compared as text
	// (a number 150 equals "150"; true equals "true"). Only scalar values match.
	Filters map[string]string
	// Filter, when set, keeps features for which the CQL2 filter is true
	// (checked by geo/cql2 against the collection; the meaning is
	// MatchFilter's). It is combined with the other conditions by AND.
	Filter *cql2.Expr
	// SortBy orders the matches by these keys, then by id; nil: id order.
	SortBy []SortKey
	// EncodedProperties says that the caller needs the features' properties
	// only as each one's whole encoded object (Feature.PropertiesJSON,
	// followed by Feature.PropertiesJSONTail when a store splits it) and
	// reads none of their values: a store that keeps the encoding may then
	// return features with PropertiesJSON set and Properties and Sources
	// nil, and skip decoding them. A feature returned without
	// PropertiesJSON has its values as usual. It changes nothing about which
	// features match.
	EncodedProperties bool
	// Simplify, when more than zero, says that the caller only draws the
	// geometries, at a resolution of that many degrees: a store may return
	// each one simplified (Douglas–Peucker, in degrees, parts too small
	// for the tolerance kept as they collapse), every position it keeps
	// one of the original's and every one it leaves out within Simplify of
	// what it keeps. The memory store returns them whole (its geometries
	// are in memory already); PostGIS sends less. It changes nothing about
	// which features match or their properties. A point has nothing to
	// simplify: a caller reading only points leaves it zero (PostGIS does
	// not know a collection's geometry type when it writes the statement,
	// and would call ST_Simplify on every point).
	Simplify float64
	// Properties, when not nil, names the only properties the caller reads
	// (with EncodedProperties false): a store may return each feature with
	// only those of them that it has and that are not null, and without
	// sources, and features whose values are the same may share one map of
	// them, which the caller must not change. Both stores return only the
	// named ones: PostGIS sends less and decodes less (and leaves the
	// sources out), and the memory store builds no map of every property
	// for each feature (100,000 points drawn as dots in a picture). It
	// changes nothing about which features match.
	Properties []string
	// Uncounted says that the caller does not read Page.NumberMatched (a
	// picture, which asks one more than it draws to know it has too
	// many): a store may leave it zero. PostGIS then neither counts nor
	// keeps every match until the last to count them (but for an empty
	// page, where it asks whether the collection exists, and a page that
	// ends before its limit, whose number it knows). It changes nothing
	// about which features match or their order.
	Uncounted bool
	// Unordered says that the caller needs the matches in no particular
	// order (a picture's dots, which it puts in its own order): with
	// Offset zero and no SortBy, a store may return them in any order,
	// and with a Limit any Limit of them. PostGIS then sends rows as it
	// finds them rather than after sorting all of them.
	Unordered bool
	// Known, when set, is asked by id about the features of the page, in
	// the page's order, before their geometries and properties are read:
	// a feature it says true of is one the caller holds whole already (an
	// items answer keeps the encodings of large features, which a bbox
	// shifted a little returns again), and a store may return it with its
	// Collection and ID alone. The memory store never asks (its features
	// are in memory already); PostGIS then reads the page's ids first and
	// the rest only of the features not known, in a second statement. A
	// caller sets it when it expects most of a page to be known: for a
	// page of which it knows nothing, the first statement is work added.
	// It changes nothing about which features match or their order.
	Known func(id string) bool
}

// SortKey is one key of an ordering: a property of the collection, or id,
// valid_from or valid_to; Desc for descending order.
//
// Both stores order the same way: by id (bytes); valid_from with an open
// start first and valid_to with an open end last (ascending); a collection
// property by the type of its value (numbers, then strings, then booleans,
// then anything else: missing, null, arrays, objects), then the value
// (numbers by value, strings and booleans by their bytes); Desc reverses
// all of it. Ties are broken by id, ascending, so pages are stable.
type SortKey struct {
	Name string
	Desc bool
}

// Page is the answer to a Query: the features of the requested page in id
// order, and how many features matched in all.
type Page struct {
	Features      []Feature
	NumberMatched int
}

// Match reports whether f satisfies the query's spatial, temporal and property
// filters. Stores that filter in memory use it (or its parts: MatchTime,
// MatchFilters and IntersectsBound); SQL stores must agree with it.
func (q Query) Match(f Feature) bool {
	if !q.MatchTime(f.Valid) || !q.MatchFilters(func(k string) any { return f.Properties[k] }) {
		return false
	}
	if q.BBox != nil && !IntersectsBound(f.Geometry, *q.BBox) {
		return false
	}
	if q.Filter == nil {
		return true
	}
	var b orb.Bound
	if f.Geometry != nil {
		b = BoundOf(f.Geometry)
	}
	return MatchFilter(q.Filter, &FilterRow{ID: f.ID, Prop: func(k string) any { return f.Properties[k] }, Geom: f.Geometry, Bound: b, Valid: f.Valid})
}

// MatchTime reports whether a feature valid for valid passes the query's
// time filter.
func (q Query) MatchTime(valid Interval) bool {
	return q.Time.IsUnbounded() || valid.Intersects(q.Time)
}

// MatchFilters reports whether a feature whose property values prop returns
// (nil for a property it does not have) passes the query's property filters.
func (q Query) MatchFilters(prop func(name string) any) bool {
	for k, want := range q.Filters {
		got, ok := ScalarText(prop(k))
		if !ok || got != want {
			return false
		}
	}
	return true
}

// ScalarText returns the text form of a scalar JSON value the way PostgreSQL's
// `->>` operator prints it, and false for null, objects and arrays.
func ScalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	default:
		return "", false
	}
}
