package postgis

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
	"github.com/paulmach/orb/project"

	"github.com/controlmap/controlmap/geo"
)

var (
	_ geo.TileStore   = (*Store)(nil)
	_ geo.ChangeStore = (*Store)(nil)
)

// tileColumns are the properties of a feature in a tile, as
// geo.TileProperties gives them: the feature's own (props, whose keys
// ST_AsMVT turns into tile properties, leaving out those whose values are
// objects, arrays or null, as geo.TileProperties does; filtering them here
// first cost a third of the time of a tile of 9,000 points), then id,
// valid_from and valid_to (RFC 3339 in UTC, fractional seconds only when
// present; NULL, which ST_AsMVT leaves out, for an open end). They are
// columns of their own and not keys added to props: building a jsonb object
// per row took 15% of a z10 tile of points (bench/performance-notes.md). Own
// properties named id, valid_from or valid_to give way (tileOwnKeys).
const tileColumns = `CASE WHEN props ?| ` + tileOwnKeys + ` THEN props - ` + tileOwnKeys + ` ELSE props END AS props, id, ` +
	`CASE WHEN lower_inf(valid) THEN NULL ELSE ` + rfc3339Lower + ` END AS valid_from, ` +
	`CASE WHEN upper_inf(valid) THEN NULL ELSE ` + rfc3339Upper + ` END AS valid_to`

// tileOwnKeys are the names of the properties a tile writes from the
// feature itself, which its own properties of those names give way to (as
// geo.TilePropertiesOf does): a feature must not carry a key twice. Import
// keeps valid_from and valid_to out of props; a row written otherwise may
// have them.
const tileOwnKeys = `'{` + geo.TileProperty + `,` + geo.PropValidFrom + `,` + geo.PropValidTo + `}'::text[]`

const (
	rfc3339Lower = `rtrim(rtrim(to_char(lower(valid) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z'`
	rfc3339Upper = `rtrim(rtrim(to_char(upper(valid) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z'`
)

// mercatorMax is half the width of the Web Mercator world in metres, the
// bound of ST_TileEnvelope's default tile system.
const mercatorMax = 20037508.342789244

// tileEnvelope is ST_TileEnvelope(t.Z, t.X, t.Y, margin => margin) in Web
// Mercator metres, computed as PostGIS computes it (TestTileEnvelope
// compares them bit for bit): the same numbers, without a function call
// per tile in the statement.
func tileEnvelope(t maptile.Tile, margin float64) orb.Bound {
	size := 2 * mercatorMax / float64(uint64(1)<<t.Z)
	x, y := float64(t.X), float64(t.Y)
	// The products are rounded on their own (the conversions keep the
	// compiler from fusing a multiply and an add, as it may on some
	// architectures), as PostGIS's C rounds them.
	b := orb.Bound{
		Min: orb.Point{-mercatorMax + float64(size*(x-margin)), mercatorMax - float64(size*(y+1+margin))},
		Max: orb.Point{-mercatorMax + float64(size*(x+1+margin)), mercatorMax - float64(size*(y-margin))},
	}
	// PostGIS keeps a widened tile within the world's latitudes, and
	// within its longitudes when it is wider than the world (zoom 0).
	b.Min[1] = max(b.Min[1], -mercatorMax)
	b.Max[1] = min(b.Max[1], mercatorMax)
	if b.Max[0]-b.Min[0] > 2*mercatorMax {
		b.Min[0], b.Max[0] = -mercatorMax, mercatorMax
	}
	return b
}

// lonLat is the longitude and latitude of a Web Mercator point (orb's
// inverse Mercator), the longitude not brought back within ±180°: the
// buffer of a tile at the antimeridian reaches past it, where
// ST_Transform's box of it wrapped round to the other side and so spanned
// every longitude.
func lonLat(p orb.Point) orb.Point { return project.Mercator.ToWGS84(p) }

// tileSQL selects whether the collection exists and tile t of its features
// matching q's time and property filters (q.BBox, Limit and Offset are
// ignored) as MVT bytes, empty when no feature shows. The tile's envelope
// (env, in Web Mercator) and its area with the buffer (in longitude and
// latitude: a Web Mercator box is a longitude and latitude box) are
// computed here and sent as numbers. The GiST index finds the features
// whose box meets the area (the columns of b, env and area, are named
// unlike any of features, so that the filter's column names need no
// table); each is clipped there in longitude and latitude before it is
// projected, so that only what shows is transformed, and ST_AsMVTGeom snaps,
// simplifies and clips it in tile units. ST_AsMVT skips the rows whose
// geometry ST_AsMVTGeom made NULL (nothing left in the tile), keys and
// values included, and gives no bytes when no feature is left: no WHERE on
// t.geom, which PostgreSQL would push down into the inlined t and so compute
// ST_AsMVTGeom twice per row (measured on the scale dataset's z7 tile of
// areas: 261 ms against 153 ms, the same bytes).
func tileSQL(collection string, t maptile.Tile, q geo.Query) (string, []any) {
	var p params
	filter := featureFilter(&p, collection, geo.Query{Time: q.Time, Filters: q.Filters, Filter: q.Filter})
	e := tileEnvelope(t, 0)
	a := tileEnvelope(t, float64(geo.TileBuffer)/geo.TileExtent)
	amin, amax := lonLat(a.Min), lonLat(a.Max)
	env := "ST_MakeEnvelope(" + p.add(e.Min[0]) + ", " + p.add(e.Min[1]) + ", " + p.add(e.Max[0]) + ", " + p.add(e.Max[1]) + ", 3857)"
	area := "ST_MakeEnvelope(" + p.add(amin[0]) + ", " + p.add(amin[1]) + ", " + p.add(amax[0]) + ", " + p.add(amax[1]) + ", 4326)"
	layer := p.add(collection)
	sql := "WITH b AS (SELECT " + env + " AS env, " + area + " AS area), " +
		"t AS (SELECT ST_AsMVTGeom(ST_Transform(ST_ClipByBox2D(geom, b.area), 3857), b.env, " +
		fmt.Sprint(geo.TileExtent) + ", " + fmt.Sprint(geo.TileBuffer) + ", true) AS geom, " + tileColumns + " " +
		"FROM features, b WHERE " + filter + " AND geom && b.area AND ST_Intersects(geom, b.area) " +
		`ORDER BY id COLLATE "C") ` +
		"SELECT EXISTS (SELECT 1 FROM collections WHERE id = $1), " +
		"(SELECT ST_AsMVT(t.*, " + layer + ", " + fmt.Sprint(geo.TileExtent) + ", 'geom') FROM t)"
	return sql, p.args
}

// Tile returns the MVT bytes of tile t of the collection's features that
// match q's time and property filters, drawn by ST_AsMVT, or for a
// collection of points by the server's encoder (pointTile); no bytes when
// no feature shows; an error matching geo.ErrNotFound for a missing
// collection.
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
	if s.countsApart(collection) {
		return s.pointTile(ctx, collection, t, q)
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	sql, args := tileSQL(collection, t, q)
	var (
		exists bool
		tile   []byte
	)
	if err := s.pool.QueryRow(ctx, sql, args...).Scan(&exists, &tile); err != nil {
		return nil, s.explain(ctx, fmt.Errorf("postgis: tile %s of %q: %w", geo.TileKey(t), collection, classify(err)))
	}
	if !exists {
		return nil, notFound("collection %q", collection)
	}
	if len(tile) == 0 {
		return nil, nil
	}
	return tile, nil
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
