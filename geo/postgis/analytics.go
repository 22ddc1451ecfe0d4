package postgis

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"golang.org/x/sync/errgroup"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"

	"github.com/controlmap/controlmap/geo"
)

var _ geo.AnalyticsStore = (*Store)(nil)

// The territory analytics in SQL, with the meaning geo.AnalyticsStore
// gives them and the memory store computes in Go: the polygons valid at an
// instant (valid @> t, as geo.Interval.Contains), grouped by the text of a
// scalar property, unioned (ST_Union), measured on the WGS84 spheroid
// (geography), and for a change intersected (ST_Intersection) and
// differenced (ST_Difference) with only the polygons kept
// (ST_CollectionExtract).

// valuesSQL lists the values of property $3 that polygons valid at each
// instant of $2 have, with the instant's position (from 1), the values
// with the most polygons first.
const valuesSQL = `SELECT t.i, f.props ->> $3::text
FROM unnest($2::timestamptz[]) WITH ORDINALITY AS t(at, i)
JOIN features f ON f.collection = $1 AND f.valid @> t.at
WHERE ST_Dimension(f.geom) = 2 AND jsonb_typeof(f.props -> $3::text) IN ('string', 'number', 'boolean')
GROUP BY 1, 2 ORDER BY count(*) DESC, 1, 2`

// areaSQL measures the union of the polygons of collection $1 valid at $2
// whose property $3 has the text $4.
const areaSQL = `SELECT ST_Area(ST_Union(geom)::geography) / 1e6 FROM features
WHERE collection = $1 AND valid @> $2::timestamptz AND ST_Dimension(geom) = 2
AND props ->> $3::text = $4::text AND jsonb_typeof(props -> $3::text) IN ('string', 'number', 'boolean')`

// Areas implements geo.AnalyticsStore. Each union is its own statement,
// run on as many connections at once as the database has cores to give
// (GOMAXPROCS here, bounded by the pool): one ST_Union aggregate runs on
// one core, and the unions of the sides are independent. The largest
// unions start first, so that the last to finish is a small one.
func (s *Store) Areas(ctx context.Context, collection, property string, at []time.Time) ([]geo.AreaAt, error) {
	if _, err := s.Collection(ctx, collection); err != nil {
		return nil, err
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	times := make([]time.Time, len(at))
	out := make([]geo.AreaAt, len(at))
	for i, t := range at {
		times[i] = t.UTC()
		out[i] = geo.AreaAt{At: t, KM2: map[string]float64{}}
	}
	type job struct {
		i int
		v string
	}
	rows, err := s.pool.Query(ctx, valuesSQL, collection, times, property)
	if err != nil {
		return nil, s.explain(ctx, fmt.Errorf("postgis: areas of %q: %w", collection, classify(err)))
	}
	jobs, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (job, error) {
		var j job
		err := r.Scan(&j.i, &j.v)
		j.i--
		return j, err
	})
	if err != nil {
		return nil, s.explain(ctx, fmt.Errorf("postgis: areas of %q: %w", collection, classify(err)))
	}
	km2 := make([]float64, len(jobs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, min(runtime.GOMAXPROCS(0), int(s.pool.Config().MaxConns)-1)))
	for k, j := range jobs {
		g.Go(func() error {
			return s.pool.QueryRow(gctx, areaSQL, collection, times[j.i], property, j.v).Scan(&km2[k])
		})
	}
	if err := g.Wait(); err != nil {
		return nil, s.explain(ctx, fmt.Errorf("postgis: areas of %q: %w", collection, classify(err)))
	}
	for k, j := range jobs {
		out[j.i].KM2[j.v] = km2[k]
	}
	return out, nil
}

// onlyUnionsSQL is, for each value of property $2, the union of the
// polygons of collection $1 valid at $3 and not at $4 (side 0) and of those
// valid at $4 and not at $3 (side 1): only these can have changed hands.
// Each is computed once, here, for every pair it is part of.
const onlyUnionsSQL = `SELECT CASE WHEN valid @> $3::timestamptz THEN 0 ELSE 1 END, props ->> $2::text, ST_AsBinary(ST_Union(geom))
FROM features WHERE collection = $1 AND (valid @> $3::timestamptz) <> (valid @> $4::timestamptz)
AND ST_Dimension(geom) = 2 AND jsonb_typeof(props -> $2::text) IN ('string', 'number', 'boolean')
GROUP BY 1, 2`

// regionChangeSQL finds the land held by $6 at $3 and by $7 at $4, and by
// neither of them at the other instant, as the memory store does: the
// intersection of the union of the polygons of $6 valid at $3 and not at $4
// (a, $8 in WKB, from onlyUnionsSQL) with that of $7 valid at $4 and not at
// $3 (b, $9), less, part by part, the
// polygons of $7 at $3 and of $6 at $4 that meet the part. It keeps a
// region of at least $5 km², with the versions of a and b that meet it.
// The steps are MATERIALIZED: inlined, each use of a step's geometry
// would compute it again (the region's five uses, five overlays).
const regionChangeSQL = `WITH a AS (SELECT ST_GeomFromWKB($8::bytea, 4326) AS g), b AS (SELECT ST_GeomFromWKB($9::bytea, 4326) AS g),
x0 AS MATERIALIZED (SELECT (ST_Dump(ST_CollectionExtract(ST_Intersection(a.g, b.g), 3))).geom AS g
       FROM a, b WHERE ST_Intersects(a.g, b.g)),
x1 AS MATERIALIZED (SELECT COALESCE(ST_Difference(x0.g,
        (SELECT ST_Union(f.geom) FROM features f
         WHERE f.collection = $1 AND ST_Dimension(f.geom) = 2 AND ST_Intersects(f.geom, x0.g)
           AND jsonb_typeof(f.props -> $2::text) IN ('string', 'number', 'boolean')
           AND ((f.valid @> $3::timestamptz AND f.props ->> $2::text = $7::text)
             OR (f.valid @> $4::timestamptz AND f.props ->> $2::text = $6::text)))), x0.g) AS g
      FROM x0),
x AS MATERIALIZED (SELECT ST_Multi(ST_CollectionExtract(ST_Collect(g), 3)) AS g FROM x1)
SELECT ST_AsBinary(g), ST_Area(g::geography) / 1e6,
  ARRAY(SELECT id FROM features f WHERE f.collection = $1 AND f.valid @> $3::timestamptz AND NOT f.valid @> $4::timestamptz
        AND ST_Dimension(f.geom) = 2 AND f.props ->> $2::text = $6::text AND jsonb_typeof(f.props -> $2::text) IN ('string', 'number', 'boolean')
        AND ST_Intersects(f.geom, x.g) ORDER BY id COLLATE "C"),
  ARRAY(SELECT id FROM features f WHERE f.collection = $1 AND f.valid @> $4::timestamptz AND NOT f.valid @> $3::timestamptz
        AND ST_Dimension(f.geom) = 2 AND f.props ->> $2::text = $7::text AND jsonb_typeof(f.props -> $2::text) IN ('string', 'number', 'boolean')
        AND ST_Intersects(f.geom, x.g) ORDER BY id COLLATE "C")
FROM x WHERE g IS NOT NULL AND NOT ST_IsEmpty(g) AND ST_Area(g::geography) / 1e6 >= $5`

// RegionChanges implements geo.AnalyticsStore: the unions of what can have
// changed in one statement, then one statement per pair of values, run on
// as many connections at once as Areas uses.
func (s *Store) RegionChanges(ctx context.Context, collection, property string, from, to time.Time) ([]geo.ChangeRegion, error) {
	if _, err := s.Collection(ctx, collection); err != nil {
		return nil, err
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	fail := func(err error) ([]geo.ChangeRegion, error) {
		return nil, s.explain(ctx, fmt.Errorf("postgis: changes of %q: %w", collection, classify(err)))
	}
	from, to = from.UTC(), to.UTC()
	rows, err := s.pool.Query(ctx, onlyUnionsSQL, collection, property, from, to)
	if err != nil {
		return fail(err)
	}
	var sides [2][]string
	unions := [2]map[string][]byte{{}, {}}
	for rows.Next() {
		var k int
		var v string
		var u []byte
		if err := rows.Scan(&k, &v, &u); err != nil {
			rows.Close()
			return fail(err)
		}
		sides[k] = append(sides[k], v)
		unions[k][v] = u
	}
	if err := rows.Err(); err != nil {
		return fail(err)
	}
	// In byte order, as the memory store (and COLLATE "C") has them.
	slices.Sort(sides[0])
	slices.Sort(sides[1])
	type pair struct {
		a, b   string
		region *geo.ChangeRegion
	}
	var pairs []*pair
	for _, a := range sides[0] {
		for _, b := range sides[1] {
			if a != b {
				pairs = append(pairs, &pair{a: a, b: b})
			}
		}
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(1, min(runtime.GOMAXPROCS(0), int(s.pool.Config().MaxConns)-1)))
	for _, p := range pairs {
		g.Go(func() error {
			var (
				r    = geo.ChangeRegion{From: p.a, To: p.b}
				data []byte
			)
			err := s.pool.QueryRow(gctx, regionChangeSQL, collection, property, from, to, geo.MinChangeKM2, p.a, p.b,
				unions[0][p.a], unions[1][p.b]).
				Scan(&data, &r.KM2, &r.FromIDs, &r.ToIDs)
			if errors.Is(err, pgx.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			geom, err := wkb.Unmarshal(data)
			if err != nil {
				return err
			}
			switch x := geom.(type) {
			case orb.MultiPolygon:
				r.Geometry = x
			case orb.Polygon:
				r.Geometry = orb.MultiPolygon{x}
			}
			p.region = &r
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return fail(err)
	}
	var out []geo.ChangeRegion
	for _, p := range pairs {
		if p.region != nil {
			out = append(out, *p.region)
		}
	}
	return out, nil
}
