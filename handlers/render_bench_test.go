package handlers_test

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/controlmap/controlmap/data"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/handlers"
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
