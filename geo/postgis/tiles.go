package postgis

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/mvt"
)

var (
	_ geo.TileStore   = (*Store)(nil)
	_ geo.ChangeStore = (*Store)(nil)
)

// A tile is drawn here, by the encoder the embedded store uses (geo/mvt),
// from the rows PostgreSQL finds for it, rather than by ST_AsMVT in the
// statement: PostgreSQL is what the server waits on, and its part of a
// tile was mostly the per-row work of ST_AsMVTGeom, ST_AsMVT and the
// formatting of the validity (bench/performance-notes.md, "PostGIS tiles
// drawn by the server"). The tile holds the same features as the embedded
// store's tile of the same data, in the same bytes (TestTilesAsMemory).

// tileSQL selects, in no order, the features of collection that match q's
// time and property filters (q.BBox, Limit and Offset are ignored) and
// whose geometry's box meets bound (a tile's geo.TileBound; the GiST
// index's boxes are rounded outwards, so that these are all the features
// that meet bound and a few more, which the tile's encoder leaves out): id,
// the properties as JSON text (props_json, the GeoJSON properties object,
// or props when a row has none), the ends of the validity and the geometry
// as WKB, whole: the encoder clips it.
func tileSQL(collection string, bound orb.Bound, q geo.Query) (string, []any) {
	var p params
	filter := tileFilter(&p, collection, q)
	env := "ST_MakeEnvelope(" + p.add(bound.Min[0]) + ", " + p.add(bound.Min[1]) + ", " +
		p.add(bound.Max[0]) + ", " + p.add(bound.Max[1]) + ", 4326)"
	return "SELECT " + tileColumns + " FROM features WHERE " + filter + " AND geom && " + env, p.args
}

// tileColumns are the columns of a tile's rows, as tileRows.read reads
// them.
const tileColumns = "id, coalesce(props_json, props::text), lower(valid), upper(valid), ST_AsBinary(geom)"

// tileFilter is the condition of a tile's rows but for its area: the
// collection, q's property and CQL2 filters and its time.
func tileFilter(p *params, collection string, q geo.Query) string {
	filter := featureFilter(p, collection, geo.Query{Filters: q.Filters, Filter: q.Filter})
	if !q.Time.IsUnbounded() {
		// The spatial index holds the validity (migration 0005), so the
		// generic plan of a prepared statement (tilePlannedBelow) tests it
		// there with the box and the collection. Before it, the condition
		// was written (…) IS TRUE to keep the validity's own index out of
		// that plan, which had ANDed it with the spatial index's bitmap: 64
		// ms for a z10 tile of points on the scale dataset against 0.95 ms
		// (bench/performance-notes.md); TestBoxReadsOneCollectionAndDateInTheIndex
		// checks the plan.
		filter += " AND " + timeCondition(p, q.Time)
	}
	return filter
}

// tilePlannedBelow is the zoom below which a tile's statement is planned
// for its values (as items are), and from which it is a prepared
// statement run with the generic plan PostgreSQL settles on: planning
// takes about 0.3 ms, as much as a small tile's statement. Measured on the
// scale dataset, a new tile each request, the prepared statement against
// planning every tile, alternately: points at z13 +16%, z10 +12%; areas
// at z11 +2% and +10%, at z10 -1% and -15% (two pairs each); at z7
// planning is better (points +32%, areas +26%) (bench/performance-notes.md).
const tilePlannedBelow = 10

// Tile returns the MVT bytes of tile t of the collection's features that
// match q's time and property filters, drawn by geo/mvt as the embedded
// store draws them; no bytes when no feature shows; an error matching
// geo.ErrNotFound for a missing collection.
func (s *Store) Tile(ctx context.Context, collection string, t maptile.Tile, q geo.Query) ([]byte, error) {
	if !storable(collection) {
		return nil, notFound("collection %q", collection)
	}
	for k, v := range q.Filters {
		if !storable(k) || !storable(v) {
			// Nothing stored can match; only say whether the collection exists.
			q.Filters = map[string]string{"": ""}
			break
		}
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	// Driver errors are classified where they come (Query, Scan, Err),
	// not the store's own, whose text may hold a feature's id.
	fail := func(err error) error {
		return s.explain(ctx, fmt.Errorf("postgis: tile %s of %q: %w", geo.TileKey(t), collection, err))
	}
	r := newTileRows(collection, t)
	defer r.release()
	read := s.readTileBatched // prepared, with the tiles asked at the same time (tilebatch.go)
	if t.Z < tilePlannedBelow {
		read = s.readTilePlanned
	}
	if err := read(ctx, collection, q, r); err != nil {
		return nil, fail(err)
	}
	if r.n == 0 {
		// No row: whether the collection exists (a row says it does).
		return nil, s.exists(ctx, collection)
	}
	if err := ctx.Err(); err != nil {
		return nil, fail(err)
	}
	return r.tile(), nil
}

// readTile reads the rows of tileSQL for the tile r into r: as a prepared
// statement with its generic plan, or planned for its values. A row that
// cannot be read ends it.
func (s *Store) readTile(ctx context.Context, collection string, q geo.Query, r *tileRows, prepared bool) error {
	sql, args := tileSQL(collection, r.bound, q)
	if !prepared {
		args = planned(args)
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return classify(err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := r.read(rows); err != nil {
			return err
		}
	}
	return classify(rows.Err())
}

// readTilePlanned reads the tile r with its statement planned for its
// values: a tile below tilePlannedBelow, or with a CQL2 filter, whose shapes
// are folded only when planned for their values (the generic plan is not
// measured for tiles).
func (s *Store) readTilePlanned(ctx context.Context, collection string, q geo.Query, r *tileRows) error {
	return s.readTile(ctx, collection, q, r, false)
}

// tileRow is one row of tileSQL whose geometry shows in the tile, drawn.
type tileRow struct {
	id       string
	drawn    mvt.Drawn
	from, to string // geo.FormatTime of the validity's ends, "" when open
	own      [2]int // its own tile properties: tileRows.own[own[0]:own[1]]
}

// tileRows reads the rows of one tile, drawing each geometry as it comes
// (only what the tile holds is kept), and writes them in id order. Strings
// that repeat from row to row (property names, values such as a
// controller, validity ends) are kept once.
type tileRows struct {
	n     int // rows read, drawn or not
	layer *mvt.Layer
	bound orb.Bound // the tile's area: geo.TileBound
	rows  []tileRow
	own   []ownValue
	strs  map[string]string
	room  int // the most strings strs has held (tileRows.release)
	times map[int64]string
	geom  geomScanner
	from  pgtype.Timestamptz
	to    pgtype.Timestamptz
	// broken is set when a panic stopped the reading of r (readBatch):
	// release does not pool r or its layer again.
	broken bool
}

// ownValue is one of a feature's own properties as a tile carries it.
type ownValue struct {
	k string
	v geo.TileValue
}

// tileRowsPool keeps the tileRows of tiles drawn before, whose tables and
// slices, grown to a tile's size, the next tile reuses: growing the map of
// a tile's strings and the slices of its rows anew for each tile was a
// tenth of the server's CPU for a cold tile of points at z10.
var tileRowsPool = sync.Pool{New: func() any {
	return &tileRows{strs: map[string]string{}, times: map[int64]string{}}
}}

// maxPooledRows bounds the rows (and strings) of a tileRows put back in the
// pool, so that the pool does not keep the tables of the largest tiles. A
// map of strings barely used by the tile given back is dropped rather than
// cleared and kept, by the rule of mvt's own pool (mvt.KeepTable).
const maxPooledRows = 1 << 14

func newTileRows(collection string, t maptile.Tile) *tileRows {
	r := tileRowsPool.Get().(*tileRows)
	r.layer, r.bound = mvt.NewLayer(collection, t), geo.TileBound(t)
	return r
}

// release empties r, keeping what it grew, and puts it back in the pool,
// and its layer in the layers' (mvt.Layer.Release): nothing of the tile
// drawn (its geometries, strings and layer) is kept.
func (r *tileRows) release() {
	if r.broken {
		return
	}
	r.layer.Release()
	r.layer = nil
	room := max(r.room, len(r.strs))
	if cap(r.rows) > maxPooledRows || cap(r.own) > 8*maxPooledRows || room > 4*maxPooledRows {
		return
	}
	if !mvt.KeepTable(len(r.strs), room) {
		r.strs, room = map[string]string{}, 0
	}
	clear(r.rows)
	clear(r.own)
	clear(r.strs)
	clear(r.times)
	*r = tileRows{rows: r.rows[:0], own: r.own[:0], strs: r.strs, room: room, times: r.times}
	tileRowsPool.Put(r)
}

// str returns b as a string, the same string for the same bytes.
func (r *tileRows) str(b []byte) string {
	if s, ok := r.strs[string(b)]; ok {
		return s
	}
	s := string(b)
	r.strs[s] = s
	return s
}

// time returns geo.FormatTime of ts, "" for an open end.
func (r *tileRows) time(ts pgtype.Timestamptz) string {
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

// read reads one row of tileSQL.
func (r *tileRows) read(row interface {
	Scan(dest ...any) error
	RawValues() [][]byte
}) error {
	if err := row.Scan(nil, nil, &r.from, &r.to, &r.geom); err != nil {
		return classify(err)
	}
	r.n++
	raw := row.RawValues()
	if !r.geom.valid {
		return fmt.Errorf("feature %q: no geometry", raw[0])
	}
	// Only what meets the tile's area, as the embedded store decides it
	// (a tile inside a polygon's hole does not hold it).
	g := r.geom.g
	gb := geo.BoundOf(g)
	if !geo.IntersectsBoundOf(g, gb, r.bound) {
		return nil
	}
	drawn, ok := r.layer.Draw(g, gb)
	if !ok {
		return nil
	}
	w := tileRow{id: string(raw[0]), drawn: drawn, from: r.time(r.from), to: r.time(r.to)}
	w.own[0] = len(r.own)
	var err error
	if r.own, err = r.scalars(r.own, raw[1]); err != nil {
		return fmt.Errorf("feature %q: properties: %w", w.id, err)
	}
	w.own[1] = len(r.own)
	if own := r.own[w.own[0]:]; !slices.IsSortedFunc(own, byKey) {
		slices.SortFunc(own, byKey) // props (jsonb) is in jsonb's order: shorter keys first
	}
	r.rows = append(r.rows, w)
	return nil
}

func byKey(a, b ownValue) int { return strings.Compare(a.k, b.k) }

// tile writes the rows read in id order (byte order, as the embedded store
// orders a tile's features): the tile, or no bytes when none shows.
func (r *tileRows) tile() []byte {
	slices.SortFunc(r.rows, func(a, b tileRow) int { return strings.Compare(a.id, b.id) })
	// Its distinct strings: at most those read (names and values), the
	// ids and the validity's ends.
	r.layer.Expect(len(r.rows), len(r.strs)+len(r.rows)+len(r.times))
	for i := range r.rows {
		w := &r.rows[i]
		own := func(yield func(string, geo.TileValue) bool) {
			for _, o := range r.own[w.own[0]:w.own[1]] {
				if !yield(o.k, o.v) {
					return
				}
			}
		}
		r.layer.AddDrawn(w.drawn, geo.TileValuesOf(w.id, false, w.from, w.to, own))
	}
	return r.layer.Tile()
}

// changesSQL selects whether a collection exists and the distinct change
// times of its features, from its summary row: starts and ends of
// validities that are not instants, and instants.
func changesSQL(collection string) (string, []any) {
	return `SELECT coalesce(s.starts, '{}'), coalesce(s.ends, '{}'), coalesce(s.instants, '{}') ` +
			`FROM collections c LEFT JOIN collection_summaries s ON s.collection = c.id WHERE c.id = $1`,
		[]any{collection}
}

// Changes returns when the collection's features begin and stop being
// valid, read from the collection's summary row (once per data version
// while the change feed is live); an error matching geo.ErrNotFound for a
// missing collection.
func (s *Store) Changes(ctx context.Context, collection string) (*geo.Changes, error) {
	if !storable(collection) {
		return nil, notFound("collection %q", collection)
	}
	if !s.migrated.Load() {
		return nil, errNotMigrated
	}
	v, live := s.feed.current()
	if live {
		if c, ok := s.memo.changesOf(v, collection); ok {
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("postgis: changes of %q: %w", collection, err) // as memoCollections
			}
			return c, nil
		}
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	sql, args := changesSQL(collection)
	var starts, ends, instants []time.Time
	err = s.pool.QueryRow(ctx, sql, args...).Scan(&starts, &ends, &instants)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, notFound("collection %q", collection)
	}
	if err != nil {
		return nil, s.explain(ctx, fmt.Errorf("postgis: changes of %q: %w", collection, classify(err)))
	}
	c := geo.NewChangesFrom(starts, ends, instants)
	if live {
		s.memo.setChanges(v, collection, c)
	}
	return c, nil
}
