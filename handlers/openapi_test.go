package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

func TestOpenAPI(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		rec := get(t, e, "/api", http.StatusOK)
		if ct := rec.Header().Get("Content-Type"); ct != "application/vnd.oai.openapi+json;version=3.0" {
			t.Errorf("Content-Type %q", ct)
		}
		loader := openapi3.NewLoader()
		doc, err := loader.LoadFromData(rec.Body.Bytes())
		if err != nil {
			t.Fatalf("load: %v", err)
		}
		if err := doc.Validate(context.Background()); err != nil {
			t.Fatalf("the OpenAPI document is not valid: %v", err)
		}

		// Every route on the router is documented (HEAD answers wherever GET does).
		for _, r := range e.Routes() {
			if r.Method != http.MethodGet && r.Method != http.MethodHead {
				continue
			}
			path := openAPIPath(r.Path)
			item := doc.Paths.Find(path)
			if item == nil || item.Get == nil {
				t.Errorf("route %s %s (%s) is not in /api", r.Method, r.Path, path)
			}
		}

		items := doc.Paths.Find("/collections/{collectionId}/items").Get
		limit := items.Parameters.GetByInAndName("query", "limit")
		if limit == nil || limit.Schema.Value.Max == nil || *limit.Schema.Value.Max != 10000 ||
			limit.Schema.Value.Default != float64(100) || *limit.Schema.Value.Min != 1 {
			t.Errorf("limit parameter %+v lacks minimum 1, maximum 10000 and default 100", limit)
		}
		for _, name := range []string{"f", "bbox", "bbox-crs", "datetime", "limit", "offset", "properties", "precision", "download"} {
			if items.Parameters.GetByInAndName("query", name) == nil {
				t.Errorf("items lacks parameter %s", name)
			}
		}

		// Each collection's own items path lists its property filters.
		fac := doc.Paths.Find("/collections/facilities/items")
		if fac == nil || fac.Get == nil {
			t.Fatal("no /collections/facilities/items path")
		}
		for _, name := range []string{"controller", "status", "site", "name", "population", "datetime", "limit"} {
			if fac.Get.Parameters.GetByInAndName("query", name) == nil {
				t.Errorf("/collections/facilities/items lacks parameter %s", name)
			}
		}
		if fac.Get.Parameters.GetByInAndName("query", "district") != nil {
			t.Error("facilities lists a villages property")
		}
		for _, path := range []string{"/timeline", "/collections/{collectionId}/items/{featureId}"} {
			if doc.Paths.Find(path) == nil {
				t.Errorf("%s is not documented", path)
			}
		}
		tl := doc.Paths.Find("/timeline").Get
		for _, name := range []string{"from", "to"} {
			if tl.Parameters.GetByInAndName("query", name) == nil {
				t.Errorf("/timeline lacks parameter %s", name)
			}
		}
	})
}

// openAPIPath converts an Echo route path to OpenAPI form.
func openAPIPath(p string) string {
	segs := strings.Split(p, "/")
	for i, s := range segs {
		switch {
		case strings.HasPrefix(s, ":"):
			segs[i] = "{" + s[1:] + "}"
		case s == "*":
			segs[i] = "{path}"
		}
	}
	return strings.Join(segs, "/")
}
