package handlers

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/cache"
)

// Answers are cached whole, keyed by what their strong ETag is derived from
// (data version, base URL, path, canonical query, variant), with their gzip
// form made on first demand; a hit touches neither the store nor the
// encoder. Every key holds the data version, so a change of data is a miss
// without any purge; old entries age out of the LRU. Concurrent misses of
// one key are built once. One budget (Options.CacheBytes) bounds the
// answers and what they are built from (sections.go).
//
// An answer larger than an eighth of that budget (a whole-layer download)
// is kept apart, gzip-compressed only, in a store of its own bound
// (Options.LargeCacheBytes), so that it is encoded and compressed once per
// data version rather than on every request, without flushing the rest.

// Defaults of the caches.
const (
	// DefaultCacheBytes is the size of the cache when Options.CacheBytes is zero.
	DefaultCacheBytes = 64 << 20
)

// cacheBytes is the size of the cache for Options.CacheBytes.
func cacheBytes(opt int64) int64 {
	switch {
	case opt == 0:
		return DefaultCacheBytes
	case opt < 0:
		return 0
	}
	return opt
}

// answer is a whole encoded answer with the headers that belong to it.
type answer struct {
	body        []byte
	mediaType   string
	link        string // Link header (next and prev pages)
	disposition string // Content-Disposition (downloads)
	coded       codedForms
}

// built is what a builder of respond returns: the body and the headers that
// belong to it.
type built struct {
	body        []byte
	link        string
	disposition string
}

// jsonBuilt is the built answer of a JSON document.
func jsonBuilt(doc any) (built, error) {
	b, err := jsonBody(doc)
	return built{body: b}, err
}

// resource describes a response before its body is built.
type resource struct {
	mediaType string
	// variant tells apart representations served at one URL (the landing
	// page's JSON and HTML); it is part of the ETag.
	variant string
	// maxAge is the Cache-Control max-age; zero: no-cache (pages).
	maxAge time.Duration
	// key, when not nil, stands for the request's path and query in the
	// ETag and the cache key: requests that must get the same body (a tile
	// at two dates between the same changes; one window spelt two ways)
	// then share one entry. nil: the path and the sorted query.
	key []string
	// raw marks a body that is compressed already (a PNG, a PDF): it is
	// sent as it is, never content-coded, and never kept in the store of
	// large answers (which keeps them gzip-compressed).
	raw bool
}

// respond answers a GET or HEAD whose body depends only on the data version
// and the request. It sets a strong ETag derived from both and Cache-Control,
// answers 304 when If-None-Match matches, and otherwise writes the body:
// from the cache when it was built before at this data version, else from
// build. X-Cache says which ("hit" or "miss"). While the store is
// unavailable (state.go), an answer the cache still holds is served with
// X-Cache "stale", Cache-Control no-cache and Warning 110; one it does not
// hold fails with the store's error (503). On the routes that compress their
// own answers (selfCompressed), a client accepting gzip gets the cached gzip
// form.
func (s *server) respond(c echo.Context, r resource, build func(d *dataState) (built, error)) error {
	d, err := s.data(c)
	if err != nil {
		return err
	}
	req := c.Request()
	ck := s.answerKey(c, d, r)
	key := hex.EncodeToString(ck[:])
	ci := negotiate(req.Header.Get(echo.HeaderAcceptEncoding))
	if r.raw {
		ci = -1
	}
	// The tag names the coding negotiated (an answer too small to compress
	// is sent as it is under that tag: the same tag, the same bytes).
	tag := key
	if ci >= 0 {
		tag += codings[ci].suffix
	}
	tag = `"` + tag + `"`
	h := c.Response().Header()
	h.Set("ETag", tag)
	s.setCacheControl(h, r.maxAge)
	h.Add("Vary", echo.HeaderAcceptEncoding)
	if s.base == "" && len(s.opts.TrustedProxies) > 0 {
		h.Add("Vary", echo.HeaderXForwardedProto) // links follow the proxy's scheme
	}
	stale := isStale(c)
	if matchesETag(req.Header.Get("If-None-Match"), tag) {
		if stale {
			s.markStale(c)
		}
		return c.NoContent(http.StatusNotModified)
	}
	if z, ok := s.large.Get(ck); ok {
		s.metrics.answerLookup(true)
		return s.sendLarge(c, z, r.mediaType, ci >= 0, true, stale)
	}
	a, hit, err := s.answers.Do(req.Context(), ck, func() (*answer, int64, error) {
		b, err := build(d)
		if err != nil {
			return nil, 0, err
		}
		// Counted by capacity: what the entry holds on to.
		return &answer{body: b.body, mediaType: r.mediaType, link: b.link, disposition: b.disposition}, int64(cap(b.body)), nil
	})
	if err != nil {
		return err
	}
	s.metrics.answerLookup(hit)
	if !hit && !r.raw && !s.budget.Fits(int64(cap(a.body))) && s.large.Budget().Max() > 0 && len(a.body) >= minCompress {
		// Too large for the answers: keep its gzip form apart (Add
		// refuses it in turn if it is too large for that store), and send
		// it the way every later request for it is sent, so that its ETag
		// always names the same bytes.
		z := &largeAnswer{gz: a.encoded(codingGzip, func(int) {}), link: a.link, disposition: a.disposition}
		s.large.Add(ck, z, int64(cap(z.gz)))
		return s.sendLarge(c, z, r.mediaType, ci >= 0, false, stale)
	}
	s.answerHeaders(c, a.link, a.disposition, hit, stale)
	body := a.body
	if ci >= 0 && len(a.body) >= minCompress {
		body = a.encoded(ci, func(n int) { s.answers.Grow(ck, int64(n)) })
		h.Set(echo.HeaderContentEncoding, codings[ci].name)
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	return sendBlob(c, a.mediaType, body)
}

// sendBlob sends an answer's body: its headers and body in one write where
// the connection allows it (conn.go).
func sendBlob(c echo.Context, mediaType string, body []byte) error {
	jc := holdWrites(c.Request())
	// Should Blob panic (recoverer then writes a 500), the connection must
	// not go on holding; after the end below, this one does nothing.
	defer jc.end(nil)
	err := c.Blob(http.StatusOK, mediaType, body)
	if jc.holds() {
		jc.end(http.NewResponseController(c.Response()).Flush)
	}
	return err
}

// setCacheControl sets Cache-Control for an answer that browsers may keep
// for maxAge (zero: a page, always revalidated). With Options.SharedMaxAge
// shorter than maxAge, shared caches are held to it by s-maxage, and nginx
// by X-Accel-Expires too: nginx counts whole seconds, so s-maxage=1 alone
// would let it keep an answer up to 2 s (until the end of the second after
// the one it stored it in). X-Accel-Expires gives it the last second it may
// serve the answer in, so that it never keeps it longer than s-maxage; it
// takes precedence over Cache-Control in nginx, which does not pass it on
// to clients.
func (s *server) setCacheControl(h http.Header, maxAge time.Duration) {
	if maxAge <= 0 {
		h.Set("Cache-Control", "no-cache")
		return
	}
	secs := int64(maxAge / time.Second)
	cc := "public, max-age=" + strconv.FormatInt(secs, 10)
	if shared := int64(s.opts.SharedMaxAge / time.Second); s.opts.SharedMaxAge > 0 && max(shared, 1) < secs {
		shared = max(shared, 1)
		cc += ", s-maxage=" + strconv.FormatInt(shared, 10)
		h.Set(headerAccelExpires, "@"+strconv.FormatInt(s.now().Unix()+shared-1, 10))
	}
	h.Set("Cache-Control", cc)
}

// headerAccelExpires tells nginx until when (a Unix time in whole seconds,
// after "@") it may serve its cached copy of an answer.
const headerAccelExpires = "X-Accel-Expires"

// answerHeaders sets the headers of an answer from the cache: those that
// belong to it (Link, Content-Disposition) and X-Cache, or the marks of a
// stale answer.
func (s *server) answerHeaders(c echo.Context, link, disposition string, hit, stale bool) {
	h := c.Response().Header()
	if link != "" {
		h.Set("Link", link)
	}
	if disposition != "" {
		h.Set("Content-Disposition", disposition)
	}
	switch {
	case stale:
		s.markStale(c)
	case hit:
		h.Set("X-Cache", "hit")
	default:
		h.Set("X-Cache", "miss")
	}
}

// largeAnswer is an answer too large for the answers cache, kept compressed.
type largeAnswer struct {
	gz          []byte
	link        string
	disposition string
}

// sendLarge writes a large answer from its gzip form: as it is to a client
// accepting gzip, decompressed on the fly to any other. A large answer is
// always sent this way, so the bytes under one ETag do not depend on
// whether it was kept. hit says whether it came from the store.
func (s *server) sendLarge(c echo.Context, z *largeAnswer, mediaType string, compressed, hit, stale bool) error {
	wantGzip := compressed && acceptEncodings(c.Request().Header.Get(echo.HeaderAcceptEncoding)).accepts(codingGzip)
	h := c.Response().Header()
	s.answerHeaders(c, z.link, z.disposition, hit, stale)
	if wantGzip {
		h.Set(echo.HeaderContentEncoding, "gzip")
		h.Set("Content-Length", strconv.Itoa(len(z.gz)))
		return sendBlob(c, mediaType, z.gz)
	}
	r, err := gzip.NewReader(bytes.NewReader(z.gz))
	if err != nil {
		return err
	}
	defer r.Close()
	return c.Stream(http.StatusOK, mediaType, r)
}

// answerKey identifies an answer: a digest of the data version, the time it
// was first seen, the base URL used in links, the representation variant,
// and the path and canonical (sorted) query or r.key. It is the answer's
// cache key, and in hex the strong entity tag (without quotes nor the
// coding's suffix).
func (s *server) answerKey(c echo.Context, d *dataState, r resource) cache.Key {
	var buf [8]string // on the stack unless r.key is long
	parts := append(buf[:0], d.version, d.stampText, s.baseURL(c), r.variant)
	if r.key != nil {
		parts = append(parts, c.Path())
		parts = append(parts, r.key...)
	} else {
		parts = append(parts, c.Request().URL.EscapedPath(), c.QueryParams().Encode())
	}
	return cache.KeyOf(parts...)
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

// purgeWith returns the purge of POST /admin/cache/purge: this server's
// caches, then purge (Options.Purge) when not nil.
func (s *server) purgeWith(purge func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		s.answers.Purge()
		s.sections.Purge()
		s.features.Purge()
		s.summaries.Purge()
		s.large.Purge()
		if purge != nil {
			return purge(ctx)
		}
		return nil
	}
}
