package handlers

import (
	"net/http"
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

func TestSetHeaders(t *testing.T) {
	h := http.Header{}
	setHeaders(h, "X-Content-Type-Options", "nosniff", "Cross-Origin-Resource-Policy", "cross-origin")
	if h.Get("x-content-type-options") != "nosniff" || h.Get("cross-origin-resource-policy") != "cross-origin" {
		t.Fatalf("headers = %v", h)
	}
	// The values share one array: adding to one must not touch the next.
	h.Add("X-Content-Type-Options", "second")
	if got := h.Values("Cross-Origin-Resource-Policy"); !slices.Equal(got, []string{"cross-origin"}) {
		t.Errorf("Cross-Origin-Resource-Policy = %q after an Add to the header before it", got)
	}
	if got := h.Values("X-Content-Type-Options"); !slices.Equal(got, []string{"nosniff", "second"}) {
		t.Errorf("X-Content-Type-Options = %q", got)
	}
}
