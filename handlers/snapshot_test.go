package handlers_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/labstack/echo/v4"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

// countingStore is the memory store (with its optional interfaces) counting
// the queries that reach it.
type countingStore struct {
	*memory.Store
	items, tiles, collection, collections atomic.Int64
}

func (s *countingStore) Items(ctx context.Context, col string, q geo.Query) (geo.Page, error) {
	s.items.Add(1)
	return s.Store.Items(ctx, col, q)
}

func (s *countingStore) Tile(ctx context.Context, col string, t maptile.Tile, q geo.Query) ([]byte, error) {
	s.tiles.Add(1)
	return s.Store.Tile(ctx, col, t, q)
}

func (s *countingStore) Collections(ctx context.Context) ([]geo.Collection, error) {
	s.collections.Add(1)
	return s.Store.Collections(ctx)
}

func (s *countingStore) Collection(ctx context.Context, id string) (geo.Collection, error) {
	s.collection.Add(1)
	return s.Store.Collection(ctx, id)
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("not gzip: %v", err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("gunzip: %v", err)
	}
	return out
}

func TestSnapshotHitEqualsMiss(t *testing.T) {
	targets := []string{
		"/collections/facilities/items?datetime=2026-01-20",
		"/collections/areas/items?bbox=40,36,41,37&limit=2",
		"/collections/facilities/items/al-hol-3",
		"/collections/facilities/tiles/WebMercatorQuad/3/3/4?datetime=2026-01-20",
		"/collections",
		"/timeline",
	}
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		for _, target := range targets {
			miss := get(t, e, target, http.StatusOK)
			hit := get(t, e, target, http.StatusOK)
			if miss.Header().Get("X-Cache") != "miss" || hit.Header().Get("X-Cache") != "hit" {
				t.Errorf("%s: X-Cache %q then %q, want miss then hit", target, miss.Header().Get("X-Cache"), hit.Header().Get("X-Cache"))
			}
			if !bytes.Equal(miss.Body.Bytes(), hit.Body.Bytes()) || miss.Header().Get("ETag") != hit.Header().Get("ETag") ||
				miss.Header().Get("Link") != hit.Header().Get("Link") || miss.Header().Get("Content-Type") != hit.Header().Get("Content-Type") {
				t.Errorf("%s: a hit differs from the miss", target)
			}
			for i := range 2 {
				gz := get(t, e, target, http.StatusOK, "Accept-Encoding", "gzip")
				if gz.Header().Get("Content-Encoding") != "gzip" {
					t.Fatalf("%s: gzip asked, Content-Encoding %q", target, gz.Header().Get("Content-Encoding"))
				}
				if got := gunzip(t, gz.Body.Bytes()); !bytes.Equal(got, miss.Body.Bytes()) {
					t.Errorf("%s (gzip, request %d): the decompressed body differs from the identity body", target, i)
				}
				if gz.Header().Get("ETag") == miss.Header().Get("ETag") {
					t.Errorf("%s: the gzip body has the identity body's ETag", target)
				}
			}
		}
	})
}

// TestSnapshotMatchesUncached asks many different queries, each twice and
// in an order that mixes them, and checks every answer against a server
// without a cache: different queries never share an entry.
func TestSnapshotMatchesUncached(t *testing.T) {
	targets := []string{
		"/collections/villages/items?limit=3",
		"/collections/villages/items?limit=4",
		"/collections/villages/items?limit=3&offset=1",
		"/collections/villages/items?limit=3&district=b",
		"/collections/villages/items?limit=3&properties=name",
		"/collections/villages/items?limit=3&properties=name,n",
		"/collections/villages/items?limit=3&f=json",
		"/collections/villages/items?bbox=38,35,38.3,36",
		"/collections/villages/items?bbox=38,35,38.4,36",
		"/collections/areas/items?precision=1",
		"/collections/areas/items?precision=2",
		"/collections/facilities/items?datetime=2026-01-17",
		"/collections/facilities/items?datetime=2026-01-18",
		"/collections/facilities/items?datetime=2026-01-20T12:00:00Z",
		"/collections/facilities/items?datetime=../2026-01-18",
		"/collections/facilities/items?download=1&datetime=2026-01-20",
		"/collections/facilities/items?download=1&datetime=2026-01-21",
		"/collections/events/items?datetime=2026-01-21T09:00:00Z",
		"/collections/events/items?datetime=2026-01-21T09:00:01Z",
		"/collections/facilities/tiles/WebMercatorQuad/3/3/4?datetime=2026-01-20",
		"/collections/facilities/tiles/WebMercatorQuad/3/3/4?datetime=2026-01-22",
		"/collections/facilities/tiles/WebMercatorQuad/3/3/4?datetime=2026-01-22&controller=sdf",
		"/collections/facilities/tiles/3/4/3.mvt?datetime=2026-01-22",
	}
	fresh := serverWith(t, memory.New(storetest.Fixture()), handlers.Options{CacheBytes: -1})
	cached := serverWith(t, memory.New(storetest.Fixture()), handlers.Options{})
	for round := range 2 {
		for i := range targets {
			target := targets[(i*7+round)%len(targets)]
			want := get(t, fresh, target, http.StatusOK)
			got := get(t, cached, target, http.StatusOK)
			if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) || got.Header().Get("ETag") != want.Header().Get("ETag") ||
				got.Header().Get("Content-Disposition") != want.Header().Get("Content-Disposition") || got.Header().Get("Link") != want.Header().Get("Link") {
				t.Errorf("round %d: %s differs from the answer without a cache:\n got %s\nwant %s", round, target, truncate(got.Body.String()), truncate(want.Body.String()))
			}
		}
	}
	if rec := get(t, fresh, targets[0], http.StatusOK); rec.Header().Get("X-Cache") != "miss" {
		t.Errorf("without a cache: X-Cache %q", rec.Header().Get("X-Cache"))
	}
}

// TestSnapshotEpochs checks that dates between the same changes of a layer
// share its features, and that the store is asked again for a new epoch
// and after the data changes.
func TestSnapshotEpochs(t *testing.T) {
	st := &countingStore{Store: memory.New(storetest.Fixture())}
	e := serverWith(t, st, handlers.Options{})
	// Facilities change on 18, 19 and 21 January: the 19th and the 20th
	// show the same features.
	features := func(target string) string {
		var fc struct {
			Features json.RawMessage `json:"features"`
		}
		getJSON(t, e, target, &fc)
		return string(fc.Features)
	}
	a := features("/collections/facilities/items?datetime=2026-01-19")
	b := features("/collections/facilities/items?datetime=2026-01-20")
	if a != b {
		t.Fatal("the 19th and the 20th show different facilities; the fixture changed?")
	}
	if n := st.items.Load(); n != 1 {
		t.Errorf("two dates of one epoch asked the store %d times, want once", n)
	}
	features("/collections/facilities/items?datetime=2026-01-20T06:00:00Z")
	if n := st.items.Load(); n != 1 {
		t.Errorf("an instant inside the epoch asked the store again (%d queries)", n)
	}
	if c := features("/collections/facilities/items?datetime=2026-01-21"); c == a {
		t.Error("the 21st shows the facilities of the 20th")
	}
	if n := st.items.Load(); n != 2 {
		t.Errorf("a new epoch: %d queries, want 2", n)
	}
	// Tiles share epochs too.
	tile := "/collections/facilities/tiles/WebMercatorQuad/3/3/4?datetime="
	t19 := get(t, e, tile+"2026-01-19", http.StatusOK).Body.Bytes()
	t20 := get(t, e, tile+"2026-01-20", http.StatusOK).Body.Bytes()
	if !bytes.Equal(t19, t20) || st.tiles.Load() != 1 {
		t.Errorf("tiles of one epoch: equal %v, %d drawings, want equal and 1", bytes.Equal(t19, t20), st.tiles.Load())
	}
	// The collections are described once per data version, never per request.
	if n, one := st.collections.Load(), st.collection.Load(); n != 1 || one != 0 {
		t.Errorf("the collections were listed %d times and one described %d times, want once and never", n, one)
	}

	// A change of data is a miss.
	ds := storetest.Fixture()
	ds.Features["facilities"][1].Properties["status"] = "evacuated" // al-hol-2
	ds.Digest = "edited"
	st.Swap(ds)
	rec := get(t, e, "/collections/facilities/items?datetime=2026-01-20", http.StatusOK)
	if rec.Header().Get("X-Cache") != "miss" || !bytes.Contains(rec.Body.Bytes(), []byte("evacuated")) || st.items.Load() != 3 {
		t.Errorf("after a data change: X-Cache %s, %d queries, body %s", rec.Header().Get("X-Cache"), st.items.Load(), truncate(rec.Body.String()))
	}
	if n := st.collections.Load(); n != 2 {
		t.Errorf("after a data change the collections were listed %d times in all, want 2", n)
	}
}

// TestSnapshotPurge checks that /admin/cache/purge empties the cache.
func TestSnapshotPurge(t *testing.T) {
	st := &countingStore{Store: memory.New(storetest.Fixture())}
	e := serverWith(t, st, handlers.Options{AdminToken: "secret-token-for-tests"})
	const target = "/collections/facilities/items?datetime=2026-01-20"
	get(t, e, target, http.StatusOK)
	req := do(t, e, http.MethodPost, "/admin/cache/purge", "Authorization", "Bearer secret-token-for-tests")
	if req.Code != http.StatusOK {
		t.Fatalf("purge: %d %s", req.Code, req.Body)
	}
	if rec := get(t, e, target, http.StatusOK); rec.Header().Get("X-Cache") != "miss" || st.items.Load() != 2 {
		t.Errorf("after a purge: X-Cache %s, %d queries", rec.Header().Get("X-Cache"), st.items.Load())
	}
}
