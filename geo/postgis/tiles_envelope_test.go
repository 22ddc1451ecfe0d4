package postgis_test

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb/encoding/mvt"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/postgis"
)

// TestTileEnvelope compares the envelopes the tile statement sends with
// PostGIS's own: bit for bit with ST_TileEnvelope (with and without the
// buffer's margin, which PostGIS keeps within the world's latitudes), and
// within a nanodegree with ST_Transform of it to longitude and latitude.
func TestTileEnvelope(t *testing.T) {
	ctx := context.Background()
	conn := tileTestDB(t)
	r := rand.New(rand.NewPCG(7, 8))
	tiles := []maptile.Tile{maptile.New(0, 0, 0), maptile.New(1, 1, 1), maptile.New(0, 0, 3), maptile.New(7, 7, 3)}
	for z := maptile.Zoom(0); z <= 24; z++ {
		n := uint64(1) << z
		tiles = append(tiles, maptile.New(0, uint32(n-1), z), maptile.New(uint32(n-1), 0, z))
		for range 20 {
			tiles = append(tiles, maptile.New(uint32(r.Uint64N(n)), uint32(r.Uint64N(n)), z))
		}
	}
	const sql = `SELECT ST_XMin(e), ST_YMin(e), ST_XMax(e), ST_YMax(e), ST_XMin(a), ST_YMin(a), ST_XMax(a), ST_YMax(a)
FROM (SELECT ST_TileEnvelope($1, $2, $3, margin => $4) AS e, ST_Transform(ST_TileEnvelope($1, $2, $3, margin => $4), 4326) AS a) s`
	for _, tile := range tiles {
		for _, margin := range []float64{0, float64(geo.TileBuffer) / geo.TileExtent} {
			var pg [8]float64
			if err := conn.QueryRow(ctx, sql, int(tile.Z), int(tile.X), int(tile.Y), margin).Scan(&pg[0], &pg[1], &pg[2], &pg[3], &pg[4], &pg[5], &pg[6], &pg[7]); err != nil {
				t.Fatal(err)
			}
			merc, lonlat := postgis.TileEnvelopeForTest(tile, margin)
			got := [4]float64{merc.Min[0], merc.Min[1], merc.Max[0], merc.Max[1]}
			if got != [4]float64(pg[:4]) {
				t.Errorf("tile %v margin %g: envelope %v, ST_TileEnvelope %v", tile, margin, got, pg[:4])
			}
			// Longitudes past ±180° (a buffer across the antimeridian) are
			// kept; ST_Transform wraps them round, its box then spanning
			// every longitude: compared brought back within ±180°, in
			// either order.
			ll := [4]float64{lonlat.Min[0], lonlat.Min[1], lonlat.Max[0], lonlat.Max[1]}
			if ll[0] >= ll[2] || ll[1] >= ll[3] {
				t.Errorf("tile %v margin %g: in degrees %v, an empty box", tile, margin, ll)
			}
			lons := []float64{wrap(ll[0]), wrap(ll[2])}
			slices.Sort(lons)
			for i, v := range []float64{lons[0], ll[1], lons[1], ll[3]} {
				if math.Abs(v-pg[4+i]) > 1e-9 {
					t.Errorf("tile %v margin %g: in degrees %v, ST_Transform %v", tile, margin, ll, pg[4:])
					break
				}
			}
			if (ll[0] < -180 || ll[2] > 180) && (margin == 0 || tile.Z == 0) {
				t.Errorf("tile %v margin %g: in degrees %v, past the antimeridian", tile, margin, ll)
			}
		}
	}
}

// wrap brings a longitude back within ±180°.
func wrap(lon float64) float64 {
	switch {
	case lon > 180:
		return lon - 360
	case lon < -180:
		return lon + 360
	}
	return lon
}

// tileSQLBefore is the tile statement as it was before the envelopes were
// computed in Go and the id and validity became columns: ST_TileEnvelope in
// the statement (the tile's numbers spliced in: a test's own values), and
// the properties one jsonb object per row.
func tileSQLBefore(t *testing.T, sql string, tile maptile.Tile) string {
	t.Helper()
	b := regexp.MustCompile(`WITH b AS \(SELECT ST_MakeEnvelope\((\$\d+), (\$\d+), (\$\d+), (\$\d+), 3857\) AS env, ST_MakeEnvelope\((\$\d+), (\$\d+), (\$\d+), (\$\d+), 4326\) AS area\)`)
	if len(b.FindAllString(sql, -1)) != 1 {
		t.Fatalf("the tile statement's envelopes are not where they were:\n%s", sql)
	}
	env := fmt.Sprintf("ST_TileEnvelope(%d, %d, %d)", tile.Z, tile.X, tile.Y)
	area := fmt.Sprintf("ST_Transform(ST_TileEnvelope(%d, %d, %d, margin => %v), 4326)", tile.Z, tile.X, tile.Y, float64(geo.TileBuffer)/geo.TileExtent)
	// The envelopes' parameters are still used, so that PostgreSQL knows
	// their types.
	sql = b.ReplaceAllString(sql, "WITH b AS (SELECT "+env+" AS env, "+area+" AS area, ARRAY[$1::float8, $2::float8, $3::float8, $4::float8, $5::float8, $6::float8, $7::float8, $8::float8] AS unused)")
	props := regexp.MustCompile(`CASE WHEN props \?\| '\{id,valid_from,valid_to\}'::text\[\] THEN props - '\{id,valid_from,valid_to\}'::text\[\] ELSE props END AS props, id, .*? END AS valid_from, .*? END AS valid_to`)
	if len(props.FindAllString(sql, -1)) != 1 {
		t.Fatalf("the tile statement's properties are not where they were:\n%s", sql)
	}
	const before = `props || jsonb_build_object('id', id)` +
		` || CASE WHEN lower_inf(valid) THEN '{}'::jsonb ELSE jsonb_build_object('valid_from', ` +
		`rtrim(rtrim(to_char(lower(valid) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z') END` +
		` || CASE WHEN upper_inf(valid) THEN '{}'::jsonb ELSE jsonb_build_object('valid_to', ` +
		`rtrim(rtrim(to_char(upper(valid) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'), '0'), '.') || 'Z') END AS props`
	return props.ReplaceAllLiteralString(sql, before)
}

// TestTileAsBefore decodes the tiles of the statement and of the one it
// replaced (tileSQLBefore) over the test dataset, at a date and without, at
// zooms from 0 to 14, and requires the same features: geometry and
// properties.
func TestTileAsBefore(t *testing.T) {
	conn := tileTestDB(t)
	day := geo.Day(time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC))
	features := 0
	for _, collection := range []string{"areas", "points"} {
		for _, tile := range cornerTiles(gen.DefaultOptions().Bound, 0, 3, 6, 7, 9, 10, 12, 14) {
			for _, q := range []geo.Query{{Time: day}, {}} {
				sql, args := postgis.TileSQLForTest(collection, tile, q)
				g := decodeTile(t, tileBytes(t, conn, sql, args))
				w := decodeTile(t, tileBytes(t, conn, tileSQLBefore(t, sql, tile), args))
				if !slices.Equal(g, w) {
					t.Errorf("%s tile %v, %v: %d features, %d before\nnow:    %.400s\nbefore: %.400s", collection, tile, q.Time, len(g), len(w), strings.Join(g, "\n"), strings.Join(w, "\n"))
				}
				features += len(g)
			}
		}
	}
	if features == 0 {
		t.Error("no tile had a feature")
	}
}

// decodeTile lists a tile's features, each as its geometry and properties
// in text, sorted.
func decodeTile(t *testing.T, b []byte) []string {
	t.Helper()
	if len(b) == 0 {
		return nil
	}
	layers, err := mvt.Unmarshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, l := range layers {
		for _, f := range l.Features {
			keys := make([]string, 0, len(f.Properties))
			for k := range f.Properties {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			var s strings.Builder
			fmt.Fprintf(&s, "%s %v", l.Name, f.Geometry)
			for _, k := range keys {
				fmt.Fprintf(&s, " %s=%v", k, f.Properties[k])
			}
			out = append(out, s.String())
		}
	}
	slices.Sort(out)
	return out
}

// TestTileOwnKeysGiveWay writes own properties named id, valid_from and
// valid_to into a feature's props directly (Import keeps the last two out;
// anything else writing the table may not) and requires that no row of the
// tile statement carries them in props, so that the tile's feature has
// each key once, from the feature itself; the control without the removal
// finds them.
func TestTileOwnKeysGiveWay(t *testing.T) {
	ctx := context.Background()
	conn := tileTestDB(t)
	if _, err := conn.Exec(ctx, `UPDATE features SET props = props || '{"id": "own", "valid_from": "own", "valid_to": "own"}' WHERE collection = 'areas'`); err != nil {
		t.Fatal(err)
	}
	tile := maptile.New(0, 0, 0)
	sql, args := postgis.TileSQLForTest("areas", tile, geo.Query{})
	count := func(sql string) int {
		t.Helper()
		re := regexp.MustCompile(`\(SELECT ST_AsMVT\(t\.\*, (\$\d+), \d+, 'geom'\) FROM t\)`)
		if len(re.FindAllString(sql, -1)) != 1 {
			t.Fatalf("the tile statement's aggregate is not where it was:\n%s", sql)
		}
		sql = re.ReplaceAllString(sql, `(SELECT count(*) FILTER (WHERE t.props ?| '{id,valid_from,valid_to}'::text[] AND $1::text IS NOT NULL) FROM t)`)
		var exists bool
		var n int
		if err := conn.QueryRow(ctx, sql, args...).Scan(&exists, &n); err != nil {
			t.Fatalf("%v\n%s", err, sql)
		}
		return n
	}
	if n := count(sql); n != 0 {
		t.Errorf("%d rows of the tile carry an own id, valid_from or valid_to", n)
	}
	control := strings.Replace(sql, `CASE WHEN props ?| '{id,valid_from,valid_to}'::text[] THEN props - '{id,valid_from,valid_to}'::text[] ELSE props END AS props`, `props`, 1)
	if control == sql {
		t.Fatal("the control did not find the removal in the statement")
	}
	if n := count(control); n == 0 {
		t.Error("control: without the removal no row carries them: the update did not reach the tile")
	}
	for _, f := range decodeTile(t, tileBytes(t, conn, sql, args)) {
		if strings.Contains(f, "=own") {
			t.Errorf("a feature has an own property that should have given way: %.300s", f)
		}
	}
}
