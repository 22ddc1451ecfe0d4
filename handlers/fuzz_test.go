package handlers_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

// fuzzPaths are the endpoints FuzzItemsQuery sends its query to; the fuzzer
// picks one with a byte.
func fuzzPaths() []string {
	return []string{
		"/collections/facilities/items",
		"/collections/areas/items",
		"/collections/villages/items",
		"/collections/events/items",
		"/collections/facilities/items/al-hol-3",
		"/collections/facilities",
		"/collections",
		"/timeline",
		"/",
	}
}

// FuzzItemsQuery sends random query strings through the real router on the
// memory store: the answer is never 5xx and always JSON (GeoJSON, or a
// problem naming what is wrong), except the landing page's HTML for f=html.
func FuzzItemsQuery(f *testing.F) {
	for _, q := range []string{
		"", "limit=5", "limit=5&offset=3", "bbox=40,35,42,37&datetime=2026-01-20",
		"datetime=../2026-01-20T00:00:00Z", "datetime=2026-01-21T00:00:00Z/..", "datetime=2026-01-19/2026-01-21",
		"properties=name,controller&precision=3", "controller=sdf&status=normal", "download=1", "f=json",
		"limit=99999999999999999999", "bbox=NaN,0,1,1", "bbox=-180,-90,180,90,0,1", "bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84",
		"%zz=1", "limit=1;offset=2", "a=%00", "x=%FF", "limit=1&limit=2", "from=2026-01-01&to=2026-02-01",
		"properties=", "precision=15", "offset=-1", "f=html", "datetime=2026-13-45", "name=" + sqlPayload,
	} {
		f.Add(uint8(0), q)
	}
	f.Add(uint8(7), "from=2026-01-19&to=2026-01-21")
	f.Add(uint8(4), "f=json&properties=name")
	e := handlers.New(memory.New(storetest.Fixture()), handlers.Options{
		Logger: slog.New(slog.DiscardHandler),
		Now:    func() time.Time { return testNow },
	})
	paths := fuzzPaths()
	f.Fuzz(func(t *testing.T, which uint8, query string) {
		path := paths[int(which)%len(paths)]
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.URL.RawQuery = query
		req.RequestURI = path + "?" + query
		req.Header.Set("Accept", "application/json")
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("GET %s?%s: status %d; body %s", path, query, rec.Code, truncate(rec.Body.String()))
		}
		ct := rec.Header().Get("Content-Type")
		if path == "/" && rec.Code == http.StatusOK && strings.HasPrefix(ct, handlers.MediaHTML) {
			return // f=html asks for the map page (testdata/fuzz keeps the case that found this)
		}
		if !strings.Contains(ct, "json") {
			t.Fatalf("GET %s?%s: Content-Type %q (status %d)", path, query, ct, rec.Code)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("GET %s?%s: status %d, body is not JSON: %s", path, query, rec.Code, truncate(rec.Body.String()))
		}
		if rec.Code >= 400 {
			var p problemBody
			if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Status != rec.Code || p.Detail == "" {
				t.Fatalf("GET %s?%s: problem %+v (%v)", path, query, p, err)
			}
		}
	})
}

// FuzzImport puts random bytes in place of one collection's GeoJSON file:
// loading either fails with a list of problems or gives a dataset that the
// memory store serves without a 5xx, every accepted feature included.
// (geo's FuzzDecodeFeatures fuzzes the decoder alone.)
func FuzzImport(f *testing.F) {
	orig := storetest.FixtureFS()
	for _, name := range []string{"facilities.geojson", "areas.geojson", "border.geojson"} {
		f.Add(uint8(0), orig[name].Data)
	}
	f.Add(uint8(0), []byte(`{"type":"FeatureCollection","features":[]}`))
	f.Add(uint8(1), []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"<script>","geometry":{"type":"Polygon","coordinates":[[[40,35],[41,35],[41,36],[40,35]]]},"properties":{"controller":"sdf","zone":"z","valid_from":"2026-01-01","valid_to":null,"sources":[{"publisher":"'; DROP TABLE features;--","url":"javascript:alert(1)"}]}}]}`))
	f.Add(uint8(2), []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"n","geometry":{"type":"LineString","coordinates":[[1e308,0],[0,0]]},"properties":{"name":"\u0000","sources":[{"publisher":"x"}]}}]}`))
	targets := []string{"facilities", "areas", "border"}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		col := targets[int(which)%len(targets)]
		fsys := fstest.MapFS{}
		for k, v := range orig {
			fsys[k] = v
		}
		fsys[col+".geojson"] = &fstest.MapFile{Data: data}
		ds, err := geo.LoadDir(fsys)
		if err != nil {
			var le *geo.LoadError
			if !errors.As(err, &le) || len(le.Problems) == 0 {
				t.Fatalf("load failed without a list of problems: %v", err)
			}
			return
		}
		e := handlers.New(memory.New(ds), handlers.Options{Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return testNow }})
		for _, target := range []string{"/collections/" + col + "/items?limit=10000", "/collections/" + col, "/timeline", "/collections"} {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK || !json.Valid(rec.Body.Bytes()) {
				t.Fatalf("GET %s after loading %q: status %d; body %s", target, data, rec.Code, truncate(rec.Body.String()))
			}
			if strings.HasSuffix(target, "/items?limit=10000") {
				var fc featureCollection
				if err := json.Unmarshal(rec.Body.Bytes(), &fc); err != nil || fc.NumberMatched != len(ds.Features[col]) {
					t.Fatalf("GET %s: %d features matched (%v), %d loaded", target, fc.NumberMatched, err, len(ds.Features[col]))
				}
			}
		}
	})
}
