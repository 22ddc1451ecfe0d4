package postgis_test

import (
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// undoEncoding takes a database back to before migration 0003 (the rows
// Import wrote are the rows an older controlmap wrote, less props_json).
const undoEncoding = `DROP TRIGGER features_props_json_stale ON features;
	DROP FUNCTION controlmap_features_clear_props_json;
	ALTER TABLE features DROP COLUMN props_json;
	DELETE FROM schema_migrations WHERE version = 3`

// importedBeforeEncoding returns the URL of a database that held ds before
// migration 0003 was applied to it: every props_json is NULL.
func importedBeforeEncoding(t *testing.T, ds *geo.Dataset) string {
	t.Helper()
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(ctx, dbURL, ds); err != nil {
		t.Fatal(err)
	}
	if err := exec(t, dbURL, undoEncoding); err != nil {
		t.Fatal(err)
	}
	if err := postgis.Migrate(ctx, dbURL); err != nil {
		t.Fatal(err)
	}
	if n := countEncoded(t, dbURL); n != 0 {
		t.Fatalf("%d rows encoded after the migration, want none", n)
	}
	return dbURL
}

func countEncoded(t *testing.T, dbURL string) int {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM features WHERE props_json IS NOT NULL").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestContractImportedBeforeEncoding runs the contract suite, which asks
// for encoded properties too, on a database imported before migration
// 0003: every answer comes from the decoded values.
func TestContractImportedBeforeEncoding(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ds *geo.Dataset) geo.Store {
		return openStore(t, importedBeforeEncoding(t, ds))
	})
}

// TestEncodingImportedBeforeEncoding checks hostile values likewise.
func TestEncodingImportedBeforeEncoding(t *testing.T) {
	storetest.RunEncoding(t, func(t *testing.T, ds *geo.Dataset) geo.Store {
		return openStore(t, importedBeforeEncoding(t, ds))
	})
}

// TestImportEncodesRowsImportedBefore checks that importing the same data
// again after migration 0003 fills every props_json (rows count as
// updated), and that a third import changes nothing.
func TestImportEncodesRowsImportedBefore(t *testing.T) {
	ctx := context.Background()
	dbURL := importedBeforeEncoding(t, mustLoad(t, baseFiles()))
	res, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles()))
	if err != nil {
		t.Fatal(err)
	}
	if want := (postgis.ImportResult{Updated: 9}); res != want {
		t.Errorf("import after the migration = %+v, want %+v", res, want)
	}
	if n := countEncoded(t, dbURL); n != 9 {
		t.Errorf("%d rows encoded, want 9", n)
	}
	before := takeSnapshot(t, dbURL)
	res, err = postgis.Import(ctx, dbURL, mustLoad(t, baseFiles()))
	if err != nil {
		t.Fatal(err)
	}
	if want := (postgis.ImportResult{Unchanged: 9}); res != want {
		t.Errorf("import again = %+v, want %+v", res, want)
	}
	if after := takeSnapshot(t, dbURL); after != before {
		t.Errorf("import again changed the database:\nbefore %+v\nafter  %+v", before, after)
	}
}

// TestEditClearsEncoding edits a row's props, and another's validity,
// directly in the table: their encodings are cleared by the trigger, so
// answers show the edit; rows not edited keep theirs. Pages and features
// by id asked with their properties encoded come with the encoding alone
// where there is one, and with the values where there is none.
func TestEditClearsEncoding(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(ctx, dbURL, mustLoad(t, baseFiles())); err != nil {
		t.Fatal(err)
	}
	edits := `UPDATE features SET props = props || '{"controller": "us"}' WHERE collection = 'sites' AND id = 'roj-1';
		UPDATE features SET valid = tstzrange('2026-01-18', '2026-01-20') WHERE collection = 'sites' AND id = 'hol-2';
		UPDATE features SET geom = ST_SetSRID(ST_MakePoint(42, 37), 4326) WHERE collection = 'sites' AND id = 'hol-1'`
	if err := exec(t, dbURL, edits); err != nil {
		t.Fatal(err)
	}
	if n := countEncoded(t, dbURL); n != 7 {
		t.Errorf("%d rows encoded after editing two rows' values and one's geometry, want 7", n)
	}
	st := openStore(t, dbURL)
	page, err := st.Items(ctx, "sites", geo.Query{EncodedProperties: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range page.Features {
		switch f.ID {
		case "roj-1", "hol-2":
			if f.PropertiesJSON != nil || f.Properties == nil {
				t.Errorf("%s: encoded %s after an edit, want the values", f.ID, f.PropertiesJSON)
			}
			if f.ID == "roj-1" && f.Properties["controller"] != "us" {
				t.Errorf("roj-1: controller %v, want the edit (us)", f.Properties["controller"])
			}
			if f.ID == "hol-2" && geo.FormatTime(f.Valid.End) != "2026-01-20T00:00:00Z" {
				t.Errorf("hol-2: valid to %s, want the edit", f.Valid.End)
			}
		default:
			if f.PropertiesJSON == nil || f.Properties != nil {
				t.Errorf("%s: encoded %s, properties %v; want the encoding only", f.ID, f.PropertiesJSON, f.Properties)
			}
			if f.ID == "hol-1" && !strings.Contains(string(f.PropertiesJSON), `"controller":"sdf"`) {
				t.Errorf("hol-1: encoding %s", f.PropertiesJSON)
			}
		}
		// One feature by id for an answer with every property reads the
		// encoding alone where there is one, as the page does.
		it, err := st.ItemEncoded(ctx, "sites", f.ID)
		if err != nil {
			t.Fatal(err)
		}
		if encoded := f.PropertiesJSON != nil; (it.PropertiesJSON != nil) != encoded || (it.Properties == nil) != encoded || (it.Sources == nil) != (encoded || f.Sources == nil) {
			t.Errorf("ItemEncoded(%s): encoding %q, properties %v, sources %v; the page's: encoding %q, properties %v",
				f.ID, it.PropertiesJSON, it.Properties, it.Sources, f.PropertiesJSON, f.Properties)
		}
	}
}
