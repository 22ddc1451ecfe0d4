package postgis_test

import (
	"context"
	"math/rand/v2"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// TestBoxShapeIsPostGISs checks that the shape a bbox condition sends as
// one geometry parameter is, byte for byte, the shape PostGIS makes of the
// box's corners, as the condition was written before: ST_MakeEnvelope, or
// the point or the line of a box without area. Random boxes, boxes with
// long fractions (the bench's 39.00002), and boxes on the antimeridian and
// the poles.
func TestBoxShapeIsPostGISs(t *testing.T) {
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pgtest.NewDB(t))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	boxes := []orb.Bound{
		{Min: orb.Point{39.00002, 35}, Max: orb.Point{39.50002, 35.5}},
		{Min: orb.Point{-180, -90}, Max: orb.Point{180, 90}},
		{Min: orb.Point{40, 36}, Max: orb.Point{40, 36}},
		{Min: orb.Point{40, 36}, Max: orb.Point{41, 36}},
		{Min: orb.Point{40, 36}, Max: orb.Point{40, 37}},
		{Min: orb.Point{-0.1, -1e-9}, Max: orb.Point{1.0 / 3, 2.0 / 3}},
	}
	r := rand.New(rand.NewPCG(5, 6))
	for range 200 {
		x0, y0 := r.Float64()*360-180, r.Float64()*180-90
		x1, y1 := x0+r.Float64()*(180-x0), y0+r.Float64()*(90-y0)
		switch r.IntN(8) {
		case 0:
			x1, y1 = x0, y0
		case 1:
			y1 = y0
		case 2:
			x1 = x0
		}
		boxes = append(boxes, orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}})
	}
	for _, b := range boxes {
		var want string
		err := conn.QueryRow(ctx, `SELECT lower(ST_AsHexEWKB(CASE
			WHEN $1::float8 = $3::float8 AND $2::float8 = $4::float8 THEN ST_SetSRID(ST_MakePoint($1, $2), 4326)
			WHEN $1::float8 = $3::float8 OR $2::float8 = $4::float8 THEN ST_SetSRID(ST_MakeLine(ST_MakePoint($1, $2), ST_MakePoint($3, $4)), 4326)
			ELSE ST_MakeEnvelope($1, $2, $3, $4, 4326) END, 'NDR'))`,
			b.Min[0], b.Min[1], b.Max[0], b.Max[1]).Scan(&want)
		if err != nil {
			t.Fatal(err)
		}
		if got := postgis.BoxShapeForTest(b); got != want {
			t.Errorf("box %v: shape\n got %s\nwant %s", b, got, want)
		}
	}
}
