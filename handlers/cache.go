package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

// versionClock remembers when this server first saw the store's current data
// version. That time is the timeStamp of every response built from the
// version, so a body is a function of the version and the request, which a
// strong ETag requires. Safe for concurrent use.
type versionClock struct {
	now     func() time.Time
	mu      sync.Mutex
	version string
	seen    time.Time
}

// stamp returns the time version was first seen, truncated to the second.
func (vc *versionClock) stamp(version string) time.Time {
	vc.mu.Lock()
	defer vc.mu.Unlock()
	if version != vc.version || vc.seen.IsZero() {
		vc.version = version
		vc.seen = vc.now().UTC().Truncate(time.Second)
	}
	return vc.seen
}

// dataVersion is what a response body is built from: the store's version
// and the time this server first saw it.
type dataVersion struct {
	version string
	stamp   time.Time
}

// resource describes a response before its body is built.
type resource struct {
	mediaType string
	// variant tells apart representations served at one URL (the landing
	// page's JSON and HTML); it is part of the ETag.
	variant string
	maxAge  time.Duration
}

// respond answers a GET or HEAD whose body depends only on the data version
// and the request. It sets a strong ETag derived from both and Cache-Control,
// answers 304 when If-None-Match matches, and otherwise writes the body:
// from the cache (snapshot.go) when it was built before at this data
// version, else from build, which may set more headers (Link,
// Content-Disposition; they are kept with the body). X-Cache says which
// ("hit" or "miss"). While the store is unavailable (requestVersion), an
// answer the cache still holds is served with X-Cache "stale", Cache-Control
// no-cache and Warning 110; one it does not hold fails with the store's
// error (503). On the routes that compress their own answers
// (selfCompressed), a client accepting gzip gets the cached gzip form.
func (s *server) respond(c echo.Context, r resource, build func(v dataVersion) ([]byte, error)) error {
	version, err := s.requestVersion(c)
	if err != nil {
		return err
	}
	v := dataVersion{version: version, stamp: s.clock.stamp(version)}
	req := c.Request()
	key := s.etagKey(c, v, r.variant)
	wantGzip := strings.Contains(req.Header.Get("Accept-Encoding"), "gzip")
	tag := key
	if wantGzip {
		// Echo's Gzip middleware, or respond itself, compresses whenever
		// Accept-Encoding mentions gzip.
		tag += "-gz"
	}
	tag = `"` + tag + `"`
	h := c.Response().Header()
	h.Set("ETag", tag)
	h.Set("Cache-Control", "public, max-age="+strconv.Itoa(int(r.maxAge/time.Second)))
	stale := isStale(c)
	// markStale marks an answer given while the store is unavailable: the
	// last good one, which may have changed since; caches must ask again.
	// (Set only on success: an error answer keeps none of it.)
	markStale := func() {
		h.Set("Cache-Control", "no-cache")
		h.Set("Warning", `110 - "Response is Stale"`)
		h.Set("X-Cache", "stale")
		s.metrics.staleAnswer()
	}
	self := selfCompressed(c.Path())
	if self {
		h.Add("Vary", "Accept-Encoding")
	}
	if matchesETag(req.Header.Get("If-None-Match"), tag) {
		if stale {
			markStale()
		}
		return c.NoContent(http.StatusNotModified)
	}
	cacheKey := keyOf("answer", key)
	val, hit, err := s.snaps.do(req.Context(), cacheKey, func() (any, int64, error) {
		body, err := build(v)
		if err != nil {
			return nil, 0, err
		}
		a := &answer{body: body, mediaType: r.mediaType}
		for _, name := range cachedHeaders {
			if hv := h.Get(name); hv != "" {
				if a.header == nil {
					a.header = map[string]string{}
				}
				a.header[name] = hv
			}
		}
		return a, int64(len(body) + 256), nil
	})
	if err != nil {
		return err
	}
	a := val.(*answer)
	for name, hv := range a.header {
		h.Set(name, hv)
	}
	switch {
	case stale:
		markStale()
	case hit:
		h.Set("X-Cache", "hit")
	default:
		h.Set("X-Cache", "miss")
	}
	body := a.body
	if self && wantGzip {
		body = a.gzipped(func(n int) { s.snaps.grow(cacheKey, int64(n)) })
		h.Set(echo.HeaderContentEncoding, "gzip")
	}
	// Gzip drops this when it compresses; otherwise clients see the size.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return c.Blob(http.StatusOK, a.mediaType, body)
}

// selfCompressed reports whether respond compresses the answers of the
// route itself (from the cache) instead of Echo's Gzip middleware: the
// routes of features and tiles, whose answers are large and asked often.
func selfCompressed(route string) bool {
	switch route {
	case "/collections/:collectionId/items", "/collections/:collectionId/items/:featureId",
		routeTile, routeTileXYZ:
		return true
	}
	return false
}

// etagKey derives a strong entity tag, without quotes nor the gzip suffix,
// from the data version, the time it was first seen, the base URL used in
// links, the path, the canonical (sorted) query and the representation
// variant. It is also the answer's cache key.
func (s *server) etagKey(c echo.Context, v dataVersion, variant string) string {
	req := c.Request()
	h := sha256.New()
	for _, part := range []string{
		v.version, v.stamp.Format(time.RFC3339), s.baseURL(c), req.URL.EscapedPath(),
		req.URL.Query().Encode(), variant,
	} {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// matchesETag reports whether an If-None-Match header matches tag, using
// the weak comparison RFC 9110 prescribes for If-None-Match.
func matchesETag(header, tag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == tag {
			return true
		}
	}
	return false
}

// maxAgeFor returns the max-age of an answer about the time iv: long when
// iv ends before today (UTC), short when it touches today or is open.
func (s *server) maxAgeFor(iv geo.Interval) time.Duration {
	y, m, d := s.now().UTC().Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	if !iv.End.IsZero() && !iv.End.After(today) {
		return s.opts.CacheMaxAgePast
	}
	return s.opts.CacheMaxAge
}
