package handlers

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/controlmap/controlmap/geo"
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

// TestLatestVersions: one version per thing, the one that starts last, in
// the order things first appear; a feature without a thing is its own;
// the input's array is reused, not grown.
func TestLatestVersions(t *testing.T) {
	at := func(day int) time.Time { return time.Date(2026, 1, day, 0, 0, 0, 0, time.UTC) }
	fs := []geo.Feature{
		{ID: "a1", Thing: "a", Valid: geo.Interval{Start: at(1)}},
		{ID: "b2", Thing: "b", Valid: geo.Interval{Start: at(2)}},
		{ID: "a3", Thing: "a", Valid: geo.Interval{Start: at(3)}},
		{ID: "x"},
		{ID: "b1", Thing: "b", Valid: geo.Interval{Start: at(1)}},
		{ID: "c1", Thing: "c", Valid: geo.Interval{Start: at(1)}},
	}
	first := &fs[0]
	got := latestVersions(fs)
	var ids []string
	for _, f := range got {
		ids = append(ids, f.ID)
	}
	if want := []string{"a3", "b2", "x", "c1"}; !slices.Equal(ids, want) {
		t.Errorf("kept %v, want %v", ids, want)
	}
	if &got[0] != first {
		t.Error("a new array")
	}
}
