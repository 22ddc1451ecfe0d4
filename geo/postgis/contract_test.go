package postgis_test

import (
	"context"
	"maps"
	"reflect"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// TestContract runs the contract suite every geo.Store must pass against a
// database holding the storetest fixture.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ds *geo.Dataset) geo.Store {
		return pgtest.NewStore(t, ds)
	})
}

// TestContractCountedApart runs the contract suite with the change feed
// live and the catalogue read, so that pages of point collections are read
// without a count and counted apart when full (countsApart), and those of
// lines and areas with one: both ways of counting meet the contract (the
// paging cases are on the villages, points).
func TestContractCountedApart(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ds *geo.Dataset) geo.Store {
		dbURL := pgtest.NewDB(t)
		if _, err := postgis.Import(context.Background(), dbURL, ds); err != nil {
			t.Fatal(err)
		}
		st := runStore(t, dbURL, postgis.Options{})
		eventually(t, 10*time.Second, "change feed connected", st.LiveForTest)
		if _, err := st.Collections(context.Background()); err != nil {
			t.Fatal(err)
		}
		for id, want := range map[string]bool{"villages": true, "facilities": true, "areas": false, "border": false, "nowhere": false} {
			if got := st.CountsApartForTest(id); got != want {
				t.Fatalf("countsApart(%q) = %v, want %v", id, got, want)
			}
		}
		return st
	})
}

// TestEncoding checks the properties Import encodes against writing the
// values the store decodes, on hostile values imported into a database.
func TestEncoding(t *testing.T) {
	storetest.RunEncoding(t, func(t *testing.T, ds *geo.Dataset) geo.Store {
		return pgtest.NewStore(t, ds)
	})
}

func TestAnalyticsContract(t *testing.T) {
	storetest.RunAnalytics(t, func(t *testing.T, ds *geo.Dataset) geo.AnalyticsStore { return pgtest.NewStore(t, ds) })
}

// TestItemsSimplified: PostGIS does simplify (the contract allows a store
// to return geometries whole): at 0.5° the Turkish border of the fixture
// loses its middle position, 0.26° off the line between its ends, and keeps
// it at 0.1°.
func TestItemsSimplified(t *testing.T) {
	st := pgtest.NewStore(t, storetest.Fixture())
	for tol, want := range map[float64]int{0.5: 2, 0.1: 3} {
		page, err := st.Items(context.Background(), "border", geo.Query{Simplify: tol})
		if err != nil {
			t.Fatal(err)
		}
		found := false
		for _, f := range page.Features {
			if f.ID != "border-Turkey" {
				continue
			}
			found = true
			if ls, ok := f.Geometry.(orb.LineString); !ok || len(ls) != want {
				t.Errorf("Simplify %g: %s is %v, want a line of %d positions", tol, f.ID, f.Geometry, want)
			}
		}
		if !found {
			t.Errorf("Simplify %g: no border-Turkey among %d features", tol, len(page.Features))
		}
	}
}

// TestItemsOnlyProperties: PostGIS does send only the properties named
// (the contract allows a store to send them all), and no sources: each
// feature comes with the named properties it has that are not null, with
// their values as the whole feature has them (numbers, booleans, objects
// with nulls inside), whatever their names; naming none gives an empty map.
func TestItemsOnlyProperties(t *testing.T) {
	ds := storetest.Fixture()
	facilities := ds.Features["facilities"]
	for i := range facilities {
		p := maps.Clone(facilities[i].Properties)
		switch i % 3 {
		case 0:
			p["note"] = nil
			p["odd name ' \" -> $1"] = 1.5
		case 1:
			p["note"] = "a note"
			p["detail"] = map[string]any{"a": nil, "b": []any{true, 2.0, nil}}
		}
		facilities[i].Properties = p
	}
	st := pgtest.NewStore(t, ds)
	ctx := context.Background()
	full, err := st.Items(ctx, "facilities", geo.Query{})
	if err != nil || len(full.Features) == 0 {
		t.Fatalf("%v, %d features", err, len(full.Features))
	}
	names := []string{"controller", "note", "detail", "odd name ' \" -> $1", "missing"}
	page, err := st.Items(ctx, "facilities", geo.Query{Properties: names})
	if err != nil || len(page.Features) != len(full.Features) {
		t.Fatalf("%v, %d features, want %d", err, len(page.Features), len(full.Features))
	}
	seen := map[string]bool{}
	for i, f := range page.Features {
		whole := full.Features[i]
		want := map[string]any{}
		for _, n := range names {
			if v, ok := whole.Properties[n]; ok && v != nil {
				want[n] = v
				seen[n] = true
			}
		}
		if f.ID != whole.ID || !reflect.DeepEqual(f.Properties, want) || f.Sources != nil {
			t.Errorf("%s: properties %v, sources %v; want %v and no sources", f.ID, f.Properties, f.Sources, want)
		}
	}
	if len(seen) != 4 {
		t.Errorf("the fixture gave values of %v only: the test checks too little", seen)
	}
	none, err := st.Items(ctx, "facilities", geo.Query{Properties: []string{}})
	if err != nil || len(none.Features) != len(full.Features) {
		t.Fatalf("%v, %d features", err, len(none.Features))
	}
	for _, f := range none.Features {
		if f.Properties == nil || len(f.Properties) != 0 {
			t.Errorf("%s: properties %#v, want an empty map", f.ID, f.Properties)
		}
	}
}

// TestItemsUncountedNumber: an uncounted page that ends before its limit
// still says how many matched (it holds the last of them); a full one is
// not counted (geo.Query.Uncounted).
func TestItemsUncountedNumber(t *testing.T) {
	st := pgtest.NewStore(t, storetest.Fixture())
	ctx := context.Background()
	for _, tc := range []struct {
		q    geo.Query
		want int
	}{
		{geo.Query{Limit: 100, Uncounted: true}, 25},
		{geo.Query{Limit: 10, Offset: 20, Uncounted: true}, 25},
		{geo.Query{Limit: 10, Uncounted: true}, 0},
		{geo.Query{Limit: 10}, 25},
	} {
		page, err := st.Items(ctx, "villages", tc.q)
		if err != nil {
			t.Fatal(err)
		}
		if page.NumberMatched != tc.want {
			t.Errorf("%+v: NumberMatched %d, want %d", tc.q, page.NumberMatched, tc.want)
		}
	}
}
