package postgis

import (
	"context"
	"fmt"
	"runtime"
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

// onlySQL is the union of each value's polygons valid at the instant $at
// and not at $other, for collection $1 and property $2.
func onlySQL(at, other string) string {
	return "SELECT props ->> $2::text AS v, ST_Union(geom) AS g FROM features " +
		"WHERE collection = $1 AND valid @> " + at + "::timestamptz AND NOT valid @> " + other + "::timestamptz " +
		"AND ST_Dimension(geom) = 2 AND jsonb_typeof(props -> $2::text) IN ('string', 'number', 'boolean') GROUP BY 1"
}

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

// regionChangesSQL finds, for each pair of values, the land held by the
// first at $3 and by the second at $4 and by neither of them at the other
// instant, as the memory store does: the intersection of the first's
// polygons valid at $3 and not at $4 (a) with the second's valid at $4 and
// not at $3 (b), less the polygons of the second at $3 and of the first
// at $4 that meet it. It keeps regions of at least $5 km², with the
// versions of a and b that meet each.
const regionChangesSQL = `WITH a AS (` + "%s" + `), b AS (` + "%s" + `),
x0 AS (SELECT a.v AS fv, b.v AS tv, ST_Intersection(a.g, b.g) AS g
       FROM a JOIN b ON a.v <> b.v AND ST_Intersects(a.g, b.g)),
x AS (SELECT fv, tv, ST_Multi(ST_CollectionExtract(COALESCE(ST_Difference(x0.g,
        (SELECT ST_Union(f.geom) FROM features f
         WHERE f.collection = $1 AND ST_Dimension(f.geom) = 2 AND ST_Intersects(f.geom, x0.g)
           AND jsonb_typeof(f.props -> $2::text) IN ('string', 'number', 'boolean')
           AND ((f.valid @> $3::timestamptz AND f.props ->> $2::text = x0.tv)
             OR (f.valid @> $4::timestamptz AND f.props ->> $2::text = x0.fv)))), x0.g), 3)) AS g
      FROM x0)
SELECT fv, tv, ST_AsBinary(g), ST_Area(g::geography) / 1e6,
  ARRAY(SELECT id FROM features f WHERE f.collection = $1 AND f.valid @> $3::timestamptz AND NOT f.valid @> $4::timestamptz
        AND ST_Dimension(f.geom) = 2 AND f.props ->> $2::text = x.fv AND jsonb_typeof(f.props -> $2::text) IN ('string', 'number', 'boolean')
        AND ST_Intersects(f.geom, x.g) ORDER BY id COLLATE "C"),
  ARRAY(SELECT id FROM features f WHERE f.collection = $1 AND f.valid @> $4::timestamptz AND NOT f.valid @> $3::timestamptz
        AND ST_Dimension(f.geom) = 2 AND f.props ->> $2::text = x.tv AND jsonb_typeof(f.props -> $2::text) IN ('string', 'number', 'boolean')
        AND ST_Intersects(f.geom, x.g) ORDER BY id COLLATE "C")
FROM x WHERE NOT ST_IsEmpty(g) AND ST_Area(g::geography) / 1e6 >= $5
ORDER BY fv COLLATE "C", tv COLLATE "C"`

// RegionChanges implements geo.AnalyticsStore.
func (s *Store) RegionChanges(ctx context.Context, collection, property string, from, to time.Time) ([]geo.ChangeRegion, error) {
	if _, err := s.Collection(ctx, collection); err != nil {
		return nil, err
	}
	ctx, cancel, err := s.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer cancel()
	sql := fmt.Sprintf(regionChangesSQL, onlySQL("$3", "$4"), onlySQL("$4", "$3"))
	rows, err := s.pool.Query(ctx, sql, collection, property, from.UTC(), to.UTC(), geo.MinChangeKM2)
	if err != nil {
		return nil, s.explain(ctx, fmt.Errorf("postgis: changes of %q: %w", collection, classify(err)))
	}
	defer rows.Close()
	var out []geo.ChangeRegion
	for rows.Next() {
		var (
			r    geo.ChangeRegion
			data []byte
		)
		if err := rows.Scan(&r.From, &r.To, &data, &r.KM2, &r.FromIDs, &r.ToIDs); err != nil {
			return nil, fmt.Errorf("postgis: changes of %q: %w", collection, err)
		}
		g, err := wkb.Unmarshal(data)
		if err != nil {
			return nil, fmt.Errorf("postgis: changes of %q: %w", collection, err)
		}
		switch x := g.(type) {
		case orb.MultiPolygon:
			r.Geometry = x
		case orb.Polygon:
			r.Geometry = orb.MultiPolygon{x}
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, s.explain(ctx, fmt.Errorf("postgis: changes of %q: %w", collection, classify(err)))
	}
	return out, nil
}
