package handlers_test

import (
	"bytes"
	"io/fs"
	"net/http"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/static"
)

// TestStaticFolders: a folder under /static, with or without its trailing
// slash, is 404: never a directory listing, and never the relative redirect
// to "js/" that http.FileServer gives a folder whose "/" RemoveTrailingSlash
// took away (which came back without its slash, forever).
func TestStaticFolders(t *testing.T) {
	e := newServer(t, memoryFixture())
	for _, target := range []string{
		"/static/js/", "/static/js", "/static/", "/static",
		"/static/js/a11y/", "/static/lib", "/static/lib/leaflet/", "/static/lib/leaflet/images",
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

// TestStaticVendorEmbedded: the binary serves Leaflet and Leaflet.VectorGrid
// from its embedded files, as committed in static/lib, so a plain
// `go build` (no npm) makes a binary whose map works. The files are
// compared with static.FS, which is what the binary embeds; static/lib_test.go
// compares them with the npm packages.
func TestStaticVendorEmbedded(t *testing.T) {
	e := newServer(t, memoryFixture())
	for _, tc := range []struct{ file, ctype, starts string }{
		{"lib/leaflet/leaflet.js", "text/javascript", "/* @preserve\n * Leaflet 1.9.4,"},
		{"lib/leaflet/leaflet.css", "text/css", ""},
		{"lib/leaflet/images/marker-icon.png", "image/png", ""},
		{"lib/leaflet.vectorgrid/Leaflet.VectorGrid.bundled.min.js", "text/javascript", ""},
	} {
		want, err := fs.ReadFile(static.FS, tc.file)
		if err != nil {
			t.Errorf("static.FS lacks %s: %v", tc.file, err)
			continue
		}
		rec := get(t, e, "/static/"+tc.file, http.StatusOK)
		if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, tc.ctype) {
			t.Errorf("/static/%s: Content-Type %q, want %s", tc.file, ct, tc.ctype)
		}
		if !bytes.Equal(rec.Body.Bytes(), want) {
			t.Errorf("/static/%s: body differs from the embedded file", tc.file)
		}
		if !strings.HasPrefix(string(want), tc.starts) {
			t.Errorf("/static/%s starts %q, want %q", tc.file, truncate(string(want[:min(len(want), 60)])), tc.starts)
		}
	}
}

// TestPagesLoadCheck: the map page and the widget load loadcheck.js, which
// says in the map's place what failed when Leaflet or the page's module did
// not load (e2e/loadfail.test.js). It must come after both: deferred and
// module scripts run in document order.
func TestPagesLoadCheck(t *testing.T) {
	e := newServer(t, memoryFixture())
	for target, module := range map[string]string{"/": "/static/js/main.js", "/embed": "/static/js/embed.js"} {
		body := get(t, e, target, http.StatusOK, "Accept", "text/html").Body.String()
		leaflet := strings.Index(body, `<script defer src="/static/lib/leaflet/leaflet.js"></script>`)
		mod := strings.Index(body, `<script type="module" src="`+module+`"></script>`)
		check := strings.Index(body, `<script defer src="/static/js/loadcheck.js"></script>`)
		if leaflet < 0 || mod < 0 || check < 0 || check < leaflet || check < mod {
			t.Errorf("%s: Leaflet at %d, %s at %d, loadcheck.js at %d: want all three, loadcheck.js last", target, leaflet, module, mod, check)
		}
	}
	get(t, e, "/static/js/loadcheck.js", http.StatusOK)
}
