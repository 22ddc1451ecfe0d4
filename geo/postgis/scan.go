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

// scanFeature reads the featureColumns of one row, then extra columns into
// extra. Errors from the driver are classified; pgx.ErrNoRows passes through.
func scanFeature(row scanner, collection string, extra ...any) (geo.Feature, error) {
	var (
		f              = geo.Feature{Collection: collection}
		thing          pgtype.Text
		geom           = wkb.Scanner(nil)
		props, sources []byte
		from, to       pgtype.Timestamptz
	)
	dest := append([]any{&f.ID, &thing, geom, &props, &sources, &from, &to}, extra...)
	if err := row.Scan(dest...); err != nil {
		return geo.Feature{}, classify(err)
	}
	if !geom.Valid {
		return geo.Feature{}, fmt.Errorf("feature %q: no geometry", f.ID)
	}
	f.Thing = thing.String
	f.Geometry = geom.Geometry
	if err := json.Unmarshal(props, &f.Properties); err != nil {
		return geo.Feature{}, fmt.Errorf("feature %q: properties: %w", f.ID, err)
	}
	if f.Properties == nil {
		f.Properties = map[string]any{}
	}
	if err := json.Unmarshal(sources, &f.Sources); err != nil {
		return geo.Feature{}, fmt.Errorf("feature %q: sources: %w", f.ID, err)
	}
	if len(f.Sources) == 0 {
		f.Sources = nil
	}
	f.Valid = geo.Interval{Start: tsTime(from), End: tsTime(to)}
	return f, nil
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
