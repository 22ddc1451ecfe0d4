package handlers_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/handlers"

	"github.com/controlmap/controlmap/internal/benchcpu"
)

// BenchmarkRender measures the default picture (1200×675, every layer, the
// areas' extent) of the shipped dataset in the memory store: cold (the
// response cache off, so every request reads the store and draws) and hot
// (from the cache). Run with -benchmem.
func BenchmarkRender(b *testing.B) {
	st, err := memory.Load(data.FS)
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		cache  int64
		target string
	}{
		{"cold-png", -1, "/render.png?date=2026-01-20"},
		{"cold-svg", -1, "/render.svg?date=2026-01-20"},
		{"cold-png-since", -1, "/render.png?date=2026-01-20&since=2026-01-15"},
		{"hot-png", 0, "/render.png?date=2026-01-20"},
	} {
		b.Run(c.name, func(b *testing.B) {
			e := handlers.New(st, handlers.Options{CacheBytes: c.cache, Logger: slog.New(slog.DiscardHandler)})
			for b.Loop() {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.target, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d %s", c.target, rec.Code, rec.Body.String())
				}
			}
		})
	}
}

// renderScalePath is the picture `make bench` draws cold (i-render-cold):
// the default view of the scale dataset at 1200×675, every layer but the
// 100,000 points, at the i-th day from 1 October 2025, so that each
// request of a run of up to 150 asks another date.
func renderScalePath(i int) string {
	return renderScaleAllPath(i) + "&layers=" + gen.Areas + "," + gen.Facilities + "," + gen.Events
}

// renderScaleAllPath is the default picture as the map opens, every layer
// (the 100,000 points as dots), at the i-th day from 1 October 2025.
func renderScaleAllPath(i int) string {
	day := time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i%150)
	return "/render.png?date=" + day.Format(time.DateOnly)
}

// BenchmarkRenderScale is a cold render of the scale dataset (gen.Scale
// with seed 1, as `controlmap generate --seed 1`; built in memory in a few
// seconds) in the memory store: the cache off, another date each request;
// without the points (as i-render-cold) and with them, as dots.
// BenchmarkColdPathPostGIS/render-png and render-png-points are the same on
// PostGIS.
//
//	go test -run '^$' -bench RenderScale -benchmem ./handlers
func BenchmarkRenderScale(b *testing.B) {
	e := handlers.New(memory.New(gen.Scale(1, gen.Options{})), handlers.Options{CacheBytes: -1, Logger: slog.New(slog.DiscardHandler)})
	for _, c := range []struct {
		name string
		path func(int) string
	}{{"no-points", renderScalePath}, {"all-layers", renderScaleAllPath}} {
		b.Run(c.name, func(b *testing.B) {
			defer benchcpu.Report(b)()
			for i := 0; b.Loop(); i++ {
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, c.path(i), nil))
				if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "image/png" {
					b.Fatalf("%s: %d %s", c.path(i), rec.Code, rec.Body.String())
				}
			}
		})
	}
}
