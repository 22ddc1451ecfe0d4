package postgis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// TestShippedDatasetSameAsMemory imports the shipped dataset (data/) into an
// empty database, as `controlmap import data/` does, and checks that the
// PostGIS store and the embedded (memory) store give the same answers:
// collections with their extents, counts and properties, and for every
// collection and a set of queries the same page (ids, geometry, properties,
// validity, sources) and total.
func TestShippedDatasetSameAsMemory(t *testing.T) {
	dir := os.DirFS("../../data")
	if _, err := fs.Stat(dir, geo.CatalogFile); errors.Is(err, fs.ErrNotExist) {
		t.Skip("SKIPPED: data/catalog.json does not exist yet, so there is no shipped dataset to compare")
	}
	ds, err := geo.LoadDir(dir)
	if err != nil {
		t.Fatalf("load data/: %v", err)
	}
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	res, err := postgis.Import(ctx, dbURL, ds)
	if err != nil {
		t.Fatalf("import data/: %v", err)
	}
	total := 0
	for _, fs := range ds.Features {
		total += len(fs)
	}
	if res.Inserted != total || res.Updated+res.Deleted+res.Unchanged != 0 {
		t.Errorf("import into an empty database = %+v, want %d inserted", res, total)
	}
	pg := openStore(t, dbURL)
	mem := memory.New(ds)

	wantCols, err := mem.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	gotCols, err := pg.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertSameCollections(t, gotCols, wantCols)

	datetime := func(s string) geo.Interval {
		iv, err := geo.ParseDatetime(s)
		if err != nil {
			t.Fatal(err)
		}
		return iv
	}
	queries := []struct {
		name string
		q    geo.Query
	}{
		{"no filter", geo.Query{}},
		{"datetime=2026-01-16", geo.Query{Time: datetime("2026-01-16")}},
		{"datetime=2026-01-19", geo.Query{Time: datetime("2026-01-19")}},
		{"datetime=2026-01-22", geo.Query{Time: datetime("2026-01-22")}},
		{"datetime=2026-02-03", geo.Query{Time: datetime("2026-02-03")}},
		{"datetime=2026-01-18/2026-01-21", geo.Query{Time: datetime("2026-01-18/2026-01-21")}},
		{"datetime=../2026-01-17", geo.Query{Time: datetime("../2026-01-17")}},
		{"datetime=2026-02-01/..", geo.Query{Time: datetime("2026-02-01/..")}},
		{"datetime=2026-01-21T00:00:00Z", geo.Query{Time: datetime("2026-01-21T00:00:00Z")}},
		{"bbox=40.5,36,41.5,36.8 (Hasakah)", geo.Query{BBox: &orb.Bound{Min: orb.Point{40.5, 36}, Max: orb.Point{41.5, 36.8}}}},
		{"bbox=41,36.3,41.3,36.5 (al-Hol)", geo.Query{BBox: &orb.Bound{Min: orb.Point{41, 36.3}, Max: orb.Point{41.3, 36.5}}}},
		{"controller=sdf", geo.Query{Filters: map[string]string{"controller": "sdf"}}},
		{"controller=sdf&datetime=2026-01-19", geo.Query{Filters: map[string]string{"controller": "sdf"}, Time: datetime("2026-01-19")}},
		{"limit=3&offset=2", geo.Query{Limit: 3, Offset: 2}},
		{"limit=3&offset=10000", geo.Query{Limit: 3, Offset: 10000}},
	}
	matched := make([]int, len(queries))
	for _, col := range wantCols {
		for i, qq := range queries {
			label := fmt.Sprintf("%s?%s", col.ID, qq.name)
			want, err := mem.Items(ctx, col.ID, qq.q)
			if err != nil {
				t.Fatalf("%s: memory: %v", label, err)
			}
			got, err := pg.Items(ctx, col.ID, qq.q)
			if err != nil {
				t.Fatalf("%s: postgis: %v", label, err)
			}
			if got.NumberMatched != want.NumberMatched {
				t.Errorf("%s: NumberMatched %d, memory says %d", label, got.NumberMatched, want.NumberMatched)
			}
			assertSameFeatures(t, label, got.Features, want.Features)
			matched[i] += got.NumberMatched
			// With encoded properties: the same bytes from both stores'
			// encodings (Import's and the memory store's at load).
			q := qq.q
			q.EncodedProperties = true
			wantEnc, err1 := mem.Items(ctx, col.ID, q)
			gotEnc, err2 := pg.Items(ctx, col.ID, q)
			if err1 != nil || err2 != nil {
				t.Fatalf("%s with encoded properties: %v, %v", label, err1, err2)
			}
			if ids(gotEnc.Features) != ids(want.Features) || gotEnc.NumberMatched != want.NumberMatched {
				t.Errorf("%s with encoded properties: ids %s (%d), want %s (%d)", label, ids(gotEnc.Features), gotEnc.NumberMatched, ids(want.Features), want.NumberMatched)
				continue
			}
			for j, g := range gotEnc.Features {
				ge, we := storetest.EncodedProperties(g), storetest.EncodedProperties(wantEnc.Features[j])
				if ge == nil || !bytes.Equal(ge, we) {
					t.Errorf("%s: %s: encoded properties\n got %s\nwant %s", label, g.ID, ge, we)
				}
			}
		}
		for _, f := range ds.Features[col.ID] {
			got, err := pg.Item(ctx, col.ID, f.ID)
			if err != nil {
				t.Fatalf("%s/%s: %v", col.ID, f.ID, err)
			}
			assertSameFeatures(t, col.ID+"/"+f.ID, []geo.Feature{got}, []geo.Feature{f})
		}
	}
	// A comparison of empty answers would prove nothing.
	for i, qq := range queries {
		if matched[i] == 0 {
			t.Errorf("%s matched no feature in any collection: the comparison is vacuous", qq.name)
		}
	}
}
