package handlers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

// rawProperties returns the properties member of each feature of an items
// answer, as the bytes the server wrote.
func rawProperties(t *testing.T, body []byte) map[string]string {
	t.Helper()
	var fc struct {
		Features []struct {
			ID         string          `json:"id"`
			Properties json.RawMessage `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(body, &fc); err != nil {
		t.Fatalf("not JSON: %v", err)
	}
	out := map[string]string{}
	for _, f := range fc.Features {
		out[f.ID] = string(f.Properties)
	}
	return out
}

// TestSelectingEveryPropertyIsTheDefault checks, on both stores, that an
// answer with every property (written from the stores' encodings) holds the
// same bytes per feature as one that selects every property by name (written
// from the values), by items and by item, and that selecting some properties
// still gives those only.
func TestSelectingEveryPropertyIsTheDefault(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, st geo.Store) {
		for _, col := range []string{"facilities", "events", "border", "areas", "villages"} {
			c, err := st.Collection(context.Background(), col)
			if err != nil {
				t.Fatal(err)
			}
			names := append(append([]string(nil), c.Properties...), "valid_from", "valid_to", "sources")
			all := rawProperties(t, get(t, e, "/collections/"+col+"/items?limit=1000", http.StatusOK).Body.Bytes())
			named := rawProperties(t, get(t, e, "/collections/"+col+"/items?limit=1000&properties="+strings.Join(names, ","), http.StatusOK).Body.Bytes())
			if len(all) == 0 || len(all) != len(named) {
				t.Fatalf("%s: %d features, %d with every property named", col, len(all), len(named))
			}
			for id, p := range all {
				if named[id] != p {
					t.Errorf("%s/%s: properties\n all   %s\n named %s", col, id, p, named[id])
				}
			}
			// One feature by id: every property as the store encoded it
			// (geo.EncodedItemStore), or each named, written from the values.
			for id, p := range all {
				var one, oneNamed struct {
					Properties json.RawMessage `json:"properties"`
				}
				getJSON(t, e, "/collections/"+col+"/items/"+url.PathEscape(id), &one)
				getJSON(t, e, "/collections/"+col+"/items/"+url.PathEscape(id)+"?properties="+strings.Join(names, ","), &oneNamed)
				if string(one.Properties) != p || string(oneNamed.Properties) != p {
					t.Errorf("%s/%s by id: properties\n all   %s\n named %s\n want  %s", col, id, one.Properties, oneNamed.Properties, p)
				}
			}
		}
		var sel featureCollection
		getJSON(t, e, "/collections/facilities/items?properties=controller,sources", &sel)
		for _, f := range sel.Features {
			if len(f.Properties) != 2 || f.Properties["controller"] == nil || f.Properties["sources"] == nil {
				t.Errorf("properties=controller,sources: %s has %v", f.ID, f.Properties)
			}
		}
		var item struct {
			Properties map[string]any `json:"properties"`
		}
		getJSON(t, e, "/collections/facilities/items/al-hol-3?properties=name", &item)
		if len(item.Properties) != 1 || item.Properties["name"] == nil {
			t.Errorf("item with properties=name: %v", item.Properties)
		}
		getJSON(t, e, "/collections/facilities/items/al-hol-3", &item)
		if len(item.Properties) < 5 {
			t.Errorf("item with every property: %v", item.Properties)
		}
	})
}

// TestGoldenNotEncoded answers the golden requests from a PostGIS database
// whose rows have no encoded properties (as rows imported before migration
// 0003 have none): the same bytes, from the decoded values.
func TestGoldenNotEncoded(t *testing.T) {
	ctx := context.Background()
	dbURL := pgtest.NewDB(t)
	if _, err := postgis.Import(ctx, dbURL, storetest.Fixture()); err != nil {
		t.Fatal(err)
	}
	st, err := postgis.Open(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "UPDATE features SET props_json = NULL"); err != nil {
		t.Fatal(err)
	}
	e := serverWith(t, st, handlers.Options{})
	for _, g := range goldenRequests {
		want, err := os.ReadFile(filepath.Join("testdata", "golden", g.name))
		if err != nil {
			t.Fatal(err)
		}
		if got := do(t, e, http.MethodGet, g.target).Body.Bytes(); !bytes.Equal(got, want) {
			at := firstDiff(got, want)
			t.Errorf("GET %s differs from %s at byte %d:\n got: %s\nwant: %s", g.target, g.name, at, excerpt(got, at), excerpt(want, at))
		}
	}
}
