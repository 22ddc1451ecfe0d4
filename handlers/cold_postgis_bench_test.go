package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/handlers"

	"github.com/controlmap/controlmap/internal/benchcpu"
)

// BenchmarkColdPathPostGIS is BenchmarkColdPath on the PostGIS store: whole
// requests through the router, cache off, something new on every request,
// on a database holding the scale dataset (`controlmap generate --seed 1`,
// then `controlmap import`) named by CONTROLMAP_BENCH_DATABASE_URL; skipped
// without it. The store runs its change feed, as under `controlmap serve`,
// so the data version and the collection descriptions cost no query.
// cpu-ns/op is this process's CPU time per request (PostgreSQL's is not in
// it).
//
//	CONTROLMAP_BENCH_DATABASE_URL=postgres://... go test -run '^$' -bench ColdPathPostGIS -benchmem ./handlers
func BenchmarkColdPathPostGIS(b *testing.B) {
	dbURL := os.Getenv("CONTROLMAP_BENCH_DATABASE_URL")
	if dbURL == "" {
		b.Skip("SKIPPED: set CONTROLMAP_BENCH_DATABASE_URL to a database holding the scale dataset")
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	st, err := postgis.Open(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	go func() { _ = st.Run(ctx) }() // ends with ctx
	ids := benchPointIDs(b, dbURL)
	e := handlers.New(st, handlers.Options{CacheBytes: -1, Logger: slog.New(slog.DiscardHandler)})
	time.Sleep(time.Second) // the change feed connects
	cases := []struct {
		name   string
		target func(i int) string
	}{
		{"item", func(i int) string { return "/collections/points/items/" + ids[(i*7919)%len(ids)] }},
		{"points-bbox", func(i int) string {
			x := 39 + float64(i%500)*0.001
			return fmt.Sprintf("/collections/points/items?bbox=%.3f,35,%.3f,35.5&limit=1000", x, x+0.5)
		}},
		{"polygons-bbox-date", func(i int) string {
			x := 38 + float64(i%500)*0.001
			return fmt.Sprintf("/collections/areas/items?bbox=%.3f,35,%.3f,36&datetime=2026-01-15&limit=100", x, x+1)
		}},
		// A different tile of the scale dataset's region each request
		// (20×12 at z10, 40×24 at z11), the date changing each time the
		// block is done (five dates).
		{"tile-areas-z10", func(i int) string { return scaleTilePath("areas", 10, 610, 400, 20, 12, i) }},
		{"tile-points-z10", func(i int) string { return scaleTilePath("points", 10, 610, 400, 20, 12, i) }},
		{"tile-points-z11", func(i int) string { return scaleTilePath("points", 11, 1220, 800, 40, 24, i) }},
		{"render-png", renderScalePath},
		{"render-png-points", renderScaleAllPath},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			defer benchcpu.Report(b)()
			for i := 0; b.Loop(); i++ {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.target(i), nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.target(i), rec.Code, rec.Body.String())
				}
			}
		})
	}
	// With the cache on, a page of polygons without a date in a box
	// 0.00001° east of the one before, as the bench's b-nodate-cold asks
	// them: every answer and features section misses, but most polygons'
	// encodings are cached (geo.Query.Known).
	cached := handlers.New(st, handlers.Options{Logger: slog.New(slog.DiscardHandler)})
	b.Run("polygons-bbox-shifted-cache", func(b *testing.B) {
		defer benchcpu.Report(b)()
		for i := 0; b.Loop(); i++ {
			x := 38 + float64(i%50000)*0.00001
			target := fmt.Sprintf("/collections/areas/items?bbox=%.5f,35,%.5f,36&limit=100", x, x+1)
			rec := httptest.NewRecorder()
			cached.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: %d %s", target, rec.Code, rec.Body.String())
			}
		}
	})
}

// scaleTilePath is the i-th tile path of a w×h block of tiles at zoom z
// from (x0, y0), at one of five dates of the scale dataset.
func scaleTilePath(collection string, z, x0, y0, w, h, i int) string {
	dates := []string{"2025-11-01", "2025-12-15", "2026-01-15", "2026-01-25", "2026-02-10"}
	return fmt.Sprintf("/collections/%s/tiles/WebMercatorQuad/%d/%d/%d?datetime=%s",
		collection, z, y0+(i/w)%h, x0+i%w, dates[(i/(w*h))%len(dates)])
}

// benchPointIDs returns 1,000 ids of points spread over the collection.
func benchPointIDs(b *testing.B, dbURL string) []string {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT id FROM features WHERE collection = 'points' ORDER BY hash LIMIT 1000`)
	if err != nil {
		b.Fatal(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(ids) == 0 {
		b.Fatalf("point ids: %v (%d)", err, len(ids))
	}
	return ids
}
