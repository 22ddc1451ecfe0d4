package handlers_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/storetest"
	"github.com/controlmap/controlmap/handlers"
)

func TestETag(t *testing.T) {
	targets := []string{
		"/?f=json", "/conformance", "/api", "/api.html", "/collections", "/collections/facilities",
		"/collections/facilities/schema", "/collections/facilities/items?datetime=2026-01-20",
		"/collections/facilities/items/al-hol-1", "/timeline",
	}
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		tags := map[string]string{}
		for _, target := range targets {
			rec := get(t, e, target, http.StatusOK)
			tag := rec.Header().Get("ETag")
			if !strings.HasPrefix(tag, `"`) || !strings.HasSuffix(tag, `"`) || strings.HasPrefix(tag, "W/") {
				t.Fatalf("%s: ETag %q is not a strong tag", target, tag)
			}
			if other, dup := tags[tag]; dup {
				t.Errorf("%s and %s share the ETag %s", target, other, tag)
			}
			tags[tag] = target

			again := get(t, e, target, http.StatusOK)
			if again.Header().Get("ETag") != tag || !bytes.Equal(again.Body.Bytes(), rec.Body.Bytes()) {
				t.Errorf("%s: a second GET changed the ETag or the body", target)
			}
			for _, inm := range []string{tag, "W/" + tag, `"x", ` + tag, "*"} {
				nm := get(t, e, target, http.StatusNotModified, "If-None-Match", inm)
				if nm.Body.Len() != 0 || nm.Header().Get("ETag") != tag || nm.Header().Get("Cache-Control") == "" {
					t.Errorf("%s with If-None-Match %s: body %q, headers %v", target, inm, nm.Body.String(), nm.Header())
				}
			}
			get(t, e, target, http.StatusOK, "If-None-Match", `"something-else"`)
		}
	})
}

func TestETagChangesWithTheData(t *testing.T) {
	st := memory.New(storetest.Fixture())
	e := newServer(t, st)
	const target = "/collections/facilities/items?datetime=2026-01-20"
	tag := get(t, e, target, http.StatusOK).Header().Get("ETag")

	ds := storetest.Fixture()
	feats := ds.Features["facilities"]
	feats[1].Properties["status"] = "evacuated" // al-hol-2
	ds.Digest = "edited"                        // what a reload of changed files gives
	st.Swap(ds)

	rec := get(t, e, target, http.StatusOK, "If-None-Match", tag)
	if rec.Header().Get("ETag") == tag || !strings.Contains(rec.Body.String(), "evacuated") {
		t.Errorf("after a data change: ETag %s (was %s), body %s", rec.Header().Get("ETag"), tag, truncate(rec.Body.String()))
	}
}

func TestETagVariants(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	plain := get(t, e, "/collections/villages/items?limit=3", http.StatusOK)
	reordered := get(t, e, "/collections/villages/items?limit=3&f=geojson", http.StatusOK)
	if plain.Header().Get("ETag") == reordered.Header().Get("ETag") {
		t.Error("different queries share an ETag")
	}
	a := get(t, e, "/collections/villages/items?limit=3&offset=1", http.StatusOK)
	b := get(t, e, "/collections/villages/items?offset=1&limit=3", http.StatusOK)
	if a.Header().Get("ETag") != b.Header().Get("ETag") || !bytes.Equal(a.Body.Bytes(), b.Body.Bytes()) {
		t.Error("the same query in another order gives another ETag or body")
	}
	json := get(t, e, "/", http.StatusOK, "Accept", "application/json")
	jsonF := get(t, e, "/?f=json", http.StatusOK)
	if json.Header().Get("ETag") == "" || jsonF.Header().Get("ETag") == "" {
		t.Error("the JSON landing page has no ETag")
	}
	gz := get(t, e, "/collections/villages/items?limit=3", http.StatusOK, "Accept-Encoding", "gzip")
	if gz.Header().Get("ETag") == plain.Header().Get("ETag") {
		t.Error("the gzip-encoded body has the ETag of the identity body")
	}
	get(t, e, "/collections/villages/items?limit=3", http.StatusNotModified, "Accept-Encoding", "gzip", "If-None-Match", gz.Header().Get("ETag"))
}

func TestCacheControl(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture())) // today is 2026-02-01
	tests := []struct{ target, want string }{
		{"/collections/facilities/items?datetime=2026-01-20", "public, max-age=3600"},
		{"/collections/facilities/items?datetime=2026-01-31", "public, max-age=3600"},
		{"/collections/facilities/items?datetime=2026-01-31T23:59:59Z", "public, max-age=3600"},
		{"/collections/facilities/items?datetime=2026-01-18/2026-01-21", "public, max-age=3600"},
		{"/collections/facilities/items?datetime=2026-02-01", "public, max-age=10"},
		{"/collections/facilities/items?datetime=2026-01-18/..", "public, max-age=10"},
		{"/collections/facilities/items?datetime=../2026-01-18", "public, max-age=3600"},
		{"/collections/facilities/items", "public, max-age=10"},
		{"/collections/facilities/items/al-hol-1", "public, max-age=10"},
		{"/collections", "public, max-age=10"},
		{"/timeline?from=2026-01-01&to=2026-01-31", "public, max-age=3600"},
		{"/timeline?from=2026-01-01", "public, max-age=10"},
		{"/conformance", "public, max-age=3600"},
	}
	for _, tt := range tests {
		if got := get(t, e, tt.target, http.StatusOK).Header().Get("Cache-Control"); got != tt.want {
			t.Errorf("%s: Cache-Control %q, want %q", tt.target, got, tt.want)
		}
	}
}

// TestContentCodings checks that answers are compressed in the coding the
// client accepts first among zstd, br and gzip, that each decodes to the
// plain body, that each coding has its own ETag, and that a coded answer
// is compressed once (the second request is a hit).
func TestContentCodings(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	const target = "/collections/villages/items"
	plain := get(t, e, target, http.StatusOK)
	if plain.Header().Get("Content-Encoding") != "" {
		t.Error("compressed without Accept-Encoding")
	}
	decode := map[string]func(io.Reader) ([]byte, error){
		"gzip": func(r io.Reader) ([]byte, error) {
			zr, err := gzip.NewReader(r)
			if err != nil {
				return nil, err
			}
			return io.ReadAll(zr)
		},
		"br": func(r io.Reader) ([]byte, error) { return io.ReadAll(brotli.NewReader(r)) },
		"zstd": func(r io.Reader) ([]byte, error) {
			zr, err := zstd.NewReader(r)
			if err != nil {
				return nil, err
			}
			defer zr.Close()
			return io.ReadAll(zr)
		},
	}
	tags := map[string]string{"": plain.Header().Get("ETag")}
	for _, tt := range []struct{ accept, want string }{
		{"gzip", "gzip"},
		{"gzip, deflate, br", "br"},
		{"gzip, deflate, br, zstd", "zstd"},
		{"zstd;q=0, br;q=0, gzip;q=0.5", "gzip"},
		{"*", "zstd"},
		{"identity", ""},
		{"gzip;q=0", ""},
	} {
		rec := get(t, e, target, http.StatusOK, "Accept-Encoding", tt.accept)
		h := rec.Header()
		if got := h.Get("Content-Encoding"); got != tt.want {
			t.Errorf("Accept-Encoding %q: Content-Encoding %q, want %q", tt.accept, got, tt.want)
			continue
		}
		if !strings.Contains(strings.Join(h.Values("Vary"), ","), "Accept-Encoding") {
			t.Errorf("Accept-Encoding %q: Vary %v", tt.accept, h.Values("Vary"))
		}
		if prev, ok := tags[tt.want]; ok && prev != h.Get("ETag") {
			t.Errorf("coding %q has two ETags: %s and %s", tt.want, prev, h.Get("ETag"))
		}
		tags[tt.want] = h.Get("ETag")
		body := rec.Body.Bytes()
		if tt.want != "" {
			dec, err := decode[tt.want](rec.Body)
			if err != nil {
				t.Fatalf("%s: %v", tt.want, err)
			}
			if rec.Body.Len() >= len(dec) && len(dec) > 0 {
				t.Errorf("%s did not shrink the body", tt.want)
			}
			body = dec
		}
		if !bytes.Equal(body, plain.Body.Bytes()) {
			t.Errorf("Accept-Encoding %q: the decoded body differs from the plain one", tt.accept)
		}
		if h.Get("X-Cache") != "hit" {
			t.Errorf("Accept-Encoding %q: X-Cache %q, want hit (one answer, coded on demand)", tt.accept, h.Get("X-Cache"))
		}
		get(t, e, target, http.StatusNotModified, "Accept-Encoding", tt.accept, "If-None-Match", h.Get("ETag"))
	}
	if len(tags) != 4 {
		t.Errorf("ETags by coding %v, want 4 distinct codings", tags)
	}
	seen := map[string]bool{}
	for _, tag := range tags {
		seen[tag] = true
	}
	if len(seen) != len(tags) {
		t.Errorf("two codings share an ETag: %v", tags)
	}
}

// TestLargeAnswerKeptCompressed checks that an answer too large for the
// cache (a download) is kept compressed apart: the second request is a hit,
// sent as it is to a client accepting gzip and decompressed for one that
// does not, with the same bytes as the first.
func TestLargeAnswerKeptCompressed(t *testing.T) {
	e := serverWith(t, memory.New(storetest.Fixture()), handlers.Options{CacheBytes: 8 << 10}) // entries up to 1 kB
	const target = "/collections/facilities/items?download=1"
	first := get(t, e, target, http.StatusOK)
	if first.Body.Len() < 2<<10 {
		t.Fatalf("the download is only %d bytes; the test needs one over a kilobyte", first.Body.Len())
	}
	plain := get(t, e, target, http.StatusOK)
	gz := get(t, e, target, http.StatusOK, "Accept-Encoding", "gzip, br")
	for name, rec := range map[string]*httptest.ResponseRecorder{"plain": plain, "gzip": gz} {
		if rec.Header().Get("X-Cache") != "hit" || rec.Header().Get("Content-Disposition") == "" {
			t.Errorf("%s: X-Cache %q, Content-Disposition %q", name, rec.Header().Get("X-Cache"), rec.Header().Get("Content-Disposition"))
		}
	}
	if !bytes.Equal(plain.Body.Bytes(), first.Body.Bytes()) {
		t.Error("the large answer decompressed from the store differs from the first")
	}
	if gz.Header().Get("Content-Encoding") != "gzip" {
		t.Fatalf("gzip client: Content-Encoding %q", gz.Header().Get("Content-Encoding"))
	}
	zr, err := gzip.NewReader(gz.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); !bytes.Equal(b, first.Body.Bytes()) {
		t.Error("the gzip form of the large answer differs from the first")
	}

	// One ETag, one sequence of bytes: a browser asking twice (once built,
	// once from the store) gets the same coding and bytes under the same tag.
	fresh := serverWith(t, memory.New(storetest.Fixture()), handlers.Options{CacheBytes: 8 << 10})
	const browser = "gzip, deflate, br, zstd"
	one := get(t, fresh, target, http.StatusOK, "Accept-Encoding", browser)
	two := get(t, fresh, target, http.StatusOK, "Accept-Encoding", browser)
	if one.Header().Get("X-Cache") != "miss" || two.Header().Get("X-Cache") != "hit" {
		t.Errorf("X-Cache %q then %q, want miss then hit", one.Header().Get("X-Cache"), two.Header().Get("X-Cache"))
	}
	fams := scrape(t, fresh)
	if h, m := counterValue(t, fams, "controlmap_cache_requests_total", map[string]string{"cache": "answers", "result": "hit"}),
		counterValue(t, fams, "controlmap_cache_requests_total", map[string]string{"cache": "answers", "result": "miss"}); h != 1 || m != 1 {
		t.Errorf("the answers cache counted %v hits and %v misses, want 1 and 1 (as X-Cache said)", h, m)
	}
	if one.Header().Get("ETag") != two.Header().Get("ETag") || one.Header().Get("Content-Encoding") != two.Header().Get("Content-Encoding") ||
		!bytes.Equal(one.Body.Bytes(), two.Body.Bytes()) {
		t.Errorf("one ETag, two answers: %s %s (%d bytes) then %s %s (%d bytes)",
			one.Header().Get("ETag"), one.Header().Get("Content-Encoding"), one.Body.Len(),
			two.Header().Get("ETag"), two.Header().Get("Content-Encoding"), two.Body.Len())
	}
}

func TestCORSAndSecurityHeaders(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	rec := get(t, e, "/collections/facilities/items", http.StatusOK, "Origin", "https://news.example")
	h := rec.Header()
	if h.Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("Access-Control-Allow-Origin %q", h.Get("Access-Control-Allow-Origin"))
	}
	if !strings.Contains(h.Get("Access-Control-Expose-Headers"), "ETag") || !strings.Contains(h.Get("Access-Control-Expose-Headers"), "Link") {
		t.Errorf("Access-Control-Expose-Headers %q", h.Get("Access-Control-Expose-Headers"))
	}
	if h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") == "" {
		t.Errorf("security headers %v", h)
	}
	pre := do(t, e, http.MethodOptions, "/collections/facilities/items",
		"Origin", "https://news.example", "Access-Control-Request-Method", "GET")
	if pre.Code != http.StatusNoContent || pre.Header().Get("Access-Control-Allow-Origin") != "*" {
		t.Errorf("preflight: %d %v", pre.Code, pre.Header())
	}
	if m := pre.Header().Get("Access-Control-Allow-Methods"); !strings.Contains(m, "GET") || strings.Contains(m, "POST") {
		t.Errorf("preflight allows %q", m)
	}
	bad := get(t, e, "/collections/nope", http.StatusNotFound, "Origin", "https://news.example")
	if bad.Header().Get("Access-Control-Allow-Origin") != "*" || bad.Header().Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("error answers lack CORS or security headers: %v", bad.Header())
	}
}

func TestHead(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	for _, target := range []string{"/collections", "/collections/facilities/items", "/api", "/healthz"} {
		rec := do(t, e, http.MethodHead, target)
		if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") == "" {
			t.Errorf("HEAD %s: %d %v", target, rec.Code, rec.Header())
		}
	}
}

func TestBodyLimit(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	req, _ := http.NewRequest(http.MethodGet, "/collections", bytes.NewReader(make([]byte, 2<<20)))
	req.ContentLength = 2 << 20
	rec := httptest.NewRecorder()
	e.ServeHTTP(rec, req)
	if rec.Code != http.StatusRequestEntityTooLarge || rec.Header().Get("Content-Type") != "application/problem+json" {
		t.Errorf("a 2 MiB body: %d %s", rec.Code, rec.Header().Get("Content-Type"))
	}
}

// TestSharedMaxAge: with Options.SharedMaxAge, answers that browsers may
// keep longer carry s-maxage for shared caches and X-Accel-Expires for
// nginx (the last whole second it may serve them in), on 200 and 304 alike;
// pages, errors and stale answers carry neither.
func TestSharedMaxAge(t *testing.T) {
	const past = "/collections/facilities/items?datetime=2026-01-20" // max-age=3600
	const soon = "/collections/facilities/items"                     // max-age=10
	now := testNow.Unix()
	tests := []struct {
		shared             time.Duration
		target             string
		wantCC, wantExpire string
	}{
		{time.Second, past, "public, max-age=3600, s-maxage=1", fmt.Sprintf("@%d", now)},
		{time.Second, soon, "public, max-age=10, s-maxage=1", fmt.Sprintf("@%d", now)},
		{300 * time.Millisecond, soon, "public, max-age=10, s-maxage=1", fmt.Sprintf("@%d", now)}, // at least a second
		{30 * time.Second, past, "public, max-age=3600, s-maxage=30", fmt.Sprintf("@%d", now+29)},
		{30 * time.Second, soon, "public, max-age=10", ""}, // browsers' bound is shorter already
		{0, past, "public, max-age=3600", ""},
		{time.Second, "/", "no-cache", ""}, // the map page
	}
	for _, tt := range tests {
		e := serverWith(t, memoryFixture(), handlers.Options{SharedMaxAge: tt.shared})
		rec := get(t, e, tt.target, http.StatusOK)
		for _, rec := range []*httptest.ResponseRecorder{rec, get(t, e, tt.target, http.StatusNotModified, "If-None-Match", rec.Header().Get("ETag"))} {
			if got := rec.Header().Get("Cache-Control"); got != tt.wantCC {
				t.Errorf("shared %s, %s (%d): Cache-Control %q, want %q", tt.shared, tt.target, rec.Code, got, tt.wantCC)
			}
			if got := rec.Header().Get("X-Accel-Expires"); got != tt.wantExpire {
				t.Errorf("shared %s, %s (%d): X-Accel-Expires %q, want %q", tt.shared, tt.target, rec.Code, got, tt.wantExpire)
			}
		}
	}

	st := &outageStore{Store: memory.New(storetest.Fixture())}
	e := serverWith(t, st, handlers.Options{SharedMaxAge: time.Second})
	get(t, e, past, http.StatusOK)
	if rec := get(t, e, "/collections/nope/items", http.StatusNotFound); rec.Header().Get("X-Accel-Expires") != "" {
		t.Errorf("a 404 carries X-Accel-Expires %q", rec.Header().Get("X-Accel-Expires"))
	}
	st.down.Store(true)
	rec := get(t, e, past, http.StatusOK)
	if rec.Header().Get("X-Cache") != "stale" || rec.Header().Get("X-Accel-Expires") != "" || rec.Header().Get("Cache-Control") != "no-cache" {
		t.Errorf("a stale answer: X-Cache %q, X-Accel-Expires %q, Cache-Control %q; want stale, none, no-cache",
			rec.Header().Get("X-Cache"), rec.Header().Get("X-Accel-Expires"), rec.Header().Get("Cache-Control"))
	}
	if rec := get(t, e, "/collections/facilities/items?datetime=2026-01-21", http.StatusServiceUnavailable); rec.Header().Get("X-Accel-Expires") != "" {
		t.Errorf("a 503 carries X-Accel-Expires %q", rec.Header().Get("X-Accel-Expires"))
	}
}
