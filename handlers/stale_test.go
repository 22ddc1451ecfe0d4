package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

// outageStore is a memory store that can be taken down: while down, every
// call fails with geo.ErrUnavailable, as the PostGIS store does while its
// database restarts. It keeps the optional interfaces of the memory store.
type outageStore struct {
	*memory.Store
	down  atomic.Bool
	calls atomic.Int64 // calls made while down
}

func (o *outageStore) fail() error {
	if o.down.Load() {
		o.calls.Add(1)
		return fmt.Errorf("test: database restarting: %w", geo.ErrUnavailable)
	}
	return nil
}

func (o *outageStore) Collections(ctx context.Context) ([]geo.Collection, error) {
	if err := o.fail(); err != nil {
		return nil, err
	}
	return o.Store.Collections(ctx)
}

func (o *outageStore) Collection(ctx context.Context, id string) (geo.Collection, error) {
	if err := o.fail(); err != nil {
		return geo.Collection{}, err
	}
	return o.Store.Collection(ctx, id)
}

func (o *outageStore) Items(ctx context.Context, col string, q geo.Query) (geo.Page, error) {
	if err := o.fail(); err != nil {
		return geo.Page{}, err
	}
	return o.Store.Items(ctx, col, q)
}

func (o *outageStore) Item(ctx context.Context, col, id string) (geo.Feature, error) {
	if err := o.fail(); err != nil {
		return geo.Feature{}, err
	}
	return o.Store.Item(ctx, col, id)
}

func (o *outageStore) Version(ctx context.Context) (string, error) {
	if err := o.fail(); err != nil {
		return "", err
	}
	return o.Store.Version(ctx)
}

func (o *outageStore) Ping(ctx context.Context) error {
	if err := o.fail(); err != nil {
		return err
	}
	return o.Store.Ping(ctx)
}

func (o *outageStore) Changes(ctx context.Context, col string) (*geo.Changes, error) {
	if err := o.fail(); err != nil {
		return nil, err
	}
	return o.Store.Changes(ctx, col)
}

func (o *outageStore) Tile(ctx context.Context, col string, t maptile.Tile, q geo.Query) ([]byte, error) {
	if err := o.fail(); err != nil {
		return nil, err
	}
	return o.Store.Tile(ctx, col, t, q)
}

var (
	_ geo.ChangeStore = (*outageStore)(nil)
	_ geo.TileStore   = (*outageStore)(nil)
)

// TestStaleAnswersDuringOutage: while the store is down, an answer the
// server built before is served again from its cache, byte for byte, marked
// stale (X-Cache, Warning, Cache-Control no-cache) and counted in /metrics;
// anything it never built is 503 with Retry-After; /readyz is 503. When the
// store is back, answers are fresh again.
func TestStaleAnswersDuringOutage(t *testing.T) {
	st := &outageStore{Store: memory.New(storetest.Fixture())}
	e := newServer(t, st)

	cached := []string{
		"/collections/facilities/items?datetime=2026-01-10",
		"/collections/facilities/items?datetime=2026-01-10&f=json",
		"/collections/facilities/items/" + storetest.Fixture().Features["facilities"][0].ID,
		"/collections?f=json",
		"/collections/facilities/tiles/WebMercatorQuad/5/12/19",
	}
	before := map[string]string{}
	etags := map[string]string{}
	for _, u := range cached {
		rec := do(t, e, http.MethodGet, u)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s = %d before the outage: %s", u, rec.Code, truncate(rec.Body.String()))
		}
		before[u] = rec.Body.String()
		etags[u] = rec.Header().Get("ETag")
	}

	answers := func(result string) float64 {
		return counterValue(t, scrape(t, e), "controlmap_cache_requests_total", map[string]string{"cache": "answers", "result": result})
	}
	hits, misses := answers("hit"), answers("miss")
	st.down.Store(true)
	for _, u := range cached {
		rec := do(t, e, http.MethodGet, u)
		if rec.Code != http.StatusOK {
			t.Errorf("GET %s during the outage = %d, want 200 (the last good answer): %s", u, rec.Code, truncate(rec.Body.String()))
			continue
		}
		if rec.Body.String() != before[u] {
			t.Errorf("GET %s during the outage: body differs from the last good answer", u)
		}
		h := rec.Header()
		if h.Get("X-Cache") != "stale" || !strings.Contains(h.Get("Warning"), "110") || h.Get("Cache-Control") != "no-cache" {
			t.Errorf("GET %s during the outage: X-Cache %q, Warning %q, Cache-Control %q; want stale, 110, no-cache",
				u, h.Get("X-Cache"), h.Get("Warning"), h.Get("Cache-Control"))
		}
		if h.Get("ETag") != etags[u] {
			t.Errorf("GET %s during the outage: ETag %q, want the last good %q", u, h.Get("ETag"), etags[u])
		}
		// A client holding the last good answer is told it is still the one.
		if rec := do(t, e, http.MethodGet, u, "If-None-Match", etags[u]); rec.Code != http.StatusNotModified || rec.Header().Get("X-Cache") != "stale" {
			t.Errorf("GET %s If-None-Match during the outage = %d X-Cache %q, want 304 stale", u, rec.Code, rec.Header().Get("X-Cache"))
		}
	}
	for _, u := range []string{
		"/collections/facilities/items?datetime=2026-01-10&limit=3", // another query
		"/collections/areas/items",
		"/collections/facilities/tiles/WebMercatorQuad/6/25/39",
		"/readyz",
	} {
		rec := do(t, e, http.MethodGet, u)
		if rec.Code != http.StatusServiceUnavailable || rec.Header().Get("Retry-After") == "" {
			t.Errorf("GET %s never answered before, during the outage = %d, Retry-After %q; want 503 with Retry-After",
				u, rec.Code, rec.Header().Get("Retry-After"))
		}
		if h := rec.Header(); h.Get("ETag") != "" || h.Get("X-Cache") == "stale" || h.Get("Warning") != "" || h.Get("Cache-Control") != "no-store" {
			t.Errorf("GET %s: a 503 carries ETag %q, X-Cache %q, Warning %q, Cache-Control %q",
				u, h.Get("ETag"), h.Get("X-Cache"), h.Get("Warning"), h.Get("Cache-Control"))
		}
	}
	// Each request asks the store once (its version), and a miss then
	// fails at once instead of asking again; /readyz pings.
	if n := st.calls.Load(); n != int64(2*len(cached)+4) {
		t.Errorf("the store was asked %d times during the outage, want %d (once a request)", n, 2*len(cached)+4)
	}
	if n := counterValue(t, scrape(t, e), "controlmap_stale_answers_total", nil); n != float64(2*len(cached)) {
		t.Errorf("controlmap_stale_answers_total = %v, want %d", n, 2*len(cached))
	}
	// The stale answers were found in the cache (the 304s are decided
	// before it is asked, and the 503s failed before an answer).
	if h, m := answers("hit")-hits, answers("miss")-misses; h != float64(len(cached)) || m != 0 {
		t.Errorf("during the outage the answers cache counted %v hits and %v misses, want %d and 0", h, m, len(cached))
	}

	st.down.Store(false)
	for _, u := range cached {
		rec := get(t, e, u, http.StatusOK)
		if xc := rec.Header().Get("X-Cache"); xc == "stale" || rec.Header().Get("Warning") != "" || rec.Header().Get("Cache-Control") == "no-cache" {
			t.Errorf("GET %s after the outage: X-Cache %q, Warning %q, Cache-Control %q; want a fresh answer",
				u, xc, rec.Header().Get("Warning"), rec.Header().Get("Cache-Control"))
		}
	}
	get(t, e, "/collections/areas/items", http.StatusOK)
}

// TestNoStaleAnswerBeforeFirstVersion: a server whose store has never
// answered has nothing to fall back on, and a server without a cache keeps
// nothing: both answer 503.
func TestNoStaleAnswerBeforeFirstVersion(t *testing.T) {
	st := &outageStore{Store: memory.New(storetest.Fixture())}
	st.down.Store(true)
	e := newServer(t, st)
	getProblem(t, e, "/collections?f=json", http.StatusServiceUnavailable)

	st2 := &outageStore{Store: memory.New(storetest.Fixture())}
	noCache := serverWith(t, st2, handlers.Options{CacheBytes: -1})
	get(t, noCache, "/collections?f=json", http.StatusOK)
	st2.down.Store(true)
	getProblem(t, noCache, "/collections?f=json", http.StatusServiceUnavailable)
}
