package postgis_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// openStore opens a store on dbURL, closed when the test ends.
func openStore(t *testing.T, dbURL string) *postgis.Store {
	t.Helper()
	st, err := postgis.Open(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	return st
}

// assertSameFeatures checks that got and want hold equal features in the same
// order, comparing every field; the encoded properties (PropertiesJSON and
// its tail, whole) only where both have one (stores encode for different
// calls).
func assertSameFeatures(t *testing.T, label string, got, want []geo.Feature) {
	t.Helper()
	if ids(got) != ids(want) {
		t.Errorf("%s: ids\n got %s\nwant %s", label, ids(got), ids(want))
		return
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Valid.Start.Equal(w.Valid.Start) || !g.Valid.End.Equal(w.Valid.End) {
			t.Errorf("%s: %s: validity %v, want %v", label, g.ID, g.Valid, w.Valid)
		}
		if ge, we := storetest.EncodedProperties(g), storetest.EncodedProperties(w); ge != nil && we != nil && !bytes.Equal(ge, we) {
			t.Errorf("%s: %s: encoded properties\n got %s\nwant %s", label, g.ID, ge, we)
		}
		g.Valid, w.Valid = geo.Interval{}, geo.Interval{}
		g.PropertiesJSON, w.PropertiesJSON = nil, nil
		g.PropertiesJSONTail, w.PropertiesJSONTail = nil, nil
		if !reflect.DeepEqual(g, w) {
			t.Errorf("%s: %s:\n got %#v\nwant %#v", label, g.ID, g, w)
		}
	}
}

func ids(fs []geo.Feature) string {
	s := make([]string, len(fs))
	for i, f := range fs {
		s[i] = f.ID
	}
	return strings.Join(s, ",")
}

// TestNotLocal: the PostGIS store waits on the database, which queues work
// itself; it must not claim to answer from memory, or the handlers would
// let only as many requests as there are processors wait on it at once.
func TestNotLocal(t *testing.T) {
	if _, ok := any((*postgis.Store)(nil)).(geo.LocalStore); ok {
		t.Error("*postgis.Store is a geo.LocalStore")
	}
}

// TestItemsAgreeWithMatch runs many queries against the import dataset and
// checks the answer against geo.Query.Match over the same features, with
// paging and the total. The time queries sit on and around every boundary,
// including events (instants) at the edges of half-open intervals.
func TestItemsAgreeWithMatch(t *testing.T) {
	ctx := context.Background()
	ds := mustLoad(t, baseFiles())
	st := pgtest.NewStore(t, ds)

	day := func(s string) geo.Interval {
		iv, err := geo.ParseDatetime(s)
		if err != nil {
			t.Fatal(err)
		}
		return iv
	}
	at := func(s string) time.Time {
		tm, _, err := geo.ParseTime(s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	escape := at("2026-01-19T22:30:00Z")
	us := time.Microsecond
	box := func(x0, y0, x1, y1 float64) *orb.Bound {
		return &orb.Bound{Min: orb.Point{x0, y0}, Max: orb.Point{x1, y1}}
	}
	queries := map[string]geo.Query{
		"all":                         {},
		"day before change":           {Time: day("2026-01-17")},
		"change day":                  {Time: day("2026-01-18")},
		"day of escape":               {Time: day("2026-01-19")},
		"ceasefire day":               {Time: day("2026-01-20")},
		"open start":                  {Time: day("../2026-01-18")},
		"open end":                    {Time: day("2026-01-21/..")},
		"interval":                    {Time: day("2026-01-18/2026-01-20")},
		"escape instant":              {Time: day("2026-01-19T22:30:00Z")},
		"ends at escape":              {Time: geo.Interval{Start: escape.Add(-time.Hour), End: escape}},
		"starts at escape":            {Time: geo.Interval{Start: escape, End: escape.Add(time.Hour)}},
		"ends just after escape":      {Time: geo.Interval{End: escape.Add(us)}},
		"starts just after escape":    {Time: geo.Interval{Start: escape.Add(us)}},
		"instant query at escape":     {Time: geo.Instant(escape)},
		"instant query at change":     {Time: geo.Instant(at("2026-01-21"))},
		"instant query before change": {Time: geo.Instant(at("2026-01-21").Add(-us))},
		"bbox around hol":             {BBox: box(41, 36, 41.2, 36.5)},
		"bbox inside the square":      {BBox: box(40.4, 36.4, 40.6, 36.6)},
		"bbox touching square edge":   {BBox: box(39, 36.5, 40, 36.6)},
		"bbox point on the border":    {BBox: box(41.5, 36.6, 41.5, 36.6)},
		"bbox point at hol":           {BBox: box(41.1486, 36.3756, 41.1486, 36.3756)},
		"bbox line through square":    {BBox: box(39, 36.5, 45, 36.5)},
		"bbox far away":               {BBox: box(10, 10, 11, 11)},
		"controller sdf":              {Filters: map[string]string{"controller": "sdf"}},
		"number as text":              {Filters: map[string]string{"population": "24000"}},
		"bool as text":                {Filters: map[string]string{"estimated": "true"}},
		"missing property":            {Filters: map[string]string{"nope": "x"}},
		"two filters":                 {Filters: map[string]string{"controller": "sdf", "status": "besieged"}},
		"hostile filter":              {Filters: map[string]string{"controller') OR true --": "x' OR '1'='1"}},
		"everything":                  {BBox: box(40, 35, 43, 38), Time: day("2026-01-18/2026-01-21"), Filters: map[string]string{"controller": "sdf"}},
	}
	pages := []struct{ limit, offset int }{{0, 0}, {1, 0}, {2, 1}, {3, 2}, {10, 0}, {1, 50}}
	for name, q := range queries {
		for _, col := range []string{"sites", "zones", "events", "lines"} {
			var all []geo.Feature
			for _, f := range ds.Features[col] {
				if q.Match(f) {
					all = append(all, f)
				}
			}
			for _, p := range pages {
				q := q
				q.Limit, q.Offset = p.limit, p.offset
				label := fmt.Sprintf("%s/%s/limit=%d,offset=%d", name, col, p.limit, p.offset)
				page, err := st.Items(ctx, col, q)
				if err != nil {
					t.Fatalf("%s: %v", label, err)
				}
				if page.NumberMatched != len(all) {
					t.Errorf("%s: NumberMatched = %d, want %d", label, page.NumberMatched, len(all))
				}
				assertSameFeatures(t, label, page.Features, pageOf(all, p.limit, p.offset))
			}
		}
	}
}

func pageOf(fs []geo.Feature, limit, offset int) []geo.Feature {
	if offset > len(fs) {
		offset = len(fs)
	}
	fs = fs[offset:]
	if limit > 0 && limit < len(fs) {
		fs = fs[:limit]
	}
	return fs
}

func TestCollectionsMatchSummarize(t *testing.T) {
	ctx := context.Background()
	files := baseFiles()
	// An empty collection has an empty extent and no properties.
	files["events.geojson"].Data = []byte(fc())
	ds := mustLoad(t, files)
	st := pgtest.NewStore(t, ds)
	got, err := st.Collections(ctx)
	if err != nil {
		t.Fatal(err)
	}
	assertSameCollections(t, got, ds.Collections)
	for _, want := range ds.Collections {
		c, err := st.Collection(ctx, want.ID)
		if err != nil {
			t.Fatal(err)
		}
		assertSameCollections(t, []geo.Collection{c}, []geo.Collection{want})
	}
}

// assertSameCollections compares every field, times with Equal.
func assertSameCollections(t *testing.T, got, want []geo.Collection) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d collections, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := got[i], want[i]
		if !g.Extent.Time.Start.Equal(w.Extent.Time.Start) || !g.Extent.Time.End.Equal(w.Extent.Time.End) {
			t.Errorf("%s: time extent %v, want %v", w.ID, g.Extent.Time, w.Extent.Time)
		}
		g.Extent.Time, w.Extent.Time = geo.Interval{}, geo.Interval{}
		if !reflect.DeepEqual(g, w) {
			t.Errorf("collection %d:\n got %#v\nwant %#v", i, g, w)
		}
	}
}

func TestNotFound(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t, mustLoad(t, baseFiles()))
	checks := map[string]func() error{
		"collection": func() error { _, err := st.Collection(ctx, "nope"); return err },
		"items":      func() error { _, err := st.Items(ctx, "nope", geo.Query{}); return err },
		"items with filters": func() error {
			_, err := st.Items(ctx, "nope", geo.Query{Filters: map[string]string{"a": "b"}, Offset: 3})
			return err
		},
		"item of missing collection": func() error { _, err := st.Item(ctx, "nope", "hol-1"); return err },
		"missing item":               func() error { _, err := st.Item(ctx, "sites", "nope"); return err },
		"item of another collection": func() error { _, err := st.Item(ctx, "zones", "hol-1"); return err },
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) {
			if err := check(); !errors.Is(err, geo.ErrNotFound) {
				t.Errorf("err = %v, want geo.ErrNotFound", err)
			}
		})
	}
	// An existing collection with no match is an empty page, not an error.
	page, err := st.Items(ctx, "sites", geo.Query{Filters: map[string]string{"controller": "nobody"}})
	if err != nil || len(page.Features) != 0 || page.NumberMatched != 0 {
		t.Errorf("no match: page %+v, err %v; want an empty page", page, err)
	}
}

func TestUnavailable(t *testing.T) {
	ctx := context.Background()
	// Nothing listens on port 1; Open runs nothing, so it succeeds.
	st, err := postgis.Open(ctx, "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=5")
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	checks := map[string]func() error{
		"ping":        func() error { return st.Ping(ctx) },
		"version":     func() error { _, err := st.Version(ctx); return err },
		"collections": func() error { _, err := st.Collections(ctx); return err },
		"collection":  func() error { _, err := st.Collection(ctx, "sites"); return err },
		"items":       func() error { _, err := st.Items(ctx, "sites", geo.Query{}); return err },
		"item":        func() error { _, err := st.Item(ctx, "sites", "hol-1"); return err },
		"migrate": func() error {
			return postgis.Migrate(ctx, "postgres://postgres@127.0.0.1:1/x?sslmode=disable&connect_timeout=5")
		},
	}
	for name, check := range checks {
		t.Run(name, func(t *testing.T) {
			err := check()
			if !errors.Is(err, geo.ErrUnavailable) {
				t.Errorf("err = %v, want geo.ErrUnavailable", err)
			}
			if errors.Is(err, geo.ErrNotFound) {
				t.Errorf("err = %v also matches geo.ErrNotFound", err)
			}
		})
	}
	if _, err := postgis.Open(ctx, "postgres://bad url"); err == nil {
		t.Error("Open accepted a malformed URL")
	}
}

func TestPingAndVersion(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	st := openStore(t, dbURL)
	if err := st.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	v0, err := st.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	v1, err := st.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if v1 == v0 {
		t.Errorf("version stayed %s after an import", v1)
	}
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	if v2, _ := st.Version(ctx); v2 != v1 {
		t.Errorf("version %s became %s after importing the same data", v1, v2)
	}
}

// TestChangeNotification checks that a committed change is announced on
// controlmap_changes with the new data version, once per changing statement,
// and that a statement changing nothing is silent.
func TestChangeNotification(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	listener, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer listener.Close(ctx)
	if _, err := listener.Exec(ctx, "LISTEN controlmap_changes"); err != nil {
		t.Fatal(err)
	}
	if err := exec(t, dbURL, `UPDATE features SET props = props WHERE false`); err != nil {
		t.Fatal(err)
	}
	if err := exec(t, dbURL, `DELETE FROM features WHERE collection = 'events' AND id = 'ceasefire'`); err != nil {
		t.Fatal(err)
	}
	st := openStore(t, dbURL)
	version, err := st.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The DELETE is the only change: the notification for it is the first
	// one and names the version now served.
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	n, err := listener.WaitForNotification(wctx)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf(`{"table" : "features", "op" : "DELETE", "version" : %s}`, version)
	if n.Channel != "controlmap_changes" || n.Payload != want {
		t.Errorf("notification %s %s, want controlmap_changes %s", n.Channel, n.Payload, want)
	}
}

// TestExclusionConstraint checks the database itself refuses overlapping
// versions of one thing however they are written, and allows the same
// validity for different things or for rows without a thing.
func TestExclusionConstraint(t *testing.T) {
	dbURL := pgtest.NewDB(t)
	if err := exec(t, dbURL, `INSERT INTO collections VALUES ('c', 0, '{"id": "c"}')`); err != nil {
		t.Fatal(err)
	}
	insert := `INSERT INTO features (collection, id, thing, geom, props, sources, valid)
		VALUES ('c', $1, $2, 'SRID=4326;POINT(40 36)', '{}', '[]', controlmap_validity($3, $4))`
	day := func(s string) *time.Time {
		tm, err := time.Parse("2006-01-02", s)
		if err != nil {
			t.Fatal(err)
		}
		return &tm
	}
	ok := []struct {
		id    string
		thing any
		from  *time.Time
		to    *time.Time
	}{
		{"a1", "a", nil, day("2026-01-18")},
		{"a2", "a", day("2026-01-18"), day("2026-01-21")},
		{"a3", "a", day("2026-01-21"), nil},
		{"b1", "b", nil, nil},
		{"n1", nil, nil, nil},
		{"n2", nil, nil, nil},
	}
	for _, r := range ok {
		if err := exec(t, dbURL, insert, r.id, r.thing, r.from, r.to); err != nil {
			t.Fatalf("insert %s: %v", r.id, err)
		}
	}
	for _, r := range []struct {
		id       string
		from, to *time.Time
	}{
		{"a4", day("2026-01-20"), day("2026-01-20")}, // an instant inside a2
		{"a5", day("2026-01-17"), day("2026-01-19")},
		{"a6", nil, nil},
	} {
		err := exec(t, dbURL, insert, r.id, "a", r.from, r.to)
		if err == nil || !strings.Contains(err.Error(), "features_versions_do_not_overlap") {
			t.Errorf("insert %s: err = %v, want the exclusion constraint", r.id, err)
		}
	}
	// An instant at the exclusive end of a2 is the start of a3: overlaps a3.
	if err := exec(t, dbURL, insert, "a7", "a", day("2026-01-21"), day("2026-01-21")); err == nil {
		t.Error("an instant at the start of a3 was accepted")
	}
}

func TestMigrateIsIdempotent(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t) // migrated once already
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	before := takeSnapshot(t, dbURL)
	for range 2 {
		if err := postgis.Migrate(ctx, dbURL); err != nil {
			t.Fatal(err)
		}
	}
	if after := takeSnapshot(t, dbURL); after != before {
		t.Errorf("migrating again changed the data")
	}
	assertMigrations(t, dbURL, "public")
}

// TestMigrateConcurrently runs two migrations at once against a fresh
// schema: the advisory lock makes one wait for the other, and each migration
// is applied once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	if err := exec(t, dbURL, "CREATE SCHEMA fresh"); err != nil {
		t.Fatal(err)
	}
	freshURL := dbURL + "&search_path=fresh,public"
	if !strings.Contains(dbURL, "?") {
		t.Fatalf("test database URL %s has no query to extend", dbURL)
	}
	errs := make(chan error, 2)
	for range 2 {
		go func() { errs <- postgis.Migrate(ctx, freshURL) }()
	}
	for range 2 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	assertMigrations(t, dbURL, "fresh")
}

// assertMigrations checks that schema_migrations in schema lists every
// migration once, and that the tables exist there.
func assertMigrations(t *testing.T, dbURL, schema string) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT name FROM "+pgx.Identifier{schema, "schema_migrations"}.Sanitize()+" ORDER BY version")
	if err != nil {
		t.Fatal(err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	if len(names) == 0 || names[0] != "0001_init.sql" {
		t.Errorf("schema_migrations in %s = %v, want 0001_init.sql first", schema, names)
	}
	if !sort.StringsAreSorted(names) {
		t.Errorf("schema_migrations in %s = %v, not in order", schema, names)
	}
	var tables int
	err = conn.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename IN ('collections', 'features', 'data_version')`, schema).Scan(&tables)
	if err != nil || tables != 3 {
		t.Errorf("tables in %s: %d, %v; want 3", schema, tables, err)
	}
}

// TestTextPostgreSQLCannotHold checks that ids and filters with NUL or
// invalid UTF-8, which PostgreSQL refuses as text, are answered like any
// other value that matches nothing, never as a database error.
func TestTextPostgreSQLCannotHold(t *testing.T) {
	ctx := context.Background()
	st := pgtest.NewStore(t, mustLoad(t, baseFiles()))
	for _, bad := range []string{"a\x00b", "\xff\xfe", "sdf\x00"} {
		t.Run(fmt.Sprintf("%q", bad), func(t *testing.T) {
			if _, err := st.Collection(ctx, bad); !errors.Is(err, geo.ErrNotFound) {
				t.Errorf("Collection: err = %v, want geo.ErrNotFound", err)
			}
			if _, err := st.Items(ctx, bad, geo.Query{}); !errors.Is(err, geo.ErrNotFound) {
				t.Errorf("Items: err = %v, want geo.ErrNotFound", err)
			}
			if _, err := st.Item(ctx, "sites", bad); !errors.Is(err, geo.ErrNotFound) {
				t.Errorf("Item: err = %v, want geo.ErrNotFound", err)
			}
			for _, f := range []map[string]string{{"controller": bad}, {bad: "sdf"}} {
				page, err := st.Items(ctx, "sites", geo.Query{Filters: f})
				if err != nil || len(page.Features) != 0 || page.NumberMatched != 0 {
					t.Errorf("Items with filter %q: page %+v, err %v; want an empty page", f, page, err)
				}
				if _, err := st.Items(ctx, "nope", geo.Query{Filters: f}); !errors.Is(err, geo.ErrNotFound) {
					t.Errorf("Items of a missing collection with filter %q: err = %v, want geo.ErrNotFound", f, err)
				}
			}
		})
	}
}
