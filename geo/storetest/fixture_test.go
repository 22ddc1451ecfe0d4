package storetest_test

import (
	"testing"

	"github.com/controlmap/controlmap/geo/storetest"
)

func TestFixtureLoads(t *testing.T) {
	ds := storetest.Fixture()
	want := map[string]int{"facilities": 7, "events": 4, "border": 2, "areas": 4, "villages": 25}
	if len(ds.Collections) != len(want) {
		t.Fatalf("%d collections, want %d", len(ds.Collections), len(want))
	}
	for _, c := range ds.Collections {
		if got := len(ds.Features[c.ID]); got != want[c.ID] || c.Count != want[c.ID] {
			t.Errorf("collection %s: %d features (Count %d), want %d", c.ID, got, c.Count, want[c.ID])
		}
	}
	if storetest.Fixture().Digest != ds.Digest {
		t.Error("the fixture's digest is not stable")
	}
}
