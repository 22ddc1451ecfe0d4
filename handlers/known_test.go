package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/handlers"
)

// knowingStore is a store that honours geo.Query.Known as PostGIS does:
// a feature Known knows comes back with its collection and id alone. It
// notes, for each Items call, whether Known was set and how many features
// it knew.
type knowingStore struct {
	geo.Store
	mu    sync.Mutex
	calls []knownCall
}

type knownCall struct {
	asked       bool
	known, page int
}

func (s *knowingStore) Items(ctx context.Context, collection string, q geo.Query) (geo.Page, error) {
	known := q.Known
	q.Known = nil
	page, err := s.Store.Items(ctx, collection, q)
	call := knownCall{asked: known != nil, page: len(page.Features)}
	if err == nil && known != nil {
		for i, f := range page.Features {
			if known(f.ID) {
				page.Features[i] = geo.Feature{Collection: f.Collection, ID: f.ID}
				call.known++
			}
		}
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	return page, err
}

func (s *knowingStore) last(t *testing.T) knownCall {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.calls) == 0 {
		t.Fatal("the store was not asked")
	}
	return s.calls[len(s.calls)-1]
}

// TestItemsKnown: pages of large polygons are asked with geo.Query.Known
// once the features cache held at least half of the large features of
// recent pages, and no longer after it held too few; a page built from
// the encodings Known found is byte for byte the page built from the
// features themselves, and a store that leaves the known features out is
// not asked for the answer's other bytes.
func TestItemsKnown(t *testing.T) {
	ds := gen.Scale(1, gen.Options{Polygons: 120, Points: 10, Facilities: 5, Events: 5})
	st := &knowingStore{Store: memory.New(ds)}
	e := serverWith(t, st, handlers.Options{})
	plain := serverWith(t, memory.New(ds), handlers.Options{CacheBytes: -1})
	page := func(x, y float64) map[string]bool {
		t.Helper()
		target := fmt.Sprintf("/collections/%s/items?bbox=%g,%g,%g,%g&limit=100", gen.Areas, x, y, x+1, y+1)
		got := get(t, e, target, 200).Body.Bytes()
		if want := get(t, plain, target, 200).Body.Bytes(); !bytes.Equal(got, want) {
			t.Fatalf("%s: the answer differs from the same server's without a cache:\n got %.300s\nwant %.300s", target, got, want)
		}
		var fc struct{ Features []struct{ ID string } }
		if err := json.Unmarshal(got, &fc); err != nil {
			t.Fatal(err)
		}
		ids := map[string]bool{}
		for _, f := range fc.Features {
			ids[f.ID] = true
		}
		return ids
	}
	// Nothing cached, then every large feature found cached: the share
	// (0, then 50%) reaches the bound only after the second page.
	a := page(38, 35)
	if len(a) < 5 {
		t.Fatalf("test data: %d polygons in the first box", len(a))
	}
	for i, x := range []float64{38.00001, 38.00002} {
		if c := st.last(t); c.asked {
			t.Errorf("page %d asked with Known (%+v): too little was cached", i+1, c)
		}
		page(x, 35)
	}
	c := st.last(t)
	if !c.asked || c.known == 0 || c.known != c.page {
		t.Errorf("third page: %+v; want Known asked and every feature known", c)
	}
	// Far away nothing is cached: still asked once (75% before it), then
	// not (37%).
	far := page(36, 33)
	for id := range far {
		if a[id] {
			t.Fatalf("test data: %s is in both boxes", id)
		}
	}
	if c := st.last(t); !c.asked || c.known != 0 || c.page == 0 {
		t.Errorf("far page: %+v; want Known asked and nothing known", c)
	}
	page(36.00001, 33)
	if c := st.last(t); c.asked {
		t.Errorf("after a page of which nothing was known: %+v; want Known no longer asked", c)
	}
}

// localKnowingStore is a knowingStore that answers from memory
// (geo.LocalStore), as the embedded store does.
type localKnowingStore struct{ *knowingStore }

func (localKnowingStore) Local() {}

// TestItemsKnownNotLocal: a store that answers from memory is never asked
// with Known, however much of its pages the features cache holds (it would
// read nothing less, and the server would build a map of the page for
// nothing); the pages are the same.
func TestItemsKnownNotLocal(t *testing.T) {
	ds := gen.Scale(1, gen.Options{Polygons: 120, Points: 10, Facilities: 5, Events: 5})
	st := &knowingStore{Store: memory.New(ds)}
	e := serverWith(t, localKnowingStore{st}, handlers.Options{})
	plain := serverWith(t, memory.New(ds), handlers.Options{CacheBytes: -1})
	for _, x := range []float64{38, 38.00001, 38.00002, 38.00003} {
		target := fmt.Sprintf("/collections/%s/items?bbox=%g,35,%g,36&limit=100", gen.Areas, x, x+1)
		if got, want := get(t, e, target, 200).Body.Bytes(), get(t, plain, target, 200).Body.Bytes(); !bytes.Equal(got, want) {
			t.Fatalf("%s: the answer differs from the same server's without a cache", target)
		}
		if c := st.last(t); c.asked {
			t.Errorf("%s: a local store was asked with Known (%+v)", target, c)
		}
	}
}
