package postgis_test

import (
	"context"
	"errors"
	"testing"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/mvt/mvttest"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// TestTiles checks the store's tiles: decoded, they hold the features the
// fixture has at each date, as the memory store's do.
func TestTiles(t *testing.T) {
	mvttest.Run(t, pgtest.NewStore(t, storetest.Fixture()))
}

// TestChanges checks that the change times read from the database give the
// same keys as those computed in memory from the same features.
func TestChanges(t *testing.T) {
	ctx := context.Background()
	pg := pgtest.NewStore(t, storetest.Fixture())
	mem := memory.New(storetest.Fixture())
	queries := []string{"2026-01-10", "2026-01-18", "2026-01-19", "2026-01-20", "2026-01-21", "2026-01-22",
		"2026-01-21T09:00:00Z", "2026-01-19T22:30:00Z/2026-01-20", "../2026-01-18", "2026-01-21/.."}
	for _, col := range []string{"facilities", "events", "areas", "border"} {
		want, err := mem.Changes(ctx, col)
		if err != nil {
			t.Fatal(err)
		}
		got, err := pg.Changes(ctx, col)
		if err != nil {
			t.Fatalf("Changes(%s): %v", col, err)
		}
		if got.Len() != want.Len() {
			t.Errorf("%s: %d change times, want %d", col, got.Len(), want.Len())
		}
		for _, d := range queries {
			iv, err := geo.ParseDatetime(d)
			if err != nil {
				t.Fatal(err)
			}
			if g, w := got.Key(iv), want.Key(iv); g != w {
				t.Errorf("%s at %s: key %s, want %s", col, d, g, w)
			}
		}
	}
	if _, err := pg.Changes(ctx, "nope"); !errors.Is(err, geo.ErrNotFound) {
		t.Errorf("Changes of an unknown collection: %v", err)
	}
}
