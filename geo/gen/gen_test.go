package gen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/gen"
	"github.com/paulmach/orb"
)

// small is a dataset small enough to generate, write and load in a test.
func small() gen.Options {
	return gen.Options{Polygons: 60, MinVertices: 50, MaxVertices: 400, Points: 500, Facilities: 12, Events: 7}
}

// readDir returns every file of dir by name.
func readDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		files[e.Name()] = b
	}
	return files
}

func write(t *testing.T, seed int64, o gen.Options) (string, *geo.Dataset) {
	t.Helper()
	ds := gen.Scale(seed, o)
	dir := t.TempDir()
	if err := gen.WriteDir(dir, ds); err != nil {
		t.Fatal(err)
	}
	return dir, ds
}

func TestScaleIsDeterministic(t *testing.T) {
	dirA, dsA := write(t, 7, small())
	dirB, dsB := write(t, 7, small())
	a, b := readDir(t, dirA), readDir(t, dirB)
	if len(a) != 5 {
		t.Fatalf("wrote %d files, want catalog.json and 4 collections", len(a))
	}
	for name := range a {
		if !bytes.Equal(a[name], b[name]) {
			t.Errorf("%s differs between two runs with seed 7", name)
		}
	}
	if dsA.Digest != dsB.Digest {
		t.Errorf("digest %s then %s for the same seed", dsA.Digest, dsB.Digest)
	}

	dirC, dsC := write(t, 8, small())
	c := readDir(t, dirC)
	for _, name := range []string{"areas.geojson", "points.geojson", "facilities.geojson", "events.geojson"} {
		if bytes.Equal(a[name], c[name]) {
			t.Errorf("%s is the same for seeds 7 and 8", name)
		}
	}
	if dsA.Digest == dsC.Digest {
		t.Errorf("seeds 7 and 8 share digest %s", dsA.Digest)
	}
}

// TestCollectionsAreIndependent checks that each collection draws from its
// own stream: more points leave the polygons as they were.
func TestCollectionsAreIndependent(t *testing.T) {
	o := small()
	a := gen.Scale(3, o)
	o.Points *= 2
	b := gen.Scale(3, o)
	for _, id := range []string{gen.Areas, gen.Facilities, gen.Events} {
		if !reflect.DeepEqual(a.Features[id], b.Features[id]) {
			t.Errorf("%s changed when only the number of points did", id)
		}
	}
}

func TestWriteDirLoads(t *testing.T) {
	dir, ds := write(t, 1, small())
	loaded, err := geo.LoadDir(os.DirFS(dir))
	if err != nil {
		t.Fatalf("geo.LoadDir rejects the generated folder: %v", err)
	}
	if len(loaded.Collections) != len(ds.Collections) {
		t.Fatalf("loaded %d collections, generated %d", len(loaded.Collections), len(ds.Collections))
	}
	for i, c := range ds.Collections {
		t.Run(c.ID, func(t *testing.T) {
			lc := loaded.Collections[i]
			if lc.ID != c.ID || lc.Count != c.Count || lc.Extent != c.Extent || !reflect.DeepEqual(lc.Properties, c.Properties) {
				t.Errorf("loaded collection %s: count %d extent %v properties %v; generated %s: %d %v %v",
					lc.ID, lc.Count, lc.Extent, lc.Properties, c.ID, c.Count, c.Extent, c.Properties)
			}
			got, want := loaded.Features[c.ID], ds.Features[c.ID]
			if len(got) != len(want) {
				t.Fatalf("loaded %d features, generated %d", len(got), len(want))
			}
			for j := range want {
				if !reflect.DeepEqual(got[j], want[j]) {
					t.Fatalf("feature %d differs after a round trip through the file:\n got %+v\nwant %+v", j, got[j], want[j])
				}
			}
		})
	}
}

func TestScaleCountsAndRanges(t *testing.T) {
	def := gen.DefaultOptions()
	tests := []struct {
		name string
		seed int64
		opts gen.Options
	}{
		{"small", 1, small()},
		{"one version each", 2, gen.Options{Polygons: 20, MinVertices: 3, MaxVertices: 10, Points: 50, Facilities: 5, Events: 3, MaxVersions: 1}},
		{"many versions, few dates", 3, gen.Options{Polygons: 40, MinVertices: 200, MaxVertices: 200, Points: 300, Facilities: 4, Events: 2, MaxVersions: 8, ChangeDates: 3}},
		{"elsewhere", 4, gen.Options{Polygons: 30, Points: 100, Facilities: 3, Events: 1, MinVertices: 20, MaxVertices: 2000,
			Bound: orb.Bound{Min: orb.Point{-75, -55}, Max: orb.Point{-60, -40}},
			Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2020, 1, 5, 0, 0, 0, 0, time.UTC), ChangeDates: 3}},
		{"no points", 5, gen.Options{Polygons: 5, MinVertices: 10, MaxVertices: 20, Points: -1, Facilities: 2, Events: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ds := gen.Scale(tt.seed, tt.opts)
			o := tt.opts
			if o.Bound == (orb.Bound{}) {
				o.Bound = def.Bound
			}
			if o.Start.IsZero() {
				o.Start, o.End = def.Start, def.End
			}
			if o.MaxVersions == 0 {
				o.MaxVersions = def.MaxVersions
			}
			checkDataset(t, ds, o)
		})
	}
}

// TestDefaultScale generates the full dataset of issue 6 (a few seconds).
func TestDefaultScale(t *testing.T) {
	if testing.Short() {
		t.Skip("skipped with -short: generating 100,000 points and 2,000 large polygons takes a few seconds")
	}
	o := gen.DefaultOptions()
	if o.Polygons < 2000 || o.MinVertices != 200 || o.MaxVertices != 2000 || o.Points != 100_000 || o.Facilities != 50 ||
		o.Bound != (orb.Bound{Min: orb.Point{35.5, 32.3}, Max: orb.Point{42.5, 37.4}}) ||
		!o.Start.Equal(time.Date(2025, 10, 1, 0, 0, 0, 0, time.UTC)) || !o.End.Equal(time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Fatalf("DefaultOptions %+v do not match issue 6", o)
	}
	checkDataset(t, gen.Scale(1, gen.Options{}), o)
}

// checkDataset checks counts, ranges, validity and versions against o, whose
// counts are as passed to Scale (negative: none) and whose bound, period and
// MaxVersions are filled in.
func checkDataset(t *testing.T, ds *geo.Dataset, o gen.Options) {
	t.Helper()
	def := gen.DefaultOptions()
	want := func(n, d int) int {
		switch {
		case n < 0:
			return 0
		case n == 0:
			return d
		}
		return n
	}
	minV, maxV := o.MinVertices, o.MaxVertices
	if minV == 0 {
		minV = def.MinVertices
	}
	if maxV == 0 {
		maxV = max(def.MaxVertices, minV)
	}

	var ids []string
	for _, c := range ds.Collections {
		ids = append(ids, c.ID)
		if c.Count != len(ds.Features[c.ID]) {
			t.Errorf("%s: Count %d, %d features", c.ID, c.Count, len(ds.Features[c.ID]))
		}
	}
	if got := strings.Join(ids, ","); got != "facilities,areas,points,events" {
		t.Fatalf("collections %s", got)
	}
	if n := len(ds.Features[gen.Areas]); n != want(o.Polygons, def.Polygons) {
		t.Errorf("%d polygons, want %d", n, want(o.Polygons, def.Polygons))
	}
	if n := len(ds.Features[gen.Points]); n != want(o.Points, def.Points) {
		t.Errorf("%d points, want %d", n, want(o.Points, def.Points))
	}
	if n := len(ds.Features[gen.Events]); n != want(o.Events, def.Events) {
		t.Errorf("%d events, want %d", n, want(o.Events, def.Events))
	}
	sites := map[string]bool{}
	for _, f := range ds.Features[gen.Facilities] {
		sites[f.Thing] = true
	}
	if len(sites) != want(o.Facilities, def.Facilities) {
		t.Errorf("%d facility sites, want %d", len(sites), want(o.Facilities, def.Facilities))
	}

	inBound := func(p orb.Point) bool {
		const tol = 1e-9
		return p[0] >= o.Bound.Min[0]-tol && p[0] <= o.Bound.Max[0]+tol && p[1] >= o.Bound.Min[1]-tol && p[1] <= o.Bound.Max[1]+tol
	}
	for _, c := range ds.Collections {
		feats := ds.Features[c.ID]
		if !sort.SliceIsSorted(feats, func(i, j int) bool { return feats[i].ID < feats[j].ID }) {
			t.Errorf("%s: features not sorted by id", c.ID)
		}
		for _, f := range feats {
			if err := geo.ValidateGeometry(f.Geometry, c.GeometryType); err != nil {
				t.Fatalf("%s %s: %v", c.ID, f.ID, err)
			}
			if c.ID == gen.Areas {
				ring := f.Geometry.(orb.Polygon)[0]
				if n := len(ring) - 1; n < minV || n > maxV {
					t.Errorf("%s: %d vertices, want %d..%d", f.ID, n, minV, maxV)
				}
				if orb.Ring(ring).Orientation() != orb.CCW {
					t.Errorf("%s: exterior ring is not counter-clockwise", f.ID)
				}
				for _, p := range ring {
					if !inBound(p) {
						t.Fatalf("%s: vertex %v outside %v", f.ID, p, o.Bound)
					}
				}
			} else if p := f.Geometry.(orb.Point); !inBound(p) {
				t.Errorf("%s: %v outside %v", f.ID, p, o.Bound)
			}
			if f.Valid.Start.Before(o.Start) || f.Valid.End.After(o.End) || f.Valid.Start.IsZero() || f.Valid.End.IsZero() {
				t.Errorf("%s: validity %s outside %s..%s", f.ID, f.Valid, o.Start, o.End)
			}
			if c.ID == gen.Events && !f.Valid.IsInstant() {
				t.Errorf("%s: event validity %s is not an instant", f.ID, f.Valid)
			}
			if len(f.Sources) == 0 || f.Sources[0].Publisher != gen.Publisher {
				t.Errorf("%s: sources %v", f.ID, f.Sources)
			}
			for _, p := range c.Required {
				if _, ok := f.Properties[p]; !ok {
					t.Errorf("%s: required property %q missing", f.ID, p)
				}
			}
		}
		checkVersions(t, c, feats, o)
	}
}

// checkVersions checks that the versions of each thing do not overlap and,
// in the group-keyed collections, cover the period without gaps, with a
// different controller from one version to the next and at most MaxVersions.
func checkVersions(t *testing.T, c geo.Collection, feats []geo.Feature, o gen.Options) {
	t.Helper()
	if ov := geo.Overlaps(feats); len(ov) > 0 {
		t.Errorf("%s: overlapping versions %v", c.ID, ov)
	}
	if c.GroupKey == "" {
		return
	}
	byThing := map[string][]geo.Feature{}
	for _, f := range feats {
		if f.Thing == "" || f.Properties[c.GroupKey] != f.Thing {
			t.Fatalf("%s: thing %q, %s %v", f.ID, f.Thing, c.GroupKey, f.Properties[c.GroupKey])
		}
		byThing[f.Thing] = append(byThing[f.Thing], f)
	}
	for thing, vs := range byThing {
		sort.Slice(vs, func(i, j int) bool { return vs[i].Valid.Start.Before(vs[j].Valid.Start) })
		if len(vs) > o.MaxVersions {
			t.Errorf("%s: %d versions, at most %d", thing, len(vs), o.MaxVersions)
		}
		if !vs[0].Valid.Start.Equal(o.Start) {
			t.Errorf("%s: first version starts %s, not %s", thing, vs[0].Valid.Start, o.Start)
		}
		for i := 1; i < len(vs); i++ {
			if !vs[i].Valid.Start.Equal(vs[i-1].Valid.End) {
				t.Errorf("%s: gap or overlap between %s and %s", thing, vs[i-1].Valid, vs[i].Valid)
			}
			if vs[i].Properties["controller"] == vs[i-1].Properties["controller"] {
				t.Errorf("%s: versions %s and %s share controller %v", thing, vs[i-1].ID, vs[i].ID, vs[i].Properties["controller"])
			}
		}
		if end := vs[len(vs)-1].Valid.End; !end.Equal(o.End) {
			t.Errorf("%s: last version ends %s, not %s", thing, end, o.End)
		}
	}
}
