package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// TestStaticFolders: a folder under /static, with or without its trailing
// slash, is 404: never a directory listing, and never the relative redirect
// to "js/" that http.FileServer gives a folder whose "/" RemoveTrailingSlash
// took away (which came back without its slash, forever).
func TestStaticFolders(t *testing.T) {
	e := newServer(t, memoryFixture())
	for _, target := range []string{
		"/static/js/", "/static/js", "/static/", "/static",
		"/static/js/a11y/", "/static/vendor", "/static/vendor/leaflet/", "/static/vendor/leaflet/images",
	} {
		for _, method := range []string{http.MethodGet, http.MethodHead} {
			rec := do(t, e, method, target)
			if rec.Code != http.StatusNotFound {
				t.Errorf("%s %s: status %d (Location %q), want 404", method, target, rec.Code, rec.Header().Get("Location"))
			}
			if loc := rec.Header().Get("Location"); loc != "" {
				t.Errorf("%s %s: redirects to %q", method, target, loc)
			}
		}
	}
	rec := get(t, e, "/static/js/main.js", http.StatusOK)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "text/javascript") {
		t.Errorf("/static/js/main.js: Content-Type %q", ct)
	}
}
