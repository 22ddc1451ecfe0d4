package postgis

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/controlmap/controlmap/geo"
)

// scanner is a pgx.Row or pgx.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanFeature reads the columns of valueColumns, itemColumns or
// encodedColumns of one row. Errors from the driver are classified;
// pgx.ErrNoRows passes through. A row read with encodedColumns that has its
// properties encoded comes without Properties and Sources.
func scanFeature(row scanner, collection string) (geo.Feature, error) {
	return newFeatureReader(collection).read(row)
}

// A featureReader reads rows of one statement (the columns of scanFeature,
// or with the properties a query names in columns of their own instead of
// props and sources: newSelectedReader) into one set of scan targets, one
// row after another.
type featureReader struct {
	collection                string
	id                        string
	thing                     pgtype.Text
	geom                      *geomScanner
	props, sources, propsJSON []byte
	from, to                  pgtype.Timestamptz
	dest                      []any
	// names are the properties of a statement that reads only some
	// (geo.Query.Properties), each in a column of its own, read into
	// values (nil: the statement reads props and sources).
	names  []string
	values [][]byte
	// shared holds the properties decoded so far by their columns' JSON,
	// when the statement reads only some (a few properties whose values
	// repeat, such as 100,000 points' controller): features with the same
	// values get one map of them. key is the scratch space of its keys.
	shared map[string]map[string]any
	key    []byte
}

// newFeatureReader returns a reader of rows of collection's features, then
// of extra columns into extra.
func newFeatureReader(collection string, extra ...any) *featureReader {
	r := &featureReader{collection: collection, geom: &geomScanner{}}
	r.dest = append([]any{&r.id, &r.thing, r.geom, &r.props, &r.sources, &r.from, &r.to, &r.propsJSON}, extra...)
	return r
}

// newSelectedReader returns a reader of rows that hold the properties
// names, each in a column of its own, instead of props and sources (the
// statement itemsSQL writes for geo.Query.Properties), then of extra
// columns into extra. Features whose values are the same share one map.
func newSelectedReader(collection string, names []string, extra ...any) *featureReader {
	r := &featureReader{collection: collection, geom: &geomScanner{}, names: names,
		values: make([][]byte, len(names)), shared: map[string]map[string]any{}}
	r.dest = append(r.dest, &r.id, &r.thing, r.geom)
	for i := range r.values {
		r.dest = append(r.dest, &r.values[i])
	}
	r.dest = append(append(r.dest, &r.from, &r.to, &r.propsJSON), extra...)
	return r
}

// geomScanner reads a geometry column (ST_AsBinary's WKB) by decoding it
// from pgx's read buffer (pgtype.BytesScanner), where orb's
// wkb.GeometryScanner, a database/sql Scanner, is handed a copy of the
// bytes first: a page of 100 polygons at a date copied about 1.6 MiB into
// memory allocated and cleared for it, only to decode it
// (bench/performance-notes.md). The geometry decoded shares nothing with
// the buffer.
type geomScanner struct {
	g     orb.Geometry
	valid bool
}

// ScanBytes decodes v, or records NULL when v is nil.
func (s *geomScanner) ScanBytes(v []byte) error {
	if v == nil {
		*s = geomScanner{}
		return nil
	}
	g, err := wkb.Unmarshal(v)
	if err != nil {
		return err
	}
	s.g, s.valid = g, true
	return nil
}

// read reads one row.
func (r *featureReader) read(row scanner) (geo.Feature, error) {
	if err := row.Scan(r.dest...); err != nil { // sets r.geom, NULL included
		return geo.Feature{}, classify(err)
	}
	f := geo.Feature{Collection: r.collection, ID: r.id}
	if !r.geom.valid {
		return geo.Feature{}, fmt.Errorf("feature %q: no geometry", f.ID)
	}
	f.Thing = r.thing.String
	f.Geometry = r.geom.g
	f.Valid = geo.Interval{Start: tsTime(r.from), End: tsTime(r.to)}
	if len(r.propsJSON) > 0 {
		f.PropertiesJSON = r.propsJSON
	}
	if r.names != nil {
		props, err := r.selected()
		if err != nil {
			return geo.Feature{}, fmt.Errorf("feature %q: %w", f.ID, err)
		}
		f.Properties = props
		return f, nil
	}
	if r.props == nil && f.PropertiesJSON != nil {
		return f, nil // encodedColumns: the values were left out
	}
	var v geo.Feature // decoded apart, so that f itself does not escape
	if err := decodeValues(&v, r.props, r.sources); err != nil {
		return geo.Feature{}, fmt.Errorf("feature %q: %w", f.ID, err)
	}
	f.Properties, f.Sources = v.Properties, v.Sources
	return f, nil
}

// selected returns the properties of a row read by newSelectedReader: the
// named ones the feature has and that are not null, in a map shared with
// the features read before whose values were the same.
func (r *featureReader) selected() (map[string]any, error) {
	r.key = r.key[:0]
	for _, v := range r.values {
		// Each value's length, then its JSON: NULL (no such property) and
		// "null" stay apart from each other and from every other value.
		r.key = binary.AppendVarint(r.key, int64(len(v))-boolInt(v == nil))
		r.key = append(r.key, v...)
	}
	if p, ok := r.shared[string(r.key)]; ok {
		return p, nil
	}
	props := make(map[string]any, len(r.names))
	for i, v := range r.values {
		if v == nil || string(v) == "null" {
			continue
		}
		var x any
		if err := json.Unmarshal(v, &x); err != nil {
			return nil, fmt.Errorf("property %q: %w", r.names[i], err)
		}
		props[r.names[i]] = x
	}
	if len(r.shared) < maxShared {
		r.shared[string(r.key)] = props
	}
	return props, nil
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// maxShared bounds how many distinct property objects a featureReader
// keeps (a statement whose selected properties all differ gains nothing).
const maxShared = 1024

// decodeValues sets f's Properties and Sources from the JSON of a row's
// props and sources: the one decoding of both, for answers and for the
// encoding Import stores (encodeProperties).
func decodeValues(f *geo.Feature, props, sources []byte) error {
	f.Properties = nil
	if err := json.Unmarshal(props, &f.Properties); err != nil {
		return fmt.Errorf("properties: %w", err)
	}
	if f.Properties == nil {
		f.Properties = map[string]any{}
	}
	f.Sources = nil
	if string(sources) == "[]" {
		return nil
	}
	if err := json.Unmarshal(sources, &f.Sources); err != nil {
		return fmt.Errorf("sources: %w", err)
	}
	if len(f.Sources) == 0 {
		f.Sources = nil
	}
	return nil
}

// tsTime is the time of a range bound in UTC, or the zero time (an open end)
// for NULL or infinity.
func tsTime(ts pgtype.Timestamptz) time.Time {
	if !ts.Valid || ts.InfinityModifier != pgtype.Finite {
		return time.Time{}
	}
	return ts.Time.UTC()
}

// scanCollection reads a row of collectionsQuery: the catalogue entry and the
// statistics that geo.Summarize would compute from the same features.
func scanCollection(row scanner) (geo.Collection, error) {
	var (
		meta                   []byte
		n                      int
		xmin, ymin, xmax, ymax pgtype.Float8
		t0, t1                 pgtype.Timestamptz
		names                  []string
	)
	if err := row.Scan(&meta, &n, &xmin, &ymin, &xmax, &ymax, &t0, &t1, &names); err != nil {
		return geo.Collection{}, classify(err)
	}
	var c geo.Collection
	if err := json.Unmarshal(meta, &c); err != nil {
		return geo.Collection{}, fmt.Errorf("catalogue entry: %w", err)
	}
	c.Count = n
	c.Extent.Empty = n == 0
	if xmin.Valid && ymin.Valid && xmax.Valid && ymax.Valid {
		c.Extent.Bound = orb.Bound{Min: orb.Point{xmin.Float64, ymin.Float64}, Max: orb.Point{xmax.Float64, ymax.Float64}}
	}
	c.Extent.Time = geo.Interval{Start: tsTime(t0), End: tsTime(t1)}
	if names == nil {
		names = []string{}
	}
	c.Properties = names
	return c, nil
}
