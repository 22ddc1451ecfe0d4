package memory_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"strings"
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
	// Where the area around a site changed hands and no source says who
	// held the site afterwards, the controller is "unknown", not the last
	// known one.
	tests := []struct {
		site, date, controller, status string
	}{
		{"al-hol", "2026-01-16", "sdf", "normal"},
		{"al-hol", "2026-01-22", "government", "handed_over"},
		{"al-aqtan-prison", "2026-01-18", "sdf", "enclave"},
		{"al-aqtan-prison", "2026-01-20", "sdf", "besieged"},
		{"tabqa-prison", "2026-01-17", "sdf", "normal"},
		{"tabqa-prison", "2026-01-18", "unknown", "unknown"},
		{"al-sinaa-prison", "2026-02-01", "sdf", "normal"},
		{"al-sinaa-prison", "2026-02-02", "unknown", "unknown"},
		{"hasakah-central-prison", "2026-02-02", "unknown", "unknown"},
		{"alaya-prison", "2026-02-02", "sdf", "normal"},
		{"alaya-prison", "2026-02-03", "unknown", "unknown"},
		{"roj-camp", "2026-02-12", "sdf", "normal"},
	}
	for _, tt := range tests {
		t.Run(tt.site+" on "+tt.date, func(t *testing.T) {
			when, err := geo.ParseDatetime(tt.date)
			if err != nil {
				t.Fatal(err)
			}
			page, err := s.Items(ctx, "facilities", geo.Query{Time: when, Filters: map[string]string{"site": tt.site}})
			if err != nil {
				t.Fatal(err)
			}
			if len(page.Features) != 1 {
				t.Fatalf("%d versions of %s on %s, want exactly 1: %v", len(page.Features), tt.site, tt.date, page.Features)
			}
			p := page.Features[0].Properties
			if p["controller"] != tt.controller || p["status"] != tt.status {
				t.Errorf("%s on %s: controller %v, status %v; want %s, %s (feature %s)", tt.site, tt.date, p["controller"], p["status"], tt.controller, tt.status, page.Features[0].ID)
			}
		})
	}
	// Every feature of a dated collection says how sure its claim is, and
	// the claims the sources disagree on are marked so.
	claims := map[string]bool{"confirmed": true, "reported": true, "claimed": true, "disputed": true}
	for _, col := range ds.Collections {
		if !col.Dated {
			continue
		}
		for _, f := range ds.Features[col.ID] {
			if cs, _ := f.Properties["claim_status"].(string); !claims[cs] {
				t.Errorf("%s/%s: claim_status %q, want one of confirmed, reported, claimed, disputed", col.ID, f.ID, f.Properties["claim_status"])
			}
		}
	}
	for id, want := range map[string]string{
		"2026-01-20-al-shaddadi-escape":           "disputed",
		"2026-01-21-al-shaddadi-release-disputed": "disputed",
		"2026-01-19-al-shaddadi-prison-lost":      "claimed",
		"2026-01-21-army-enters-al-hol":           "confirmed",
	} {
		found := false
		for _, f := range ds.Features["events"] {
			if f.ID == id {
				found = true
				if got := f.Properties["claim_status"]; got != want {
					t.Errorf("events/%s: claim_status %v, want %s", id, got, want)
				}
			}
		}
		if !found {
			t.Errorf("events/%s is missing", id)
		}
	}
	// The government version of al-Hol keeps the Rojava official's doubt.
	for _, f := range ds.Features["facilities"] {
		if f.ID == "al-hol-2026-01-21" {
			if c, _ := f.Properties["caveat"].(string); !strings.Contains(c, "who currently controls the camp") || !strings.Contains(c, "Rudaw") {
				t.Errorf("facilities/al-hol-2026-01-21: caveat %q lacks the statement to Rudaw", c)
			}
		}
	}
	if _, err := memory.Load(fsys); err != nil {
		t.Errorf("memory.Load of the shipped dataset: %v", err)
	}
}
