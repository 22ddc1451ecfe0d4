package postgis_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// TestWholePage: the first page of points in a bbox that holds every match is read
// unordered and sorted here, in byte order as PostgreSQL's COLLATE "C"
// sorts, with its number; one with more matches than its limit is read in
// order. Whether the store tries the unordered read follows the share of
// recent pages that held every match: two pages in a row that did not
// stop it, pages read in order that would have held every match bring it
// back. Each page is the same either way.
func TestWholePage(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	files := baseFiles()
	// Ids whose byte order is not the order of their places (nor of their
	// insertion), upper case before lower.
	names := []string{"m", "B", "z", "a", "Q", "c", "k", "A", "y", "b", "x", "D"}
	var fs []string
	for i, n := range names {
		fs = append(fs, feature(n, point(40+float64(i)/10, 36+float64((i*7)%12)/10), `"site": "s-`+n+`", "controller": "sdf", "valid_from": null, "valid_to": null`))
	}
	files["sites.geojson"].Data = []byte(fc(fs...))
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, files)); err != nil {
		t.Fatal(err)
	}
	// Rewritten rows go to the end of the table and of the index's page:
	// the order PostgreSQL finds them in is then not the ids'.
	if err := exec(t, dbURL, `UPDATE features SET geom = geom WHERE collection = 'sites' AND id IN ('A', 'B', 'a')`); err != nil {
		t.Fatal(err)
	}
	// Pages of points only (countsApart), which the store knows from the
	// catalogue at the version the change feed announced.
	st := runStore(t, dbURL, postgis.Options{})
	eventually(t, 10*time.Second, "change feed connected", st.LiveForTest)
	if _, err := st.Collections(ctx); err != nil {
		t.Fatal(err)
	}
	sorted := slices.Clone(names)
	slices.Sort(sorted) // byte order
	box := &orb.Bound{Min: orb.Point{39, 35}, Max: orb.Point{42, 38}}
	page := func(limit int) geo.Page {
		t.Helper()
		p, err := st.Items(ctx, "sites", geo.Query{BBox: box, Limit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if want := strings.Join(sorted[:min(limit, len(sorted))], ","); ids(p.Features) != want || p.NumberMatched != len(names) {
			t.Fatalf("limit %d: %s (%d matched), want %s (%d)", limit, ids(p.Features), p.NumberMatched, want, len(names))
		}
		return p
	}
	share := func(step string, want int32) {
		t.Helper()
		if got := st.FitShareForTest("sites"); got != want {
			t.Errorf("%s: share %d, want %d", step, got, want)
		}
	}
	whole := page(20) // unordered, every match, sorted here
	share("a page that holds every match", 100)
	page(5) // more than the limit: tried, then read in order
	share("one page that did not", 50)
	page(5)
	share("two pages that did not", 25)
	// Not tried now: read in order, the page is full (12 of 12), which a
	// page read in order cannot tell from one with more matches.
	page(12)
	share("a full page read in order", 12)
	ordered := page(20) // read in order; it would have held every match
	share("a page read in order that held every match", 56)
	assertSameFeatures(t, "the same page read in order", ordered.Features, whole.Features)
	page(12) // tried again: 12 matches fit a limit of 12
	share("tried again", 78)

	// A page is read into one slice sized from the collection's last page
	// with a limit: after a page of 3, a page of 12 outgrows it and comes
	// whole all the same.
	rows := func(step string, want int) {
		t.Helper()
		if got, ok := st.PageRowsForTest("sites"); !ok || got != want {
			t.Errorf("%s: rows of the last page %d (kept %v), want %d", step, got, ok, want)
		}
	}
	rows("after a page of 12", 12)
	page(3)
	rows("after a page of 3", 3)
	assertSameFeatures(t, "a page larger than the last", page(20).Features, whole.Features)
	rows("after it", 12)

	// Areas are not tried: their pages are read as before (and mostly
	// with Known, in two statements).
	for range 3 {
		if _, err := st.Items(ctx, "zones", geo.Query{BBox: box, Limit: 1}); err != nil {
			t.Fatal(err)
		}
	}

	// An empty page, in a collection and in none.
	far := &orb.Bound{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}}
	if p, err := st.Items(ctx, "sites", geo.Query{BBox: far, Limit: 10}); err != nil || len(p.Features) != 0 || p.NumberMatched != 0 {
		t.Errorf("no match: %d features, %d matched, %v", len(p.Features), p.NumberMatched, err)
	}
	if _, err := st.Items(ctx, "nowhere", geo.Query{BBox: far, Limit: 10}); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("a collection that does not exist: %v", err)
	}
	if _, ok := st.PageRowsForTest("nowhere"); ok {
		t.Error("rows kept for a collection that does not exist")
	}
	// Neither the areas nor a name of no collection were tried or measured.
	if got := st.FitSharesForTest(); !slices.Equal(got, []string{"sites"}) {
		t.Errorf("shares kept for %v, want [sites]", got)
	}
}
