package postgis

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/mvt"
)

// A tile of a collection of points is drawn here, by the encoder the
// embedded store uses (geo/mvt), from the rows PostgreSQL finds for it,
// rather than by ST_AsMVT: for points, PostgreSQL's part of the work was
// the per-row work of ST_AsMVTGeom, ST_AsMVT and the formatting of the
// validity (a z10 tile of the scale dataset's points: 2.2–3.1 ms for the
// statement of tileSQL, 0.8 ms to read its rows; bench/performance-notes.md),
// and PostgreSQL is what the server waits on. A point needs no
// clipping or simplification, only projecting, and the tile holds the same
// features as the embedded store's tile of the same data, in the same
// bytes (TestPointTilesAsMemory). Tiles of other geometries keep tileSQL.

// pointTileSQL selects, in no order, the features of collection that
// match q's time and property filters (q.BBox, Limit and Offset are
// ignored) and whose geometry's box meets bound (a tile's geo.TileBound;
// the GiST index's boxes are rounded outwards, so that these are all the
// points in bound and a few more, which the tile's encoder leaves out):
// id, the properties as JSON text (props_json, the GeoJSON properties
// object, or props when a row has none), the ends of the validity and the
// geometry as WKB.
func pointTileSQL(collection string, bound orb.Bound, q geo.Query) (string, []any) {
	var p params
	filter := featureFilter(&p, collection, geo.Query{Time: q.Time, Filters: q.Filters, Filter: q.Filter})
	env := "ST_MakeEnvelope(" + p.add(bound.Min[0]) + ", " + p.add(bound.Min[1]) + ", " +
		p.add(bound.Max[0]) + ", " + p.add(bound.Max[1]) + ", 4326)"
	return "SELECT id, coalesce(props_json, props::text), lower(valid), upper(valid), ST_AsBinary(geom) " +
		"FROM features WHERE " + filter + " AND geom && " + env, p.args
}

// tilePoint is one row of pointTileSQL, read.
type tilePoint struct {
	id       string
	geom     orb.Geometry
	from, to string // geo.FormatTime of the validity's ends, "" when open
	own      [2]int // its own tile properties: tilePoints.own[own[0]:own[1]]
}

// tilePoints reads the rows of one point tile. Strings that repeat from
// row to row (property names, values such as a controller, validity ends)
// are kept once.
type tilePoints struct {
	points []tilePoint
	own    []ownValue
	strs   map[string]string
	times  map[int64]string
	geom   geomScanner
	from   pgtype.Timestamptz
	to     pgtype.Timestamptz
}

// ownValue is one of a feature's own properties as a tile carries it.
type ownValue struct {
	k string
	v geo.TileValue
}

func newTilePoints() *tilePoints {
	return &tilePoints{strs: map[string]string{}, times: map[int64]string{}}
}

// str returns b as a string, the same string for the same bytes.
func (r *tilePoints) str(b []byte) string {
	if s, ok := r.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	r.strs[s] = s
	return s
}

// time returns geo.FormatTime of ts, "" for an open end.
func (r *tilePoints) time(ts pgtype.Timestamptz) string {
	t := tsTime(ts)
	if t.IsZero() {
		return ""
	}
	us := t.UnixMicro()
	if s, ok := r.times[us]; ok {
		return s
	}
	s := geo.FormatTime(t)
	r.times[us] = s
	return s
}

// read reads one row of pointTileSQL.
func (r *tilePoints) read(row interface {
	Scan(dest ...any) error
	RawValues() [][]byte
}) error {
	if err := row.Scan(nil, nil, &r.from, &r.to, &r.geom); err != nil {
		return classify(err)
	}
	raw := row.RawValues()
	p := tilePoint{id: string(raw[0])}
	if !r.geom.valid {
		return fmt.Errorf("feature %q: no geometry", p.id)
	}
	p.geom, p.from, p.to = r.geom.g, r.time(r.from), r.time(r.to)
	p.own[0] = len(r.own)
	var err error
	if r.own, err = r.scalars(r.own, raw[1]); err != nil {
		return fmt.Errorf("feature %q: properties: %w", p.id, err)
	}
	p.own[1] = len(r.own)
	if own := r.own[p.own[0]:]; !slices.IsSortedFunc(own, byKey) {
		slices.SortFunc(own, byKey) // props (jsonb) is in jsonb's order: shorter keys first
	}
	r.points = append(r.points, p)
	return nil
}

func byKey(a, b ownValue) int { return strings.Compare(a.k, b.k) }

// tile draws the points read, in id order (byte order, as the embedded
// store and the other tiles order them), as tile t of the layer named
// collection.
func (r *tilePoints) tile(collection string, t maptile.Tile) []byte {
	slices.SortFunc(r.points, func(a, b tilePoint) int { return strings.Compare(a.id, b.id) })
	l := mvt.NewLayer(collection, t)
	l.Expect(len(r.points))
	for i := range r.points {
		p := &r.points[i]
		own := func(yield func(string, geo.TileValue) bool) {
			for _, o := range r.own[p.own[0]:p.own[1]] {
				if !yield(o.k, o.v) {
					return
				}
			}
		}
		l.Add(p.geom, p.geom.Bound(), geo.TileValuesOf(p.id, p.from, p.to, own))
	}
	return l.Tile()
}

// pointTile is Tile for a collection of points (countsApart: known from the
// catalogue at the version the change feed announced; without a live feed
// every tile is tileSQL's).
func (s *Store) pointTile(ctx context.Context, collection string, t maptile.Tile, q geo.Query) ([]byte, error) {
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	sql, args := pointTileSQL(collection, geo.TileBound(t), q)
	fail := func(err error) error {
		return s.explain(ctx, fmt.Errorf("postgis: tile %s of %q: %w", geo.TileKey(t), collection, classify(err)))
	}
	// Planned for its values, as items are: the generic plan PostgreSQL
	// settles on after five runs of a prepared statement ANDs the spatial
	// index with the validity's (a z10 tile: 64 ms against 1 ms).
	rows, err := s.pool.Query(ctx, sql, planned(args)...)
	if err != nil {
		return nil, fail(err)
	}
	defer rows.Close()
	r := newTilePoints()
	for rows.Next() {
		if err := r.read(rows); err != nil {
			return nil, fail(err)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fail(err)
	}
	return r.tile(collection, t), nil
}

// errNotObject is the error of scalars on text that is not a JSON object.
var errNotObject = errors.New("not a JSON object")

// scalars appends to out the members of the JSON object text b whose
// values a tile carries (strings, numbers and booleans; objects, arrays
// and nulls are skipped), in the order written, with their values as
// encoding/json would decode them (TestScalarsAsEncodingJSON). The text is
// PostgreSQL's or the server's own encoding of an object.
func (r *tilePoints) scalars(out []ownValue, b []byte) ([]ownValue, error) {
	s := jsonText{b: b}
	s.space()
	if !s.byte('{') {
		return out, errNotObject
	}
	s.space()
	if s.byte('}') {
		return out, s.end()
	}
	for {
		s.space()
		k, ok := s.string(r)
		if !ok {
			return out, errNotObject
		}
		s.space()
		if !s.byte(':') {
			return out, errNotObject
		}
		s.space()
		v, scalar, ok := s.value(r)
		if !ok {
			return out, errNotObject
		}
		if scalar {
			out = append(out, ownValue{k: k, v: v})
		}
		s.space()
		if s.byte('}') {
			return out, s.end()
		}
		if !s.byte(',') {
			return out, errNotObject
		}
	}
}

// jsonText reads JSON text from b[i:].
type jsonText struct {
	b []byte
	i int
}

func (s *jsonText) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte reads c if it comes next.
func (s *jsonText) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end says whether only white space is left.
func (s *jsonText) end() error {
	s.space()
	if s.i != len(s.b) {
		return errNotObject
	}
	return nil
}

// rawString reads a string and returns the text between its quotes and
// whether it holds an escape.
func (s *jsonText) rawString() (raw []byte, escaped, ok bool) {
	if !s.byte('"') {
		return nil, false, false
	}
	start := s.i
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			s.i = j + 1
			return s.b[start:j], escaped, true
		case c < 0x20:
			return nil, false, false
		}
	}
	return nil, false, false
}

// string reads a string, unescaped; r keeps it once.
func (s *jsonText) string(r *tilePoints) (string, bool) {
	start := s.i
	raw, escaped, ok := s.rawString()
	if !ok {
		return "", false
	}
	if !escaped {
		return r.str(raw), true
	}
	var v string
	if json.Unmarshal(s.b[start:s.i], &v) != nil {
		return "", false
	}
	return r.str([]byte(v)), true
}

// value reads a value: a string, number or boolean as a tile value
// (scalar true), anything else skipped.
func (s *jsonText) value(r *tilePoints) (v geo.TileValue, scalar, ok bool) {
	if s.i >= len(s.b) {
		return v, false, false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		str, ok := s.string(r)
		return geo.TileValue{Kind: geo.TileString, S: str}, true, ok
	case c == '{' || c == '[':
		return v, false, s.skip()
	case c == 't':
		return geo.TileValue{Kind: geo.TileBool, F: 1}, true, s.word("true")
	case c == 'f':
		return geo.TileValue{Kind: geo.TileBool}, true, s.word("false")
	case c == 'n':
		return v, false, s.word("null")
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		for s.i < len(s.b) && strings.IndexByte("+-.0123456789eE", s.b[s.i]) >= 0 {
			s.i++
		}
		f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
		if errors.Is(err, strconv.ErrRange) {
			return v, false, true // beyond a float64 (jsonb's numeric holds it; no tile value can)
		}
		if err != nil {
			return v, false, false
		}
		return geo.TileValue{Kind: geo.TileNumber, F: f}, true, true
	}
	return v, false, false
}

// word reads the literal w.
func (s *jsonText) word(w string) bool {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

// skip reads an object or array, whatever it holds.
func (s *jsonText) skip() bool {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if _, _, ok := s.rawString(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return true
			}
		}
		s.i++
	}
	return false
}
