package handlers_test

import (
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/handlers"
)

// BenchmarkCachedItems measures whole requests through the router for the
// layer the map asks for (facilities of a date), a bbox of polygons and a
// tile: answered from the snapshot cache (hit), and with the cache off
// (miss: store, encoder and all).
func BenchmarkCachedItems(b *testing.B) {
	ds := gen.Scale(1, gen.Options{Polygons: 100, Points: 2000, Facilities: 50, Events: 10})
	targets := []struct{ name, target string }{
		{"facilities", "/collections/facilities/items?datetime=2026-01-15"},
		{"polygons", "/collections/areas/items?bbox=38,35,39,36&datetime=2026-01-15&limit=100"},
		{"tile", "/collections/points/tiles/WebMercatorQuad/7/51/77?datetime=2026-01-15"},
	}
	for _, cache := range []struct {
		name  string
		bytes int64
	}{{"hit", 0}, {"miss", -1}} {
		e := handlers.New(memory.New(ds), handlers.Options{CacheBytes: cache.bytes})
		for _, t := range targets {
			b.Run(t.name+"-"+cache.name, func(b *testing.B) {
				req := httptest.NewRequest(http.MethodGet, t.target, nil)
				for b.Loop() {
					rec := httptest.NewRecorder()
					e.ServeHTTP(rec, req)
					if rec.Code != http.StatusOK {
						b.Fatalf("%s: %d", t.target, rec.Code)
					}
					b.SetBytes(int64(rec.Body.Len()))
				}
			})
		}
	}
}

// BenchmarkShiftedBBox measures bbox queries of polygons that are all
// different (each box 0.00001° east of the one before), so the answers and
// their features sections miss, but the polygons' own encodings are reused.
func BenchmarkShiftedBBox(b *testing.B) {
	ds := gen.Scale(1, gen.Options{Polygons: 300, Points: -1, Facilities: -1, Events: -1})
	for _, cache := range []struct {
		name  string
		bytes int64
	}{{"cache", 0}, {"no-cache", -1}} {
		e := handlers.New(memory.New(ds), handlers.Options{CacheBytes: cache.bytes})
		b.Run(cache.name, func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				x := 38 + float64(i%50000)*0.00001
				target := fmt.Sprintf("/collections/areas/items?bbox=%.5f,35,%.5f,36&datetime=2026-01-15&limit=100", x, x+1)
				rec := httptest.NewRecorder()
				e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
				if rec.Code != http.StatusOK {
					b.Fatalf("%s: %d", target, rec.Code)
				}
				b.SetBytes(int64(rec.Body.Len()))
			}
		})
	}
}

// BenchmarkRequestPath measures what the server spends on a request around
// its answer, answered from the cache: the middleware, the router, the
// cache lookup, the headers and the access line (a text logger writing to
// io.Discard). The writer is a fresh header map and a discarded body per
// request, as net/http gives a handler, so the recorder's copies of
// httptest do not hide the path's own cost.
func BenchmarkRequestPath(b *testing.B) {
	ds := gen.Scale(1, gen.Options{Polygons: 10, Points: 2000, Facilities: 50, Events: 10})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	e := handlers.New(memory.New(ds), handlers.Options{Logger: log})
	id := ds.Features[gen.Points][0].ID
	for _, t := range []struct{ name, target, encoding string }{
		{"item", "/collections/points/items/" + id, ""},
		{"facilities", "/collections/facilities/items?datetime=2026-01-15", ""},
		{"facilities-browser", "/collections/facilities/items?datetime=2026-01-15", "gzip, deflate, br, zstd"},
	} {
		b.Run(t.name, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, t.target, nil)
			if t.encoding != "" {
				req.Header.Set("Accept-Encoding", t.encoding)
			}
			w := &discardWriter{}
			for b.Loop() {
				w.h, w.code = http.Header{}, 0
				e.ServeHTTP(w, req)
				if w.code != http.StatusOK {
					b.Fatalf("%s: %d", t.target, w.code)
				}
			}
		})
	}
}

// discardWriter is an http.ResponseWriter that keeps the status and the
// headers and drops the body.
type discardWriter struct {
	h    http.Header
	code int
}

func (w *discardWriter) Header() http.Header { return w.h }

func (w *discardWriter) Write(p []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return len(p), nil
}

func (w *discardWriter) WriteHeader(code int) { w.code = code }
