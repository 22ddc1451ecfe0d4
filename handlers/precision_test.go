package handlers_test

import (
	"encoding/json"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/mvt/mvttest"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// The exact positions of the precision fixture's protected features, as the
// file gives them, and what may be published of them.
var (
	hiddenExact    = orb.Point{40.137456, 36.678321} // estimated, confidence low: 0.05° grid
	hiddenRounded  = orb.Point{40.15, 36.7}
	shelterExact   = orb.Point{38.987654, 35.876543} // max_precision 0.1 on the feature
	shelterRounded = orb.Point{39, 35.9}
	// exactDigits are the spellings of the exact coordinates that must not
	// appear in any answer: each to the first decimal where it differs from
	// its rounded value (40.15 and 36.7, 39 and 35.9), and beyond.
	exactDigits = []string{"40.13", "36.67", "38.98", "35.87"}
)

// precisionFixture is the storetest fixture with grids per confidence in its
// catalogue, an estimated low-confidence facility (hidden) with an event at
// the same spot, and a village whose feature caps its precision (shelter).
func precisionFixture(t *testing.T) *geo.Dataset {
	t.Helper()
	fsys := storetest.FixtureFS()
	cat := string(fsys[geo.CatalogFile].Data)
	fsys[geo.CatalogFile].Data = []byte(strings.Replace(cat, `{"collections": [`, `{"precision_by_confidence": {"low": 0.05, "medium": 0.01, "high": 0.001}, "collections": [`, 1))
	src := []any{map[string]any{"publisher": "AP", "date": "2026-01-20"}}
	add := func(file string, f map[string]any) {
		var fc map[string]any
		if err := json.Unmarshal(fsys[file].Data, &fc); err != nil {
			t.Fatal(err)
		}
		fc["features"] = append(fc["features"].([]any), f)
		b, err := json.Marshal(fc)
		if err != nil {
			t.Fatal(err)
		}
		fsys[file].Data = b
	}
	pointAt := func(p orb.Point) map[string]any {
		return map[string]any{"type": "Point", "coordinates": []float64{p[0], p[1]}}
	}
	add("facilities.geojson", map[string]any{"type": "Feature", "id": "hidden-1", "geometry": pointAt(hiddenExact), "properties": map[string]any{
		"site": "hidden", "name": "Hidden site", "controller": "sdf", "estimated": true, "confidence": "low",
		"position_note": "placed from a description", "valid_from": "2026-01-01", "valid_to": nil, "sources": src}})
	add("events.geojson", map[string]any{"type": "Feature", "id": "2026-01-22-hidden-visit", "geometry": pointAt(hiddenExact), "properties": map[string]any{
		"title": "Visit to the hidden site", "kind": "statement", "estimated": true, "confidence": "low",
		"valid_from": "2026-01-22T10:00:00Z", "valid_to": "2026-01-22T10:00:00Z", "sources": src}})
	add("villages.geojson", map[string]any{"type": "Feature", "id": "shelter", "geometry": pointAt(shelterExact), "properties": map[string]any{
		"name": "Shelter", "n": 99, "even": false, "district": "b", "max_precision": 0.1, "sources": src}})
	ds, err := geo.LoadDir(fsys)
	if err != nil {
		t.Fatalf("the precision fixture does not load: %v", err)
	}
	return ds
}

// TestNoOutputPublishesFinerThanTheEvidence requests every GET route of the
// server with the protected features in reach and fails if any answer holds
// a digit of their exact positions. A route added later fails the test until
// it is listed here, visited or exempted with its reason.
func TestNoOutputPublishesFinerThanTheEvidence(t *testing.T) {
	stores := map[string]func(t *testing.T) geo.Store{
		"memory":  func(t *testing.T) geo.Store { return memory.New(precisionFixture(t)) },
		"postgis": func(t *testing.T) geo.Store { return pgtest.NewStore(t, precisionFixture(t)) },
	}
	for _, name := range []string{"memory", "postgis"} {
		t.Run(name, func(t *testing.T) {
			e := newServer(t, stores[name](t))
			checkEveryRoute(t, e)
			checkTiles(t, e)
		})
	}
}

// exempt are the GET routes that hold no feature data, with why.
var exempt = map[string]string{
	"/healthz":  "liveness: a fixed body",
	"/readyz":   "readiness: the store's ping",
	"/version":  "the build's version",
	"/metrics":  "counters and gauges, no features",
	"/static/*": "the page's files, the same for every dataset",
	"/api":      "visited below (OpenAPI holds no data)",
	"/collections/:collectionId/tiles/:z/:x/:y":                 "checked by checkTiles (MVT)",
	"/collections/:collectionId/tiles/WebMercatorQuad/:z/:y/:x": "checked by checkTiles (MVT)",
}

func checkEveryRoute(t *testing.T, e *echo.Echo) {
	page := url.QueryEscape("http://example.com/?date=2026-01-22")
	visits := []struct{ route, target, accept string }{
		{"/", "/", "application/json"},
		{"/", "/?date=2026-01-22&view=36.7,40.15,9", "text/html"},
		{"/", "/?date=2026-01-22&sel=facilities:hidden", "text/html"},
		{"/api", "/api", "application/json"},
		{"/api.html", "/api.html", "text/html"},
		{"/conformance", "/conformance", "application/json"},
		{"/collections", "/collections", "application/json"},
		{"/collections", "/collections", "text/html"},
		{"/collections/:collectionId", "/collections/facilities", "application/json"},
		{"/collections/:collectionId", "/collections/villages", "application/json"},
		{"/collections/:collectionId", "/collections/events", "text/html"},
		{"/collections/:collectionId/items", "/collections/facilities/items", "application/geo+json"},
		{"/collections/:collectionId/items", "/collections/facilities/items?datetime=2026-01-22&bbox=40,36,41,37", "application/geo+json"},
		{"/collections/:collectionId/items", "/collections/facilities/items?f=json", ""},
		{"/collections/:collectionId/items", "/collections/facilities/items?download=1", ""},
		{"/collections/:collectionId/items", "/collections/facilities/items?precision=7", ""},
		{"/collections/:collectionId/items", "/collections/facilities/items", "text/html"},
		{"/collections/:collectionId/items", "/collections/events/items?limit=100", ""},
		{"/collections/:collectionId/items", "/collections/villages/items?f=geojson&download=1", ""},
		{"/collections/:collectionId/items/:featureId", "/collections/facilities/items/hidden-1", ""},
		{"/collections/:collectionId/items/:featureId", "/collections/facilities/items/hidden-1", "text/html"},
		{"/collections/:collectionId/items/:featureId", "/collections/events/items/2026-01-22-hidden-visit", ""},
		{"/collections/:collectionId/items/:featureId", "/collections/villages/items/shelter?precision=9", ""},
		{"/collections/:collectionId/schema", "/collections/facilities/schema", ""},
		{"/collections/:collectionId/queryables", "/collections/facilities/queryables", ""},
		{"/collections/:collectionId/tiles", "/collections/facilities/tiles", ""},
		{"/collections/:collectionId/tiles/WebMercatorQuad", "/collections/facilities/tiles/WebMercatorQuad", ""},
		{"/timeline", "/timeline", ""},
		{"/analytics/change", "/analytics/change?collection=facilities&from=2025-12-31&to=2026-01-22&precision=15", ""},
		{"/analytics/change", "/analytics/change?collection=areas&from=2026-01-15&to=2026-01-22", ""},
		{"/analytics/area", "/analytics/area?collection=areas", ""},
		{"/timeline", "/timeline?from=2026-01-22&to=2026-01-23", ""},
		{"/embed", "/embed?date=2026-01-22&view=36.7,40.15,9&sel=facilities:hidden", "text/html"},
		{"/oembed", "/oembed?url=" + page, ""},
		// Pictures are drawn from the published positions: the SVG's text
		// and coordinates (pixels) must hold no digit of an exact one.
		{"/render.svg", "/render.svg?date=2026-01-22&feature=facilities:hidden", ""},
		{"/render.svg", "/render.svg?date=2026-01-22&bbox=40.1,36.6,40.2,36.7&width=2400&height=2400", ""},
		{"/render.png", "/render.png?date=2026-01-22", ""},
		{"/render.pdf", "/render.pdf?date=2026-01-22", ""},
	}
	visited := map[string]bool{}
	published := map[string]bool{} // rounded positions seen, so the test cannot pass on empty answers
	for _, v := range visits {
		var headers []string
		if v.accept != "" {
			headers = []string{"Accept", v.accept}
		}
		rec := do(t, e, http.MethodGet, v.target, headers...)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s (%s): %d %s", v.target, v.accept, rec.Code, rec.Body.String())
			continue
		}
		visited[v.route] = true
		body := rec.Body.String()
		for _, d := range exactDigits {
			if strings.Contains(body, d) {
				i := strings.Index(body, d)
				t.Errorf("GET %s (%s) publishes %s, a digit of an exact position: …%s…", v.target, v.accept, d, body[max(0, i-80):min(len(body), i+40)])
			}
		}
		for _, p := range []orb.Point{hiddenRounded, shelterRounded} {
			if strings.Contains(body, coordText(p)) {
				published[coordText(p)] = true
			}
		}
	}
	for _, p := range []orb.Point{hiddenRounded, shelterRounded} {
		if !published[coordText(p)] {
			t.Errorf("no answer holds the rounded position %s: the test saw none of the protected features", coordText(p))
		}
	}
	for _, r := range e.Routes() {
		if r.Method != http.MethodGet || visited[r.Path] || exempt[r.Path] != "" {
			continue
		}
		t.Errorf("GET route %s is neither checked for exact positions nor exempted: add it to this test", r.Path)
	}
}

// coordText is a position as the GeoJSON answers write it.
func coordText(p orb.Point) string {
	b, _ := json.Marshal([]float64{p[0], p[1]})
	return string(b)
}

// checkTiles decodes the tiles that hold the protected features at a deep
// zoom, where a tile unit is a few metres: each feature is drawn at its
// rounded position, not its exact one.
func checkTiles(t *testing.T, e *echo.Echo) {
	const z = 14
	for _, tc := range []struct {
		collection, id string
		exact, round   orb.Point
	}{
		{"facilities", "hidden-1", hiddenExact, hiddenRounded},
		{"events", "2026-01-22-hidden-visit", hiddenExact, hiddenRounded},
		{"villages", "shelter", shelterExact, shelterRounded},
	} {
		for _, at := range []orb.Point{tc.exact, tc.round} {
			tile := maptile.At(at, z)
			target := "/collections/" + tc.collection + "/tiles/WebMercatorQuad/" + strconv.Itoa(int(tile.Z)) + "/" + strconv.Itoa(int(tile.Y)) + "/" + strconv.Itoa(int(tile.X)) + "?datetime=2026-01-22T10:00:00Z"
			rec := do(t, e, http.MethodGet, target)
			if rec.Code != http.StatusOK && rec.Code != http.StatusNoContent {
				t.Errorf("GET %s: %d %s", target, rec.Code, rec.Body.String())
				continue
			}
			f := mvttest.Decode(t, rec.Body.Bytes(), tile, tc.collection)[tc.id]
			if at == tc.exact {
				if f != nil && tile != maptile.At(tc.round, z) {
					t.Errorf("the tile of %s's exact position holds it: %v", tc.id, f.Geometry)
				}
				continue
			}
			if f == nil {
				t.Errorf("the tile of %s's rounded position lacks it", tc.id)
				continue
			}
			unit := (tile.Bound().Max[0] - tile.Bound().Min[0]) / geo.TileExtent
			p, _ := f.Geometry.(orb.Point)
			if math.Abs(p[0]-tc.round[0]) > 1.5*unit || math.Abs(p[1]-tc.round[1]) > 1.5*unit {
				t.Errorf("%s drawn at %v in its tile, want its rounded position %v", tc.id, p, tc.round)
			}
			if f.Properties[geo.PropPositionPrecision] == nil {
				t.Errorf("%s's tile feature does not say it was rounded: %v", tc.id, f.Properties)
			}
		}
	}
}
