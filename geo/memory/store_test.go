package memory_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ds *geo.Dataset) geo.Store { return memory.New(ds) })
}

func TestContractLoad(t *testing.T) {
	storetest.Run(t, func(t *testing.T, _ *geo.Dataset) geo.Store {
		s, err := memory.Load(storetest.FixtureFS())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestContractUnsorted checks that a dataset built in code, with features out
// of order and no computed extents, is served like a loaded one.
func TestContractUnsorted(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ds *geo.Dataset) geo.Store {
		mixed := &geo.Dataset{Digest: ds.Digest, Features: map[string][]geo.Feature{}}
		for _, c := range ds.Collections {
			c.Extent, c.Count, c.Properties = geo.Extent{}, 0, nil
			mixed.Collections = append(mixed.Collections, c)
			feats := ds.Features[c.ID]
			rev := make([]geo.Feature, len(feats))
			for i, f := range feats {
				rev[len(feats)-1-i] = f
			}
			mixed.Features[c.ID] = rev
		}
		return memory.New(mixed)
	})
}

func TestLoadInvalid(t *testing.T) {
	fsys := storetest.FixtureFS()
	delete(fsys, "events.geojson")
	s, err := memory.Load(fsys)
	var le *geo.LoadError
	if s != nil || !errors.As(err, &le) {
		t.Fatalf("Load of a folder missing a file: %v, %v; want a *geo.LoadError", s, err)
	}
	if len(le.Problems) != 1 || le.Problems[0].File != "events.geojson" {
		t.Errorf("problems %v", le.Problems)
	}
}

func TestReloadBrokenKeepsOldData(t *testing.T) {
	ctx := context.Background()
	s := memory.New(storetest.Fixture())
	before, _ := s.Version(ctx)

	broken := storetest.FixtureFS()
	broken["villages.geojson"].Data = []byte(`{"type":"FeatureCollection","features":[{"type":"Feature","id":"v01"}]}`)
	broken["rivers.geojson"] = broken["border.geojson"]
	err := s.Reload(broken)
	var le *geo.LoadError
	if !errors.As(err, &le) || !errors.Is(err, geo.ErrInvalidData) {
		t.Fatalf("Reload of a broken folder: %v, want a *geo.LoadError", err)
	}
	if len(le.Problems) != 2 {
		t.Errorf("want 2 problems (bad feature, unknown collection), got %v", le.Problems)
	}
	after, _ := s.Version(ctx)
	if after != before {
		t.Errorf("version changed from %s to %s after a failed reload", before, after)
	}
	page, err := s.Items(ctx, "villages", geo.Query{})
	if err != nil || page.NumberMatched != 25 {
		t.Errorf("after a failed reload: %d villages (%v), want the old 25", page.NumberMatched, err)
	}
}

func TestReloadAndSwap(t *testing.T) {
	ctx := context.Background()
	s := memory.New(storetest.Fixture())
	v1, _ := s.Version(ctx)

	fsys := storetest.FixtureFS()
	delete(fsys, "villages.geojson")
	fsys[geo.CatalogFile].Data = []byte(`{"collections":[{"id":"border","title":"Only borders","geometry_type":"LineString","required":["name"],
		"style":{"property":"","colors":{},"default_color":"#000"}}]}`)
	for name := range fsys {
		if name != geo.CatalogFile && name != "border.geojson" {
			delete(fsys, name)
		}
	}
	if err := s.Reload(fsys); err != nil {
		t.Fatal(err)
	}
	v2, _ := s.Version(ctx)
	cols, _ := s.Collections(ctx)
	if v2 == v1 || len(cols) != 1 || cols[0].Title != "Only borders" {
		t.Errorf("after Reload: version %s (was %s), collections %+v", v2, v1, cols)
	}
	if _, err := s.Items(ctx, "villages", geo.Query{}); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a collection gone after Reload: %v, want ErrNotFound", err)
	}

	s.Swap(&geo.Dataset{})
	v3, _ := s.Version(ctx)
	s.Swap(&geo.Dataset{})
	v4, _ := s.Version(ctx)
	if v3 == "" || v3 == v2 || v4 == v3 {
		t.Errorf("versions of code-built datasets %q, %q should be non-empty and differ", v3, v4)
	}
	if cols, err := s.Collections(ctx); err != nil || len(cols) != 0 {
		t.Errorf("empty dataset: %v, %v", cols, err)
	}
}

func TestCollectionsIsACopy(t *testing.T) {
	ctx := context.Background()
	s := memory.New(storetest.Fixture())
	cols, _ := s.Collections(ctx)
	cols[0].Title = "changed"
	again, _ := s.Collections(ctx)
	if again[0].Title == "changed" {
		t.Error("changing the returned slice changed the store")
	}
}

// TestEncoding checks the properties the store encodes at load against
// writing the values it returns, on hostile values.
func TestEncoding(t *testing.T) {
	storetest.RunEncoding(t, func(t *testing.T, ds *geo.Dataset) geo.Store { return memory.New(ds) })
}

func TestAnalyticsContract(t *testing.T) {
	storetest.RunAnalytics(t, func(t *testing.T, ds *geo.Dataset) geo.AnalyticsStore { return memory.New(ds) })
}

// TestTimeouts checks that the analytics give up with the context's error
// once FilterTimeout has passed.
func TestTimeouts(t *testing.T) {
	old := memory.FilterTimeout
	memory.FilterTimeout = time.Nanosecond
	t.Cleanup(func() { memory.FilterTimeout = old })
	st := memory.New(storetest.AnalyticsFixture())
	ctx := context.Background()
	at := []time.Time{time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)}
	time.Sleep(time.Millisecond)
	if _, err := st.Areas(ctx, "territory", "controller", at); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Areas: %v", err)
	}
	if _, err := st.RegionChanges(ctx, "territory", "controller", at[0], at[0].AddDate(0, 0, 20)); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("RegionChanges: %v", err)
	}
}
