package memory_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"testing"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
)

// shippedData is the repository's dataset folder, relative to this package.
const shippedData = "../../data"

// TestShippedData loads the real dataset and checks facts from the reporting.
// It skips only while data/catalog.json does not exist.
func TestShippedData(t *testing.T) {
	if _, err := os.Stat(shippedData + "/" + geo.CatalogFile); errors.Is(err, fs.ErrNotExist) {
		t.Skip("data/catalog.json is absent: the shipped dataset is not there to test")
	}
	fsys := os.DirFS(shippedData)
	ds, err := geo.LoadDir(fsys)
	if err != nil {
		t.Fatalf("the shipped dataset does not load:\n%v", err)
	}
	s := memory.New(ds)
	ctx := context.Background()
	tests := []struct {
		date, controller string
	}{
		{"2026-01-16", "sdf"},
		{"2026-01-22", "government"},
	}
	for _, tt := range tests {
		t.Run("al-hol on "+tt.date, func(t *testing.T) {
			when, err := geo.ParseDatetime(tt.date)
			if err != nil {
				t.Fatal(err)
			}
			page, err := s.Items(ctx, "facilities", geo.Query{Time: when, Filters: map[string]string{"site": "al-hol"}})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Features) != 1 {
				t.Fatalf("%d versions of al-hol on %s, want exactly 1: %v", len(page.Features), tt.date, page.Features)
			}
			if got := page.Features[0].Properties["controller"]; got != tt.controller {
				t.Errorf("al-hol on %s: controller %v, want %s (feature %s)", tt.date, got, tt.controller, page.Features[0].ID)
			}
		})
	}
	if _, err := memory.Load(fsys); err != nil {
		t.Errorf("memory.Load of the shipped dataset: %v", err)
	}
}
