package handlers

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestRenderEscapesNames checks that a name from the data reaches the SVG
// only as escaped text.
func TestRenderEscapesNames(t *testing.T) {
	e := pagesServer(t, Options{}, true)
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/render.svg?date=2026-01-15&layers=facilities&bbox=40.5,36.2,41.5,36.6", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	body := rec.Body.String()
	if strings.Contains(body, "<img") || strings.Contains(body, "onerror=alert") && !strings.Contains(body, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Fatalf("the hostile name is not escaped: %s", body)
	}
	if !strings.Contains(body, "al-Hol &lt;img src=x onerror=alert(1)&gt; camp") {
		t.Errorf("the hostile name is not drawn as text (its label should fit in this box): %s", body[:min(len(body), 3000)])
	}
}
