package handlers_test

import (
	"bytes"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"

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
