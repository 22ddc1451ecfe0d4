package postgis

import (
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
	return newFeatureReader(collection, false).read(row)
}

// A featureReader reads rows of one statement (the columns of scanFeature)
// into one set of scan targets, one row after another.
type featureReader struct {
	collection                string
	id                        string
	thing                     pgtype.Text
	geom                      *wkb.GeometryScanner
	props, sources, propsJSON []byte
	from, to                  pgtype.Timestamptz
	dest                      []any
	// shared holds the properties decoded so far by their JSON, when the
	// features may share them (geo.Query.Properties: a few properties
	// whose values repeat, such as 100,000 points' controller); nil
	// otherwise.
	shared map[string]map[string]any
}

// newFeatureReader returns a reader of rows of collection's features, then
// of extra columns into extra; with shared, features whose properties are
// the same JSON get one map of them.
func newFeatureReader(collection string, shared bool, extra ...any) *featureReader {
	r := &featureReader{collection: collection, geom: wkb.Scanner(nil)}
	r.dest = append([]any{&r.id, &r.thing, r.geom, &r.props, &r.sources, &r.from, &r.to, &r.propsJSON}, extra...)
	if shared {
		r.shared = map[string]map[string]any{}
	}
	return r
}

// read reads one row.
func (r *featureReader) read(row scanner) (geo.Feature, error) {
	r.geom.Geometry, r.geom.Valid = nil, false
	if err := row.Scan(r.dest...); err != nil {
		return geo.Feature{}, classify(err)
	}
	f := geo.Feature{Collection: r.collection, ID: r.id}
	if !r.geom.Valid {
		return geo.Feature{}, fmt.Errorf("feature %q: no geometry", f.ID)
	}
	f.Thing = r.thing.String
	f.Geometry = r.geom.Geometry
	f.Valid = geo.Interval{Start: tsTime(r.from), End: tsTime(r.to)}
	if len(r.propsJSON) > 0 {
		f.PropertiesJSON = r.propsJSON
	}
	if r.props == nil && f.PropertiesJSON != nil {
		return f, nil // encodedColumns: the values were left out
	}
	if r.shared != nil && string(r.sources) == "[]" {
		if p, ok := r.shared[string(r.props)]; ok {
			f.Properties = p
			return f, nil
		}
	}
	var v geo.Feature // decoded apart, so that f itself does not escape
	if err := decodeValues(&v, r.props, r.sources); err != nil {
		return geo.Feature{}, fmt.Errorf("feature %q: %w", f.ID, err)
	}
	f.Properties, f.Sources = v.Properties, v.Sources
	if r.shared != nil && f.Sources == nil && len(r.shared) < maxShared {
		r.shared[string(r.props)] = f.Properties
	}
	return f, nil
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
