package handlers_test

import (
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/handlers"
)

// BenchmarkColdPath measures whole requests through the router with the
// response cache off and something new on every request — an id, a bbox, a
// tile — on a generated dataset in the embedded store: the path every new
// question takes (issue 10). Compare runs with benchstat.
func BenchmarkColdPath(b *testing.B) {
	ds := gen.Scale(1, gen.Options{Polygons: 300, Points: 20000, Facilities: 50, Events: 20})
	var ids []string
	for _, f := range ds.Features[gen.Points] {
		ids = append(ids, f.ID)
	}
	e := handlers.New(memory.New(ds), handlers.Options{CacheBytes: -1, Logger: slog.New(slog.DiscardHandler)})
	cases := []struct {
		name   string
		target func(i int) string
	}{
		{"item", func(i int) string { return "/collections/points/items/" + ids[(i*7919)%len(ids)] }},
		{"points-bbox", func(i int) string {
			x := 36 + float64(i%400)*0.01
			return fmt.Sprintf("/collections/points/items?bbox=%.2f,34,%.2f,34.5&limit=1000", x, x+0.5)
		}},
		{"polygons-bbox-date", func(i int) string {
			x := 36 + float64(i%400)*0.01
			return fmt.Sprintf("/collections/areas/items?bbox=%.2f,34,%.2f,35&datetime=2026-01-15&limit=100", x, x+1)
		}},
		{"tile-z10", func(i int) string {
			return fmt.Sprintf("/collections/points/tiles/WebMercatorQuad/10/%d/%d?datetime=2026-01-15", 405+i%15, 613+(i/15)%20)
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.target(i), nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.target(i), rec.Code, rec.Body.String())
				}
			}
		})
	}
}
