package postgis_test

import (
	"context"
	"slices"
	"testing"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// TestKnownPage: with geo.Query.Known the page is read in two statements,
// and a feature Known knows comes back with its collection and id alone;
// the others come back whole, as a page read in one has them. A feature of
// the first statement deleted before the second (here by Known itself,
// which runs between the two) makes the store read the page again in one
// statement, so the page holds what matches then.
func TestKnownPage(t *testing.T) {
	ctx := context.Background()
	dbURL := newImported(t)
	st := openStore(t, dbURL)
	q := geo.Query{EncodedProperties: true}
	whole, err := st.Items(ctx, "sites", q)
	if err != nil {
		t.Fatal(err)
	}
	var asked []string
	q.Known = func(id string) bool {
		asked = append(asked, id)
		return id == "hol-2" || id == "roj-1"
	}
	page, err := st.Items(ctx, "sites", q)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"hol-1", "hol-2", "hol-3", "roj-1"}; !slices.Equal(asked, want) {
		t.Errorf("Known asked about %v, want %v", asked, want)
	}
	if page.NumberMatched != whole.NumberMatched || len(page.Features) != len(whole.Features) {
		t.Fatalf("page of %d (%d matched), want %d (%d)", len(page.Features), page.NumberMatched, len(whole.Features), whole.NumberMatched)
	}
	for i, f := range page.Features {
		switch f.ID {
		case "hol-2", "roj-1":
			if f.Geometry != nil || f.PropertiesJSON != nil || f.Collection != "sites" {
				t.Errorf("known %s: %+v, want its collection and id alone", f.ID, f)
			}
		default:
			assertSameFeatures(t, "unknown "+f.ID, []geo.Feature{f}, whole.Features[i:i+1])
		}
	}

	// Every feature known: one statement, no geometry read.
	q.Known = func(string) bool { return true }
	page, err = st.Items(ctx, "sites", q)
	if err != nil || len(page.Features) != 4 || page.Features[0].Geometry != nil {
		t.Errorf("all known: %+v, %v", page, err)
	}

	// hol-3 is deleted between the two statements: the page is read again.
	readAgain(t, st, dbURL, q, `DELETE FROM features WHERE collection = 'sites' AND id = 'hol-3'`, "hol-1", "hol-1,hol-2,roj-1")
}

// TestKnownPageChanged: a feature of the first statement changed before
// the second so as not to match the query any more (moved out of the box
// asked) is not returned as it is then: the page is read again in one
// statement.
func TestKnownPageChanged(t *testing.T) {
	ctx := context.Background()
	dbURL := newImported(t)
	st := openStore(t, dbURL)
	q := geo.Query{BBox: &orb.Bound{Min: orb.Point{41, 36}, Max: orb.Point{42.1, 37.1}}, EncodedProperties: true}
	page, err := st.Items(ctx, "sites", q)
	if err != nil || ids(page.Features) != "hol-1,hol-2,hol-3,roj-1" {
		t.Fatalf("before: %s, %v; want hol-1,hol-2,hol-3,roj-1", ids(page.Features), err)
	}
	readAgain(t, st, dbURL, q, `UPDATE features SET geom = ST_SetSRID(ST_MakePoint(30, 30), 4326) WHERE collection = 'sites' AND id = 'hol-2'`, "roj-1", "hol-1,hol-3,roj-1")
}

// readAgain asks q of collection sites with a Known that knows the feature
// known and, when first asked (between the two statements), runs write on
// the database; the page must then be read again in one statement: the
// features want (ids joined by commas), each whole, as many matched.
func readAgain(t *testing.T, st *postgis.Store, dbURL string, q geo.Query, write, known, want string) {
	t.Helper()
	written := false
	q.Known = func(id string) bool {
		if !written {
			written = true
			if err := exec(t, dbURL, write); err != nil {
				t.Fatal(err)
			}
		}
		return id == known
	}
	page, err := st.Items(context.Background(), "sites", q)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(page.Features); got != want || page.NumberMatched != len(page.Features) {
		t.Errorf("after %s between the statements: %s (%d matched), want %s (as many)", write, got, page.NumberMatched, want)
	}
	for _, f := range page.Features {
		if f.Geometry == nil {
			t.Errorf("read again: %s has no geometry", f.ID)
		}
	}
}

// newImported is a database with baseFiles imported.
func newImported(t *testing.T) string {
	t.Helper()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(context.Background(), dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	return dbURL
}
