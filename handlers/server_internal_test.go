package handlers

import (
	"net/http"
	"slices"
	"testing"
)

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
