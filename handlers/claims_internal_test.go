package handlers

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo/mvt/mvttest"
)

// TestClaimStatusLikeAnyProperty checks claim_status on the shipped data:
// a filter, an enum in the schema, and a property of tile features.
func TestClaimStatusLikeAnyProperty(t *testing.T) {
	e := pagesServer(t, Options{}, false)
	get := func(target string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		if rec.Code != http.StatusOK {
			t.Fatalf("GET %s: %d %s", target, rec.Code, rec.Body.String())
		}
		return rec
	}
	var fc struct {
		Features []struct {
			ID         string         `json:"id"`
			Properties map[string]any `json:"properties"`
		} `json:"features"`
	}
	if err := json.Unmarshal(get("/collections/events/items?claim_status=disputed&limit=1000").Body.Bytes(), &fc); err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) < 2 {
		t.Errorf("%d disputed events, want the escape figures and the accusation at least", len(fc.Features))
	}
	for _, f := range fc.Features {
		if f.Properties["claim_status"] != "disputed" {
			t.Errorf("claim_status=disputed returned %s (%v)", f.ID, f.Properties["claim_status"])
		}
	}

	var schema struct {
		Properties struct {
			Properties struct {
				Properties map[string]struct {
					Enum []string `json:"enum"`
				} `json:"properties"`
				Required []string `json:"required"`
			} `json:"properties"`
		} `json:"properties"`
	}
	if err := json.Unmarshal(get("/collections/facilities/schema").Body.Bytes(), &schema); err != nil {
		t.Fatal(err)
	}
	p := schema.Properties.Properties
	if got := p.Properties["claim_status"].Enum; !slices.Equal(got, []string{"confirmed", "reported", "claimed", "disputed"}) {
		t.Errorf("schema enum of claim_status %v", got)
	}
	if !slices.Contains(p.Required, "claim_status") {
		t.Errorf("claim_status is not required in the schema: %v", p.Required)
	}

	alHol := orb.Point{41.1486, 36.3756}
	tile := maptile.At(alHol, 9)
	rec := get("/collections/facilities/tiles/WebMercatorQuad/9/" + strconv.Itoa(int(tile.Y)) + "/" + strconv.Itoa(int(tile.X)) + "?datetime=2026-01-22")
	found := false
	for id, f := range mvttest.Decode(t, rec.Body.Bytes(), tile, "facilities") {
		found = found || id == "al-hol-2026-01-21"
		if s, _ := f.Properties["claim_status"].(string); s == "" {
			t.Errorf("tile feature %s has no claim_status: %v", id, f.Properties)
		}
	}
	if !found {
		t.Error("al-Hol camp is not in its tile")
	}
}
