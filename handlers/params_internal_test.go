package handlers

import (
	"slices"
	"testing"

	"github.com/controlmap/controlmap/geo"
)

func TestFilterable(t *testing.T) {
	props := make([]string, 0, 8) // spare capacity: an append must not write into it
	props = append(props, "name", "limit", "kind", "f", "status")
	col := geo.Collection{ID: "x", Properties: props}
	if got, want := filterable(col), []string{"name", "kind", "status"}; !slices.Equal(got, want) {
		t.Errorf("filterable = %q, want %q (limit and f are parameters)", got, want)
	}
	if !slices.Equal(col.Properties, []string{"name", "limit", "kind", "f", "status"}) {
		t.Errorf("filterable changed the collection's properties: %q", col.Properties)
	}

	plain := geo.Collection{ID: "y", Properties: append(make([]string, 0, 8), "name", "kind")}
	got := filterable(plain)
	if !slices.Equal(got, []string{"name", "kind"}) {
		t.Fatalf("filterable = %q", got)
	}
	_ = append(got, "added")
	if full := plain.Properties[:cap(plain.Properties)]; full[2] == "added" {
		t.Error("an append to filterable's result wrote into the collection's properties")
	}
}
