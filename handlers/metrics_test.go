package handlers_test

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/handlers"
)

// The PostGIS store reports its pool to /metrics.
var _ handlers.PoolStater = (*postgis.Store)(nil)

// scrape fetches /metrics and parses it.
func scrape(t *testing.T, e *echo.Echo) map[string]*dto.MetricFamily {
	t.Helper()
	rec := get(t, e, "/metrics", http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("Content-Type %q, want the text exposition format", ct)
	}
	if rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("Cache-Control %q", rec.Header().Get("Cache-Control"))
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := parser.TextToMetricFamilies(bytes.NewReader(rec.Body.Bytes()))
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	return fams
}

// series returns the metric of family name whose labels include want, or nil.
func series(fams map[string]*dto.MetricFamily, name string, want map[string]string) *dto.Metric {
	fam := fams[name]
	if fam == nil {
		return nil
	}
	for _, m := range fam.GetMetric() {
		have := map[string]string{}
		for _, l := range m.GetLabel() {
			have[l.GetName()] = l.GetValue()
		}
		match := true
		for k, v := range want {
			if have[k] != v {
				match = false
			}
		}
		if match {
			return m
		}
	}
	return nil
}

func counterValue(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) float64 {
	t.Helper()
	m := series(fams, name, labels)
	if m == nil {
		t.Errorf("no series %s%v", name, labels)
		return 0
	}
	return m.GetCounter().GetValue()
}

func TestMetrics(t *testing.T) {
	eachStore(t, func(t *testing.T, _ *echo.Echo, st geo.Store) {
		e := serverWith(t, st, handlers.Options{RateLimit: handlers.RateLimit{PerSecond: 0.01, Burst: 50}})
		xcache := map[string]float64{} // the X-Cache values answered
		tally := func(rec *httptest.ResponseRecorder) *httptest.ResponseRecorder {
			xcache[rec.Header().Get("X-Cache")]++
			return rec
		}
		for range 3 {
			tally(get(t, e, "/collections", http.StatusOK))
		}
		rec := tally(get(t, e, "/collections/facilities/items?limit=2", http.StatusOK))
		tally(get(t, e, "/collections/facilities/items?limit=2", http.StatusNotModified, "If-None-Match", rec.Header().Get("ETag")))
		tally(get(t, e, "/collections/facilities/items/al-hol-1", http.StatusOK))
		tally(get(t, e, "/collections/facilities/items/al-hol-1", http.StatusOK))
		get(t, e, "/collections/nope/items", http.StatusNotFound)
		for _, p := range []string{"/wp-admin", "/a/b/c/d", "/.env"} {
			get(t, e, p, http.StatusNotFound)
		}
		get(t, e, "/collections/facilities/items?limit=x", http.StatusBadRequest)

		fams := scrape(t, e)
		tests := []struct {
			labels map[string]string
			want   float64
		}{
			{map[string]string{"method": "GET", "route": "/collections", "status": "200"}, 3},
			{map[string]string{"method": "GET", "route": "/collections/:collectionId/items", "status": "200"}, 1},
			{map[string]string{"method": "GET", "route": "/collections/:collectionId/items", "status": "304"}, 1},
			{map[string]string{"method": "GET", "route": "/collections/:collectionId/items", "status": "404"}, 1},
			{map[string]string{"method": "GET", "route": "/collections/:collectionId/items", "status": "400"}, 1},
			{map[string]string{"method": "GET", "route": "/collections/:collectionId/items/:featureId", "status": "200"}, 2},
			{map[string]string{"method": "GET", "route": "unmatched", "status": "404"}, 3},
		}
		for _, tt := range tests {
			if got := counterValue(t, fams, "controlmap_http_requests_total", tt.labels); got != tt.want {
				t.Errorf("controlmap_http_requests_total%v = %v, want %v", tt.labels, got, tt.want)
			}
		}
		for _, m := range fams["controlmap_http_requests_total"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "route" && (strings.Contains(l.GetValue(), "wp-admin") || strings.Contains(l.GetValue(), "facilities")) {
					t.Errorf("a route label holds a request path: %q", l.GetValue())
				}
			}
		}

		h := series(fams, "controlmap_http_request_duration_seconds", map[string]string{"method": "GET", "route": "/collections"})
		if h == nil || h.GetHistogram().GetSampleCount() != 3 || len(h.GetHistogram().GetBucket()) < 10 {
			t.Errorf("duration histogram of /collections: %v", h)
		}
		sz := series(fams, "controlmap_http_response_size_bytes", map[string]string{"method": "GET", "route": "/collections"})
		if sz == nil || sz.GetHistogram().GetSampleCount() != 3 || sz.GetHistogram().GetSampleSum() < 3*100 {
			t.Errorf("size histogram of /collections: %v", sz)
		}
		if hit := counterValue(t, fams, "controlmap_cache_requests_total", map[string]string{"cache": "etag", "result": "hit"}); hit != 1 {
			t.Errorf("etag hits %v, want 1", hit)
		}
		// Misses: the ETagged 200s (3 /collections, the items page, the item twice).
		if miss := counterValue(t, fams, "controlmap_cache_requests_total", map[string]string{"cache": "etag", "result": "miss"}); miss != 6 {
			t.Errorf("etag misses %v, want 6", miss)
		}
		// The answers cache counts what X-Cache said: a miss for each first
		// answer, a hit for each repeat (not the 304, decided before it).
		if xcache["hit"] < 3 || xcache["miss"] < 3 {
			t.Fatalf("X-Cache values %v: want at least 3 hits and 3 misses", xcache)
		}
		for _, result := range []string{"hit", "miss"} {
			if got := counterValue(t, fams, "controlmap_cache_requests_total", map[string]string{"cache": "answers", "result": result}); got != xcache[result] {
				t.Errorf("answers %ss %v, want %v (X-Cache: %v)", result, got, xcache[result], xcache)
			}
		}
		if g := series(fams, "controlmap_http_requests_in_flight", nil); g == nil || g.GetGauge().GetValue() != 1 {
			t.Errorf("in flight during the scrape: %v, want 1 (the scrape)", g)
		}
		if g := series(fams, "controlmap_rate_limit_clients", nil); g == nil || g.GetGauge().GetValue() != 1 {
			t.Errorf("rate limit clients %v, want 1 (httptest's 192.0.2.1)", g)
		}
		for _, name := range []string{"go_goroutines", "go_memstats_heap_alloc_bytes", "process_resident_memory_bytes", "process_open_fds"} {
			if fams[name] == nil {
				t.Errorf("no %s: the Go or process collector is missing", name)
			}
		}

		_, pooled := st.(handlers.PoolStater)
		for _, name := range []string{"controlmap_db_pool_connections", "controlmap_db_pool_max_connections",
			"controlmap_db_pool_acquires_total", "controlmap_db_pool_empty_acquires_total", "controlmap_db_pool_acquire_wait_seconds_total"} {
			if (fams[name] != nil) != pooled {
				t.Errorf("%s present: %v; the store has a pool: %v", name, fams[name] != nil, pooled)
			}
		}
		if pooled {
			if mx := series(fams, "controlmap_db_pool_max_connections", nil).GetGauge().GetValue(); mx < 1 {
				t.Errorf("max connections %v", mx)
			}
			if n := counterValue(t, fams, "controlmap_db_pool_acquires_total", nil); n < 5 {
				t.Errorf("%v acquires after answering several requests", n)
			}
			if series(fams, "controlmap_db_pool_connections", map[string]string{"state": "idle"}) == nil {
				t.Error("no idle connections series")
			}
		}
	})
}

func TestMetricsRateLimited(t *testing.T) {
	e := serverWith(t, memoryFixture(), handlers.Options{RateLimit: handlers.RateLimit{PerSecond: 0.01, Burst: 2}})
	get(t, e, "/conformance", http.StatusOK)
	get(t, e, "/conformance", http.StatusOK)
	get(t, e, "/conformance", http.StatusTooManyRequests)
	// The scrape itself is limited too: it comes from the same client.
	get(t, e, "/metrics", http.StatusTooManyRequests)
	e2 := serverWith(t, memoryFixture(), handlers.Options{RateLimit: handlers.RateLimit{PerSecond: 0.01, Burst: 2}})
	get(t, e2, "/conformance", http.StatusOK)
	from(t, e2, "192.0.2.9:1", "/conformance")
	from(t, e2, "192.0.2.9:1", "/conformance")
	from(t, e2, "192.0.2.9:1", "/conformance")
	fams := scrape(t, e2)
	if n := counterValue(t, fams, "controlmap_rate_limited_requests_total", nil); n != 1 {
		t.Errorf("rate limited %v, want 1", n)
	}
	if n := counterValue(t, fams, "controlmap_http_requests_total", map[string]string{"route": "/conformance", "status": "429"}); n != 1 {
		t.Errorf("429s counted %v, want 1", n)
	}
}

func TestMetricsOwnRegistry(t *testing.T) {
	// Two servers in one process do not clash (no global registry), and
	// /metrics takes no parameters.
	a := serverWith(t, memoryFixture(), handlers.Options{})
	b := serverWith(t, memoryFixture(), handlers.Options{})
	get(t, a, "/conformance", http.StatusOK)
	if m := series(scrape(t, b), "controlmap_http_requests_total", map[string]string{"route": "/conformance"}); m != nil {
		t.Errorf("server b counts server a's request: %v", m)
	}
	if p := getProblem(t, a, "/metrics?name=go_goroutines", http.StatusBadRequest); p.Parameter != "name" {
		t.Errorf("problem %+v", p)
	}
}
