package handlers_test

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"runtime"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
	"github.com/controlmap/controlmap/internal/cache"
)

// Tests of the findings of the security review of the request path (issue
// 10, section 4).

// TestTimelineWindowSpellingsShareOneAnswer: the spellings of one window are
// one cache entry, and a miss queries only the events, not every dated
// collection in full.
func TestTimelineWindowSpellingsShareOneAnswer(t *testing.T) {
	st := &countingStore{Store: memory.New(storetest.Fixture())}
	e := serverWith(t, st, handlers.Options{})
	first := get(t, e, "/timeline?from=2026-01-01&to=2026-01-31", http.StatusOK)
	if first.Header().Get("X-Cache") != "miss" {
		t.Fatalf("first request: X-Cache %q", first.Header().Get("X-Cache"))
	}
	if n := st.items.Load(); n != 1 {
		t.Errorf("a timeline miss made %d items queries, want 1 (the events)", n)
	}
	for _, q := range []string{
		"from=2026-01-01T00:00:00Z&to=2026-01-31",
		"from=2026-01-01T05:00:00%2B05:00&to=2026-01-31",
		"to=2026-01-31T23:00:00Z&from=2026-01-01T12:00:00Z",
	} {
		rec := get(t, e, "/timeline?"+q, http.StatusOK)
		if rec.Header().Get("X-Cache") != "hit" || rec.Header().Get("ETag") != first.Header().Get("ETag") || !bytes.Equal(rec.Body.Bytes(), first.Body.Bytes()) {
			t.Errorf("%s: X-Cache %q, ETag %s (first %s), same body %v", q, rec.Header().Get("X-Cache"),
				rec.Header().Get("ETag"), first.Header().Get("ETag"), bytes.Equal(rec.Body.Bytes(), first.Body.Bytes()))
		}
	}
	if n := st.items.Load(); n != 1 {
		t.Errorf("after four spellings of one window, %d items queries, want 1", n)
	}
	if !strings.Contains(first.Body.String(), `"href":"http://example.com/timeline?from=2026-01-01&to=2026-01-31"`) {
		t.Errorf("self link not normalised: %s", truncate(first.Body.String()))
	}
}

// TestLongFilterValueIsBounded: what the cache keeps for a request does
// not grow with the length of its query: tile requests with filter values
// of 7,900 characters, each a new entry, retain about what the cache counts
// (the keys are fixed-size digests), not the values.
func TestLongFilterValueIsBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := serverWith(t, memoryFixture(), handlers.Options{Metrics: reg})
	get(t, e, "/collections/facilities/tiles/WebMercatorQuad/3/3/4?datetime=2026-01-20", http.StatusOK) // load the data state
	const n = 300
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for i := range n {
		v := fmt.Sprintf("%04d", i) + strings.Repeat("x", 7900)
		rec := get(t, e, "/collections/facilities/tiles/WebMercatorQuad/3/3/4?datetime=2026-01-20&name="+v, http.StatusOK)
		if rec.Header().Get("X-Cache") != "miss" {
			t.Fatalf("request %d: X-Cache %q, want a new entry", i, rec.Header().Get("X-Cache"))
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	retained := int64(after.HeapAlloc) - int64(before.HeapAlloc)
	counted := metricValue(t, reg, "controlmap_cache_bytes")
	if counted < n*cache.Overhead {
		t.Fatalf("the cache counts %d bytes for %d entries", counted, n)
	}
	// The values alone are 300 × 7.9 kB = 2.4 MB; keeping them would show.
	if retained > 4*counted+256<<10 {
		t.Errorf("%d requests with 7.9 kB filter values retained %d bytes of heap; the cache counts %d", n, retained, counted)
	}
}

// metricValue returns the value of the unlabelled gauge name in reg.
func metricValue(t *testing.T, reg *prometheus.Registry, name string) int64 {
	t.Helper()
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fams {
		if f.GetName() == name && len(f.GetMetric()) == 1 {
			return int64(f.GetMetric()[0].GetGauge().GetValue())
		}
	}
	t.Fatalf("no gauge %s", name)
	return 0
}

// TestPageAtDateIsCached: the map page and the widget at a date go through
// the same cache, version and single flight as every answer: an ETag, a
// hit on the second view, 304 on revalidation, and the store queried once
// for the summary whatever the number of views.
func TestPageAtDateIsCached(t *testing.T) {
	st := &countingStore{Store: memory.New(storetest.Fixture())}
	e := serverWith(t, st, handlers.Options{})
	for _, target := range []string{"/?date=2026-01-20&view=36.4,41.1,8", "/embed?date=2026-01-20"} {
		before := st.items.Load()
		first := get(t, e, target, http.StatusOK, "Accept", "text/html")
		tag := first.Header().Get("ETag")
		if tag == "" || first.Header().Get("X-Cache") != "miss" {
			t.Errorf("%s: ETag %q, X-Cache %q", target, tag, first.Header().Get("X-Cache"))
		}
		if !strings.Contains(first.Body.String(), "20 January 2026") {
			t.Errorf("%s: no summary of the date in the page", target)
		}
		second := get(t, e, target, http.StatusOK, "Accept", "text/html")
		if second.Header().Get("X-Cache") != "hit" || !bytes.Equal(first.Body.Bytes(), second.Body.Bytes()) {
			t.Errorf("%s: second view X-Cache %q", target, second.Header().Get("X-Cache"))
		}
		get(t, e, target, http.StatusNotModified, "Accept", "text/html", "If-None-Match", tag)
		if cc := first.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("%s: Cache-Control %q, want no-cache (revalidated)", target, cc)
		}
		if n := st.items.Load() - before; n > 2 {
			t.Errorf("%s: three views made %d items queries, want at most 2 (facilities and events, once)", target, n)
		}
	}
	// The page and the widget at the same date share the summary.
	if n := st.items.Load(); n != 2 {
		t.Errorf("two pages at one date made %d items queries in all, want 2", n)
	}
}

// TestPageWithoutStoreStillWorks: when the store cannot give the summary,
// the page is served without it, and not cached.
func TestPageWithoutStoreStillWorks(t *testing.T) {
	e := serverWith(t, failingStore{err: errBoom}, handlers.Options{})
	rec := get(t, e, "/?date=2026-01-20", http.StatusOK, "Accept", "text/html")
	if rec.Header().Get("ETag") != "" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("page without summary: ETag %q, Cache-Control %q", rec.Header().Get("ETag"), rec.Header().Get("Cache-Control"))
	}
	if !strings.Contains(rec.Body.String(), "leaflet") {
		t.Errorf("page without summary is not the map page: %s", truncate(rec.Body.String()))
	}
}

// TestForwardedProtoOnlyFromTrustedProxies: X-Forwarded-Proto changes no
// link, page or oEmbed answer unless the peer is a trusted proxy.
func TestForwardedProtoOnlyFromTrustedProxies(t *testing.T) {
	targets := []string{"/collections", "/collections/facilities/items?limit=1", "/?date=2026-01-20",
		"/oembed?url=http%3A%2F%2Fexample.com%2F%3Fdate%3D2026-01-20"}
	check := func(t *testing.T, e *echo.Echo, remote string, wantHTTPS bool) {
		for _, target := range targets {
			req := httptest.NewRequest(http.MethodGet, target, nil)
			req.RemoteAddr = remote
			req.Header.Set("X-Forwarded-Proto", "https")
			req.Header.Set("Accept", "text/html")
			rec := httptest.NewRecorder()
			e.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				t.Fatalf("%s: status %d %s", target, rec.Code, truncate(rec.Body.String()))
			}
			body := rec.Body.String()
			hasHTTPS := strings.Contains(body, "https://example.com") || strings.Contains(body, `https:\/\/example.com`)
			if hasHTTPS != wantHTTPS {
				t.Errorf("peer %s, %s: https links %v, want %v", remote, target, hasHTTPS, wantHTTPS)
			}
		}
	}
	trusted := []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}
	t.Run("untrusted peer", func(t *testing.T) {
		check(t, serverWith(t, memoryFixture(), handlers.Options{TrustedProxies: trusted}), "192.0.2.1:1234", false)
		check(t, serverWith(t, memoryFixture(), handlers.Options{}), "10.1.2.3:1234", false)
	})
	t.Run("trusted proxy", func(t *testing.T) {
		e := serverWith(t, memoryFixture(), handlers.Options{TrustedProxies: trusted})
		check(t, e, "10.1.2.3:1234", true)
		rec := get(t, e, "/collections", http.StatusOK)
		if vary := strings.Join(rec.Header().Values("Vary"), ", "); !strings.Contains(vary, "X-Forwarded-Proto") {
			t.Errorf("with trusted proxies, answers do not vary on X-Forwarded-Proto: Vary %q", vary)
		}
	})
}

var errBoom = errors.New("boom: the store is broken")
