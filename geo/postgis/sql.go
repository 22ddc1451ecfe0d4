package postgis

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/controlmap/controlmap/geo"
)

// This file holds the pure SQL builders of the store. Each returns a
// statement and its arguments; every value is a $n parameter and the only
// identifiers are the fixed names of the schema in migrations/.

// The columns scanFeature reads, in order: id, thing, geometry, props,
// sources, the ends of the validity, and the encoded properties
// (props_json, migrations/0003_properties_json.sql). valueColumns leave the
// encoding out, for callers that read values; itemColumns read both, for one
// feature by id (Store.Item); encodedColumns read the encoding, and props
// and sources only for rows that have none, for callers that write every
// property as it is (geo.Query.EncodedProperties, Store.ItemEncoded):
// decoding them was most of the store's CPU time on a page of points, and
// 6% of the server's on a feature by id.
const (
	// geomColumn is the geometry in the columns below; pageColumns
	// replaces it when the query asks for simplified geometries
	// (geo.Query.Simplify).
	geomColumn = `ST_AsBinary(geom)`
	// propsColumns are the properties and sources of valueColumns, which
	// pageColumns replaces by a column for each property when the query
	// names the properties it reads (geo.Query.Properties;
	// newSelectedReader).
	propsColumns   = `props, sources`
	valueColumns   = `id, thing, ST_AsBinary(geom), props, sources, lower(valid), upper(valid), NULL::text`
	itemColumns    = `id, thing, ST_AsBinary(geom), props, sources, lower(valid), upper(valid), props_json`
	encodedColumns = `id, thing, ST_AsBinary(geom), CASE WHEN props_json IS NULL THEN props END, ` +
		`CASE WHEN props_json IS NULL THEN sources END, lower(valid), upper(valid), props_json`
)

// params collects the arguments of a statement and names them $1, $2, ...
type params struct{ args []any }

// add appends v and returns its placeholder.
func (p *params) add(v any) string {
	p.args = append(p.args, v)
	return "$" + strconv.Itoa(len(p.args))
}

// featureFilter returns the WHERE conditions selecting the features of a
// collection that match q (bbox, time and property filters; not paging),
// joined with AND, adding their values to p.
func featureFilter(p *params, collection string, q geo.Query) string {
	conds := []string{"collection = " + p.add(collection)}
	if q.BBox != nil {
		conds = append(conds, bboxCondition(p, *q.BBox))
	}
	if !q.Time.IsUnbounded() {
		conds = append(conds, timeCondition(p, q.Time))
	}
	keys := make([]string, 0, len(q.Filters))
	for k := range q.Filters {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pk, pv := p.add(k), p.add(q.Filters[k])
		conds = append(conds, "props ->> "+pk+"::text = "+pv+"::text AND jsonb_typeof(props -> "+pk+"::text) IN ('string', 'number', 'boolean')")
	}
	if q.Filter != nil {
		conds = append(conds, filterSQL(p, q.Filter))
	}
	return strings.Join(conds, " AND ")
}

// bboxCondition keeps geometries that share a point with the box, boundary
// included, as geo.IntersectsBound does. The && test lets the GiST index
// prune; boxIntersects decides. A box without area is tested as the point or
// line it is: ST_MakeEnvelope would make a degenerate polygon that touches
// nothing.
//
// The shape is one parameter of type geometry (boxShape), a value in every
// plan: PostgreSQL computes nothing for it row by row. Written as
// ST_MakeEnvelope of four parameters, as it was, it was folded into a
// constant only when PostgreSQL planned the statement for its values (see
// planned); in a generic plan (a prepared statement, as wholePage reads a
// page) it was made again for every candidate row: 0.80–0.84 ms instead of
// 0.58–0.60 for 0.5° of the scale dataset's points (11 ms against 1.3 before
// the spatial index held the collection).
func bboxCondition(p *params, b orb.Bound) string {
	shape := p.add(boxShape(b)) + "::geometry"
	return "geom && " + shape + " AND " + boxIntersects(p, shape, b)
}

// boxIntersects is the exact test of whether geom shares a point with the
// box b, whose shape (boxShape) is the parameter shape: for a point, its
// coordinates (the columns px and py, migration 0006) between the box's
// sides, boundary included, as ST_Intersects decides for a point and a box
// (TestBoxEdgesExactly); for anything else (px is NULL), ST_Intersects.
// Comparing numbers costs PostgreSQL far less than ST_Intersects row by
// row: a cold page of points by box took it 0.79–0.91 ms instead of
// 0.97–1.24, a CQL2 page of points by box and date 0.56–0.61 ms instead of
// 0.70–0.73 (bench/performance-notes.md).
func boxIntersects(p *params, shape string, b orb.Bound) string {
	return "CASE WHEN px IS NULL THEN ST_Intersects(geom, " + shape + ") ELSE px BETWEEN " +
		p.add(b.Min[0]) + " AND " + p.add(b.Max[0]) + " AND py BETWEEN " + p.add(b.Min[1]) + " AND " + p.add(b.Max[1]) + " END"
}

// boxShape is the shape of a box, as hex EWKB in longitude and latitude
// (SRID 4326), the text PostGIS reads as a geometry: the polygon
// ST_MakeEnvelope makes, the same ring from the same corner, or the point
// or the line a box without area is.
func boxShape(b orb.Bound) string {
	var g orb.Geometry
	switch {
	case b.Min == b.Max:
		g = b.Min
	case b.Min[0] == b.Max[0] || b.Min[1] == b.Max[1]:
		g = orb.LineString{b.Min, b.Max}
	default:
		g = orb.Polygon{{b.Min, {b.Min[0], b.Max[1]}, b.Max, {b.Max[0], b.Min[1]}, b.Min}}
	}
	return ewkb.MustMarshalToHex(g, 4326)
}

// timeCondition keeps features whose validity range intersects iv. An open
// end is a NULL bound. The query range is half-open like the intervals
// geo.ParseDatetime makes, or closed when iv is an instant, so that a
// feature's instant t matches [a, b) exactly when a <= t < b, as
// geo.Interval.Intersects decides.
func timeCondition(p *params, iv geo.Interval) string {
	bounds := "'[)'"
	if iv.IsInstant() {
		bounds = "'[]'"
	}
	return "valid && tstzrange(" + p.add(timeArg(iv.Start)) + "::timestamptz, " + p.add(timeArg(iv.End)) + "::timestamptz, " + bounds + ")"
}

// timeArg is t in UTC, or nil (SQL NULL, an open end) for the zero time.
func timeArg(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC()
}

// itemsSQL selects a page of the features of a collection matching q, in id
// (byte) order unless q is Unordered, each row ending with the number of
// matching features when counted; with their encoded properties in place of
// their values when q asks for them.
//
// With a bbox, or a CQL2 filter whose spatial functions bound it
// (geo.FilterBound), the matches are few (the GiST index finds them) and a
// window count(*) OVER () counts them in the same scan. Without one they may
// be a whole collection: a window count keeps every match, wide columns
// included, until the last (50,000 points of a date spilled 15 MB to disk:
// 171 ms), so the count is a scalar subquery instead, computed once on narrow
// columns, and the page is read in id order from the primary key, stopping at
// its end (27 ms). Uncounted, the statement has neither (items counts apart
// when the page does not tell: countsApart).
func itemsSQL(collection string, q geo.Query, counted bool) (string, []any) {
	return querySQL(collection, q, counted, false)
}

// itemIDsSQL selects what itemsSQL does, but only the features' ids (and
// the count, when counted): the first statement of a page read in two
// (Store.knownPage).
func itemIDsSQL(collection string, q geo.Query, counted bool) (string, []any) {
	return querySQL(collection, q, counted, true)
}

// querySQL is itemsSQL, or with idsOnly itemIDsSQL.
func querySQL(collection string, q geo.Query, counted, idsOnly bool) (string, []any) {
	var p params
	where := featureFilter(&p, collection, q)
	count := ""
	if counted {
		count = ", count(*) OVER ()"
		if _, bounded := geo.FilterBound(q.Filter); q.BBox == nil && !bounded {
			count = ", (SELECT count(*) FROM features WHERE " + where + ")"
		}
	}
	cols := "id"
	if !idsOnly {
		cols = pageColumns(&p, q)
	}
	order := ` ORDER BY id COLLATE "C"`
	if len(q.SortBy) > 0 {
		order = " ORDER BY " + orderSQL(&p, q.SortBy)
	} else if q.Unordered && q.Offset <= 0 {
		order = ""
	}
	sql := "SELECT " + cols + count + " FROM features WHERE " + where + order
	if q.Limit > 0 {
		sql += " LIMIT " + p.add(q.Limit)
	}
	if q.Offset > 0 {
		sql += " OFFSET " + p.add(q.Offset)
	}
	return sql, p.args
}

// pageColumns are the columns of a page's features for q: its properties
// encoded, as values, or only those named, and its geometry simplified.
func pageColumns(p *params, q geo.Query) string {
	cols := valueColumns
	if q.EncodedProperties {
		cols = encodedColumns
	}
	if q.Properties != nil && !q.EncodedProperties {
		// Each named value in a column of its own (featureReader.selected):
		// building a jsonb object of them on every row took longer than
		// reading the row (a date's 50,145 points: 133 ms against 100).
		sel := make([]string, 0, len(q.Properties)+1)
		for _, name := range q.Properties {
			sel = append(sel, "props -> "+p.add(name)+"::text")
		}
		cols = strings.Replace(cols, propsColumns+", ", strings.Join(append(sel, ""), ", "), 1)
	}
	if q.Simplify > 0 && !math.IsInf(q.Simplify, 1) {
		cols = strings.Replace(cols, geomColumn, "ST_AsBinary(ST_Simplify(geom, "+p.add(q.Simplify)+"::float8, true))", 1)
	}
	return cols
}

// featuresByIDSQL selects the features of collection with the given ids
// that match q, with the columns of a page for q, in no order: the second
// statement of a page read in two (Store.knownPage), for the features its
// caller does not know. q's conditions are asked again, so that a feature
// changed since the first statement so as not to match any more is missing
// from the answer, as one deleted is.
func featuresByIDSQL(collection string, q geo.Query, ids []string) (string, []any) {
	var p params
	where := featureFilter(&p, collection, q)
	cols := pageColumns(&p, q)
	return "SELECT " + cols + " FROM features WHERE " + where + " AND id = ANY(" + p.add(ids) + "::text[])", p.args
}

// itemsCountSQL returns whether the collection exists and how many of its
// features match q: what items asks when a page comes back empty, and, for
// a page read uncounted, full.
func itemsCountSQL(collection string, q geo.Query) (string, []any) {
	var p params
	where := featureFilter(&p, collection, q)
	return "SELECT EXISTS (SELECT 1 FROM collections WHERE id = $1), (SELECT count(*) FROM features WHERE " + where + ")", p.args
}

// itemSQL selects one feature by collection and id: with itemColumns, or
// encodedColumns when encoded is set (Store.ItemEncoded).
func itemSQL(collection, id string, encoded bool) (string, []any) {
	cols := itemColumns
	if encoded {
		cols = encodedColumns
	}
	return "SELECT " + cols + " FROM features WHERE collection = $1 AND id = $2", []any{collection, id}
}

// collectionsQuery selects the catalogue with the statistics of each
// collection, read from collection_summaries (kept current by triggers, see
// migrations/0002_collection_summaries.sql): count, extent, time extent with
// NULL for an end some feature leaves open (or for an empty collection), and
// the sorted property names. A collection without a summary row has no
// features. The columns are the ones scanCollection reads.
const collectionsQuery = `SELECT c.meta, coalesce(s.n, 0), s.x0, s.y0, s.x1, s.y1, s.t0, s.t1, coalesce(s.names, '{}') ` +
	`FROM collections c LEFT JOIN collection_summaries s ON s.collection = c.id`

// collectionsSQL selects every collection in catalogue order.
func collectionsSQL() (string, []any) {
	return collectionsQuery + ` ORDER BY c.position, c.id COLLATE "C"`, nil
}

// collectionSQL selects one collection by id.
func collectionSQL(id string) (string, []any) {
	return collectionsQuery + " WHERE c.id = $1", []any{id}
}

// versionSQL reads the data version counter.
func versionSQL() (string, []any) {
	return "SELECT version FROM data_version", nil
}
