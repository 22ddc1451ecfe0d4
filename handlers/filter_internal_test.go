package handlers

import (
	"slices"
	"testing"

	"github.com/controlmap/controlmap/geo"
)

// TestFilterable: the collection's properties but those named like a
// standard parameter, and the collection's own list left as it was.
func TestFilterable(t *testing.T) {
	col := geo.Collection{ID: "x", Properties: []string{"name", "limit", "kind", "f", "status"}}
	if got, want := filterable(col), []string{"name", "kind", "status"}; !slices.Equal(got, want) {
		t.Errorf("filterable = %q, want %q (limit and f are parameters)", got, want)
	}
	if !slices.Equal(col.Properties, []string{"name", "limit", "kind", "f", "status"}) {
		t.Errorf("filterable changed the collection's properties: %q", col.Properties)
	}
}
