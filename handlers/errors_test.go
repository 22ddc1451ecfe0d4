package handlers_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

// TestBadInput sends every kind of bad input and checks that the answer is a
// 400 or 404 problem naming the parameter and its value, never a 500.
func TestBadInput(t *testing.T) {
	tests := []struct {
		name, target string
		status       int
		param, value string // the problem's parameter and value ("" when not a parameter)
		detail       string // a piece of the detail
	}{
		{"unknown parameter", "/collections/facilities/items?colour=red", 400, "colour", "red", "unknown parameter"},
		{"unknown parameters named together", "/collections/facilities/items?zz=1&aa=2", 400, "aa", "2", `"aa", "zz"`},
		{"repeated parameter", "/collections/facilities/items?limit=5&limit=6", 400, "limit", "5,6", "given 2 times"},
		{"repeated filter", "/collections/facilities/items?controller=sdf&controller=government", 400, "controller", "sdf,government", "given 2 times"},
		{"bbox with three numbers", "/collections/facilities/items?bbox=1,2,3", 400, "bbox", "1,2,3", "want 4 numbers"},
		{"bbox not numbers", "/collections/facilities/items?bbox=a,b,c,d", 400, "bbox", "a,b,c,d", "not a finite number"},
		{"bbox out of range", "/collections/facilities/items?bbox=40,36,41,91", 400, "bbox", "40,36,41,91", "latitude 91"},
		{"bbox empty", "/collections/facilities/items?bbox=", 400, "bbox", "", "want 4 numbers"},
		{"bbox-crs other than CRS84", "/collections/facilities/items?bbox=40,36,41,37&bbox-crs=EPSG:3857", 400, "bbox-crs", "EPSG:3857", "only"},
		{"datetime not a date", "/collections/facilities/items?datetime=yesterday", 400, "datetime", "yesterday", "not a date"},
		{"datetime without zone", "/collections/facilities/items?datetime=2026-01-21T10:00:00", 400, "datetime", "2026-01-21T10:00:00", "time zone"},
		{"datetime start after end", "/collections/facilities/items?datetime=2026-02-01/2026-01-01", 400, "datetime", "2026-02-01/2026-01-01", "start is after the end"},
		{"datetime with two slashes", "/collections/facilities/items?datetime=a/b/c", 400, "datetime", "a/b/c", "one '/'"},
		{"limit not a number", "/collections/facilities/items?limit=abc", 400, "limit", "abc", "whole number"},
		{"limit zero", "/collections/facilities/items?limit=0", 400, "limit", "0", "from 1"},
		{"limit negative", "/collections/facilities/items?limit=-5", 400, "limit", "-5", "from 1"},
		{"limit fraction", "/collections/facilities/items?limit=1.5", 400, "limit", "1.5", "whole number"},
		{"offset negative", "/collections/facilities/items?offset=-1", 400, "offset", "-1", "from 0"},
		{"offset not a number", "/collections/facilities/items?offset=x", 400, "offset", "x", "from 0"},
		{"precision too large", "/collections/facilities/items?precision=99", 400, "precision", "99", "0 to 15"},
		{"precision negative", "/collections/facilities/items?precision=-1", 400, "precision", "-1", "0 to 15"},
		{"unknown property in properties", "/collections/facilities/items?properties=name,nope", 400, "properties", "name,nope", `unknown property "nope"`},
		{"f unknown", "/collections/facilities/items?f=xml", 400, "f", "xml", "want one of"},
		{"f html on items", "/collections/facilities/items?f=html", 400, "f", "html", "want one of"},
		{"download not a flag", "/collections/facilities/items?download=yes", 400, "download", "yes", "want 1 or 0"},
		{"download with limit", "/collections/facilities/items?download=1&limit=5", 400, "limit", "5", "every matching feature"},
		{"filter on a property of another collection", "/collections/facilities/items?district=a", 400, "district", "a", "unknown parameter"},
		{"unknown collection", "/collections/nope", 404, "", "", `no collection "nope"`},
		{"unknown collection items", "/collections/nope/items", 404, "", "", `no collection "nope"`},
		{"unknown collection schema", "/collections/nope/schema", 404, "", "", `no collection "nope"`},
		{"unknown feature", "/collections/facilities/items/nope", 404, "", "", `no feature "nope"`},
		{"unknown path", "/nowhere", 404, "", "", ""},
		{"item unknown parameter", "/collections/facilities/items/al-hol-1?limitt=1", 400, "limitt", "1", "unknown parameter"},
		{"item bad properties", "/collections/facilities/items/al-hol-1?properties=nope", 400, "properties", "nope", "unknown property"},
		{"item bad precision", "/collections/facilities/items/al-hol-1?precision=16", 400, "precision", "16", "0 to 15"},
		{"collections unknown parameter", "/collections?foo=1", 400, "foo", "1", "unknown parameter"},
		{"collections f=xml", "/collections?f=xml", 400, "f", "xml", "want one of"},
		{"collections ignored datetime still checked", "/collections?datetime=nope", 400, "datetime", "nope", "not a date"},
		{"collections ignored filter-lang still checked", "/collections?filter=x%3D1&filter-lang=cql-text", 400, "filter-lang", "cql-text", "want cql2-text or cql2-json"},
		{"collection ignored filter-crs still checked", "/collections/facilities?filter-crs=EPSG:4326", 400, "filter-crs", "EPSG:4326", "only"},
		{"collection unknown parameter", "/collections/facilities?controller=sdf", 400, "controller", "sdf", "unknown parameter"},
		{"conformance unknown parameter", "/conformance?x=1", 400, "x", "1", "unknown parameter"},
		{"api unknown parameter", "/api?x=1", 400, "x", "1", "unknown parameter"},
		{"api.html unknown parameter", "/api.html?x=1", 400, "x", "1", "unknown parameter"},
		{"landing unknown parameter", "/?x=1", 400, "x", "1", "unknown parameter"},
		{"landing filter without a property", "/?f.=sdf", 400, "f.", "sdf", "unknown parameter"},
		{"landing f=xml", "/?f=xml", 400, "f", "xml", "want one of"},
		{"landing since repeated", "/?since=2026-01-15&since=2026-01-16", 400, "since", "2026-01-15,2026-01-16", "given 2 times"},
		{"timeline bad from", "/timeline?from=last-week", 400, "from", "last-week", "want a date"},
		{"timeline bad to", "/timeline?to=2026-13-01", 400, "to", "2026-13-01", "want a date"},
		{"timeline to before from", "/timeline?from=2026-02-01&to=2026-01-01", 400, "to", "2026-01-01", "before from"},
		{"timeline unknown parameter", "/timeline?datetime=2026-01-01", 400, "datetime", "2026-01-01", "unknown parameter"},
		{"timeline bad precision", "/timeline?precision=x", 400, "precision", "x", "0 to 15"},
	}
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				p := getProblem(t, e, tt.target, tt.status)
				if p.Parameter != tt.param {
					t.Errorf("parameter %q, want %q", p.Parameter, tt.param)
				}
				if tt.param != "" && (p.Value == nil || *p.Value != tt.value) {
					t.Errorf("value %v, want %q", p.Value, tt.value)
				}
				if tt.param != "" && !strings.Contains(p.Detail, tt.param) {
					t.Errorf("detail %q does not name %s", p.Detail, tt.param)
				}
				if !strings.Contains(p.Detail, tt.detail) {
					t.Errorf("detail %q does not say %q", p.Detail, tt.detail)
				}
				if p.Instance == "" {
					t.Error("no instance")
				}
			})
		}
	})
}

// TestTolerantInput covers input that is accepted although odd: the same
// value repeated, and the items parameters GDAL appends to every URL.
func TestTolerantInput(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	for _, target := range []string{
		"/collections/facilities/items?limit=5&limit=5",
		"/collections?datetime=2026-01-20&bbox=40,36,41,37&limit=10",
		"/collections/facilities?datetime=2026-01-20/..&offset=0&precision=3",
		"/api?datetime=2026-01-20",
		"/conformance?bbox-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84",
		"/?f=json&datetime=2026-01-20",
		"/collections/facilities/items/al-hol-1?datetime=2026-01-20&limit=10",
		"/collections/facilities/schema?datetime=2026-01-20",
		// GDAL 3.6 reaches CQL2 only through its connection string
		// (OAPIF:…/collections/facilities?filter=…), whose query it appends
		// to every URL it asks.
		"/?filter=controller%20IN%20('sdf','government')",
		"/api?filter=controller%20%3D%20'sdf'&filter-lang=cql2-text",
		"/conformance?filter=%7B%22op%22%3A%22%3D%22%7D&filter-lang=cql2-json&filter-crs=http://www.opengis.net/def/crs/OGC/1.3/CRS84",
		"/collections?filter=controller%20%3D%20'sdf'",
		"/collections/facilities?filter=controller%20IN%20('sdf','government')",
		"/collections/facilities/schema?filter=controller%20%3D%20'sdf'",
		"/collections/facilities/queryables?filter=controller%20%3D%20'sdf'",
		"/collections/facilities/items/al-hol-1?filter=controller%20%3D%20'sdf'",
		"/collections/facilities/items/",
	} {
		get(t, e, target, http.StatusOK)
	}
}

func TestStoreFailures(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		status     int
		retryAfter string
		detail     string
	}{
		{"unavailable", fmt.Errorf("postgis: %w: connection refused", geo.ErrUnavailable), 503, "5", "try again"},
		{"timeout", fmt.Errorf("postgis: query: %w", context.DeadlineExceeded), 503, "5", "try again"},
		{"a bug", errors.New("postgis: scan: unexpected column type"), 500, "", "the error is logged"},
		{"store says invalid", &geo.ParamError{Param: "bbox", Value: "x", Reason: "bad"}, 400, "", "bbox"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var logs bytes.Buffer
			e := serverWith(t, failingStore{err: tt.err}, handlers.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
			for _, target := range []string{"/collections", "/collections/facilities", "/collections/facilities/items", "/collections/facilities/items/x", "/timeline", "/api", "/?f=json"} {
				if target == "/?f=json" {
					continue // the landing page does not ask the store
				}
				rec := get(t, e, target, tt.status)
				if got := rec.Header().Get("Retry-After"); got != tt.retryAfter {
					t.Errorf("%s: Retry-After %q, want %q", target, got, tt.retryAfter)
				}
				if cc := rec.Header().Get("Cache-Control"); cc != "no-store" {
					t.Errorf("%s: Cache-Control %q on an error", target, cc)
				}
				if rec.Header().Get("ETag") != "" {
					t.Errorf("%s: an error carries an ETag", target)
				}
				if !strings.Contains(rec.Body.String(), tt.detail) {
					t.Errorf("%s: body %s does not say %q", target, rec.Body.String(), tt.detail)
				}
				if strings.Contains(rec.Body.String(), "unexpected column") {
					t.Errorf("%s: internal error text leaked: %s", target, rec.Body.String())
				}
			}
			if tt.status == 500 && !strings.Contains(logs.String(), "unexpected column type") {
				t.Errorf("the 500's cause is not logged: %s", logs.String())
			}
		})
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	rec := do(t, e, http.MethodPost, "/collections")
	if rec.Code != http.StatusMethodNotAllowed || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("POST /collections: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}

func TestPanicIsA500Problem(t *testing.T) {
	var logs bytes.Buffer
	e := handlers.New(panickingStore{}, handlers.Options{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	rec := get(t, e, "/collections", http.StatusInternalServerError)
	if rec.Header().Get("Content-Type") != "application/problem+json" || !strings.Contains(logs.String(), "panic") {
		t.Errorf("panic answered %s, logged %q", rec.Header().Get("Content-Type"), logs.String())
	}
}

// panickingStore panics when asked for its collections.
type panickingStore struct{ failingStore }

func (panickingStore) Collections(context.Context) ([]geo.Collection, error) {
	panic("storetest: boom")
}
