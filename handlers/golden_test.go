package handlers_test

import (
	"bytes"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden from the memory store")

// goldenRequests are answered by both stores with the same bytes, which
// must equal testdata/golden/<name>.
var goldenRequests = []struct{ name, target string }{
	{"landing.json", "/?f=json"},
	{"conformance.json", "/conformance"},
	{"collections.json", "/collections"},
	{"collection-facilities.json", "/collections/facilities"},
	{"collection-areas.json", "/collections/areas"},
	{"schema-facilities.json", "/collections/facilities/schema"},
	{"items-facilities.geojson", "/collections/facilities/items"},
	{"items-facilities-date.geojson", "/collections/facilities/items?datetime=2026-01-20"},
	{"items-facilities-bbox-properties.geojson", "/collections/facilities/items?bbox=41,36.3,41.2,36.4&properties=name,controller,valid_from"},
	{"items-areas-precision.geojson", "/collections/areas/items?datetime=2026-01-25&precision=3"},
	{"items-villages-page.geojson", "/collections/villages/items?limit=5&offset=5&district=a"},
	{"items-border.geojson", "/collections/border/items"},
	{"items-events.json", "/collections/events/items?f=json"},
	{"download-facilities.geojson", "/collections/facilities/items?f=geojson&download=1&datetime=2026-01-21"},
	{"item-al-hol-3.geojson", "/collections/facilities/items/al-hol-3"},
	{"timeline.json", "/timeline"},
	{"timeline-range.json", "/timeline?from=2026-01-19&to=2026-01-21"},
	{"problem-limit.json", "/collections/facilities/items?limit=0"},
	{"problem-collection.json", "/collections/nope/items"},
}

// TestGolden checks that both stores answer byte for byte the same, and what
// the golden files hold. Run with -update (memory only) to rewrite them.
func TestGolden(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		for _, g := range goldenRequests {
			t.Run(g.name, func(t *testing.T) {
				rec := do(t, e, http.MethodGet, g.target)
				if rec.Code != http.StatusOK && !strings.HasPrefix(g.name, "problem-") {
					t.Fatalf("GET %s: %d %s", g.target, rec.Code, truncate(rec.Body.String()))
				}
				path := filepath.Join("testdata", "golden", g.name)
				if *update && strings.HasSuffix(t.Name(), "/memory/"+g.name) {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, rec.Body.Bytes(), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run go test ./handlers -run TestGolden -update)", err)
				}
				if got := rec.Body.Bytes(); !bytes.Equal(got, want) {
					t.Errorf("GET %s differs from %s at byte %d:\n got: %s\nwant: %s", g.target, path, firstDiff(got, want),
						excerpt(got, firstDiff(got, want)), excerpt(want, firstDiff(got, want)))
				}
			})
		}
	})
}

// TestStoresAgree checks that both stores give the same bytes for answers
// that also list the map's routes, which change with the frontend and so
// are not kept in golden files.
func TestStoresAgree(t *testing.T) {
	targets := []string{"/api", "/api.html"}
	bodies := map[string][]byte{}
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		for _, target := range targets {
			body := get(t, e, target, http.StatusOK).Body.Bytes()
			if prev, ok := bodies[target]; ok && !bytes.Equal(prev, body) {
				at := firstDiff(body, prev)
				t.Errorf("GET %s differs between the stores at byte %d:\n%s\n%s", target, at, excerpt(body, at), excerpt(prev, at))
			}
			bodies[target] = body
		}
	})
}

func firstDiff(a, b []byte) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func excerpt(b []byte, at int) string {
	lo, hi := max(at-80, 0), min(at+80, len(b))
	return string(b[lo:hi])
}
