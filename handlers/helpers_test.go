package handlers_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

// testNow is the fixed clock of every test server: 2026-02-01 12:00 UTC, so
// the fixture's January dates are in the past and its open ends are not.
var testNow = time.Date(2026, 2, 1, 12, 0, 0, 0, time.UTC)

// eachStore runs f as a subtest per backend holding the storetest fixture:
// memory always, PostGIS when a server is available (pgtest skips that
// subtest loudly otherwise, and fails it under CI=true).
func eachStore(t *testing.T, f func(t *testing.T, e *echo.Echo, st geo.Store)) {
	t.Helper()
	t.Run("memory", func(t *testing.T) {
		st := memory.New(storetest.Fixture())
		f(t, newServer(t, st), st)
	})
	t.Run("postgis", func(t *testing.T) {
		st := pgtest.NewStore(t, storetest.Fixture())
		f(t, newServer(t, st), st)
	})
}

// newServer builds the handler under test with a fixed clock and a logger
// that writes to the test log.
func newServer(t *testing.T, st geo.Store) *echo.Echo {
	t.Helper()
	return serverWith(t, st, handlers.Options{})
}

// serverWith builds the handler under test from opts, with the fixed clock
// and the test logger unless opts sets its own.
func serverWith(t *testing.T, st geo.Store, opts handlers.Options) *echo.Echo {
	t.Helper()
	if opts.Now == nil {
		opts.Now = func() time.Time { return testNow }
	}
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	return handlers.New(st, opts)
}

// memoryFixture returns a memory store holding the storetest fixture.
func memoryFixture() geo.Store { return memory.New(storetest.Fixture()) }

// testLogger logs to t.Log.
func testLogger(t *testing.T) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Helper()
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}

// do sends a request through the router. headers are name, value pairs.
func do(t *testing.T, e *echo.Echo, method, target string, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest(method, target, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	return rec
}

// get sends a GET and fails the test unless the status is want.
func get(t *testing.T, e *echo.Echo, target string, want int, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	rec := do(t, e, http.MethodGet, target, headers...)
	if rec.Code != want {
		t.Fatalf("GET %s: status %d, want %d; body: %s", target, rec.Code, want, truncate(rec.Body.String()))
	}
	return rec
}

// getJSON sends a GET expecting 200 and decodes the body into v.
func getJSON(t *testing.T, e *echo.Echo, target string, v any, headers ...string) *httptest.ResponseRecorder {
	t.Helper()
	rec := get(t, e, target, http.StatusOK, headers...)
	if err := json.Unmarshal(rec.Body.Bytes(), v); err != nil {
		t.Fatalf("GET %s: body is not JSON: %v; body: %s", target, err, truncate(rec.Body.String()))
	}
	return rec
}

func truncate(s string) string {
	if len(s) > 2000 {
		return s[:2000] + "…"
	}
	return s
}

// problemBody is an RFC 9457 problem as the server writes it.
type problemBody struct {
	Type      string  `json:"type"`
	Title     string  `json:"title"`
	Status    int     `json:"status"`
	Detail    string  `json:"detail"`
	Instance  string  `json:"instance"`
	Parameter string  `json:"parameter"`
	Value     *string `json:"value"`
	Position  int     `json:"position"`
	Pointer   string  `json:"pointer"`
}

// getProblem sends a GET expecting status and a problem+json body.
func getProblem(t *testing.T, e *echo.Echo, target string, status int) problemBody {
	t.Helper()
	rec := get(t, e, target, status)
	if ct := rec.Header().Get("Content-Type"); ct != "application/problem+json" {
		t.Errorf("GET %s: Content-Type %q, want application/problem+json", target, ct)
	}
	var p problemBody
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatalf("GET %s: problem is not JSON: %v", target, err)
	}
	if p.Status != status || p.Title == "" || p.Type == "" {
		t.Errorf("GET %s: problem %+v lacks type, title or status %d", target, p, status)
	}
	return p
}

// featureCollection is the decoded body of an items answer.
type featureCollection struct {
	Type     string `json:"type"`
	Features []struct {
		Type       string          `json:"type"`
		ID         string          `json:"id"`
		Geometry   json.RawMessage `json:"geometry"`
		Properties map[string]any  `json:"properties"`
	} `json:"features"`
	NumberMatched  int        `json:"numberMatched"`
	NumberReturned int        `json:"numberReturned"`
	TimeStamp      string     `json:"timeStamp"`
	Links          []linkBody `json:"links"`
}

func (fc featureCollection) ids() []string {
	out := make([]string, len(fc.Features))
	for i, f := range fc.Features {
		out[i] = f.ID
	}
	return out
}

type linkBody struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type"`
	Title string `json:"title"`
}

// findLink returns the first link with rel (and type, when not empty).
func findLink(links []linkBody, rel, typ string) (linkBody, bool) {
	for _, l := range links {
		if l.Rel == rel && (typ == "" || l.Type == typ) {
			return l, true
		}
	}
	return linkBody{}, false
}

// pathOf strips the scheme and host of an absolute link, for following it
// through the router.
func pathOf(t *testing.T, href string) string {
	t.Helper()
	const host = "http://example.com"
	if !strings.HasPrefix(href, host) {
		t.Fatalf("link %q does not start with %s", href, host)
	}
	return strings.TrimPrefix(href, host)
}

// failingStore answers every query with err (and Ping with pingErr).
type failingStore struct {
	geo.Store
	err     error
	pingErr error
}

func (f failingStore) Collections(context.Context) ([]geo.Collection, error) { return nil, f.err }
func (f failingStore) Collection(context.Context, string) (geo.Collection, error) {
	return geo.Collection{}, f.err
}
func (f failingStore) Items(context.Context, string, geo.Query) (geo.Page, error) {
	return geo.Page{}, f.err
}
func (f failingStore) Item(context.Context, string, string) (geo.Feature, error) {
	return geo.Feature{}, f.err
}
func (f failingStore) Version(context.Context) (string, error) { return "v1", nil }
func (f failingStore) Ping(context.Context) error              { return f.pingErr }

var _ geo.Store = failingStore{}
