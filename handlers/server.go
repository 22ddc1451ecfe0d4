// Package handlers serves the geo.Store over HTTP with Echo: OGC API –
// Features (Part 1, Core, with GeoJSON and OpenAPI 3.0), whole-layer GeoJSON
// downloads, the timeline, health checks and the map pages.
//
// Handlers see only the geo.Store interface. Each returns an error; one
// HTTPErrorHandler (errors.go) turns errors into RFC 9457 problem bodies.
// Every successful GET carries a strong ETag derived from the store's data
// version and the request, so If-None-Match is answered with 304 without
// building the body (cache.go).
package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/render"
	"github.com/controlmap/controlmap/internal/cache"
)

// Options configures the HTTP layer. The zero value is usable.
type Options struct {
	// BaseURL, when set, is the external URL used in links (e.g. behind a
	// proxy), such as "https://example.org/map". When empty, links use the
	// request's Host and http (https when the connection is TLS).
	BaseURL string
	// TileURL and TileAttribution configure an optional raster basemap.
	TileURL         string
	TileAttribution string

	// Logger receives errors the server cannot show the client. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now. Tests fix it so that
	// timeStamp members and Cache-Control are stable.
	Now func() time.Time
	// CacheMaxAge is the Cache-Control max-age of answers that may change
	// soon: anything touching today or an open-ended time. Zero means 10 s.
	CacheMaxAge time.Duration
	// CacheMaxAgePast is the max-age of answers about dates wholly in the
	// past, which change only when an editor corrects the record. Zero means 1 h.
	CacheMaxAgePast time.Duration
	// SharedMaxAge, when positive, bounds how long a shared cache in front
	// of the server (a reverse proxy, a CDN) may keep an answer: answers
	// with a longer max-age also carry s-maxage (whole seconds, at least
	// 1), and X-Accel-Expires saying the same to nginx, whose clock counts
	// whole seconds (cache.go). Zero sends neither: shared caches then
	// keep answers as long as browsers do.
	SharedMaxAge time.Duration

	// AdminToken, when not empty, enables the admin endpoints (POST
	// /admin/reload, /admin/cache/purge and /admin/runtime/gc), which require the header
	// "Authorization: Bearer <AdminToken>". When empty they do not exist (404).
	AdminToken string
	// Reload re-reads the served data for POST /admin/reload; nil means there
	// is nothing to reload (the endpoint answers 501).
	Reload func(ctx context.Context) error
	// Purge empties other server-side caches for POST /admin/cache/purge,
	// after the server's own (CacheBytes); nil with CacheBytes negative means
	// there are none (the endpoint answers that there was nothing to purge).
	Purge func(ctx context.Context) error
	// RateLimit limits requests per client address; the zero value is off.
	RateLimit RateLimit
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the
	// client (for rate limits and logs). Empty: the TCP peer is the client.
	TrustedProxies []netip.Prefix
	// CacheBytes bounds the cache of encoded answers, features and tiles
	// (cache.go, sections.go). Zero means DefaultCacheBytes; negative turns
	// it off.
	CacheBytes int64
	// LargeCacheBytes bounds the store of answers too large for that cache
	// (whole-layer downloads), kept gzip-compressed, each up to half of it.
	// Zero means half the cache's size (so off when the cache is off);
	// negative turns it off.
	LargeCacheBytes int64
	// Workers bounds how many answers missing from the cache are computed
	// at once when the store answers from memory (geo.LocalStore): pages
	// of features and tiles (work.go). Zero means GOMAXPROCS; negative
	// means no bound. Other stores are not bounded: their calls wait on a
	// database, which queues work itself.
	Workers int
	// Metrics is the registry /metrics exposes; New registers its series
	// there. Nil means a registry of its own (never the global default).
	Metrics *prometheus.Registry
}

// Defaults of Options.
const (
	defaultMaxAge     = 10 * time.Second
	defaultMaxAgePast = time.Hour
)

// server holds what every handler needs. It is safe for concurrent use.
type server struct {
	store geo.Store
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	base  string     // BaseURL without a trailing slash; "" when not set
	echo  *echo.Echo // the router, whose routes /api lists

	metrics *metrics
	limiter *rateLimiter // nil when rate limiting is off
	pages   *pages       // the map page, the widget and oEmbed (pages.go)
	// compressed are the routes whose answers respond compresses itself;
	// written only by New.
	compressed map[string]bool
	ready      *readiness // the shared ping of /readyz (health.go)

	// state is the last data state loaded (state.go); while the store is
	// unavailable, answers are served stale at its version. loading lets
	// one load run at a time.
	state   atomic.Pointer[dataState]
	loading chan struct{}

	// The caches of answers and what they are built from, on one budget
	// (cache.go, sections.go), and the store of large answers.
	budget    *cache.Budget
	answers   *cache.Cache[cache.Key, *answer]
	sections  *cache.Cache[cache.Key, *featuresSection]
	features  *cache.Cache[cache.Key, []byte]
	summaries *cache.Cache[cache.Key, string]    // the pages' text summaries
	areas     *cache.Cache[cache.Key, *areaPart] // analytics areas by epoch
	large     *cache.Cache[cache.Key, *largeAnswer]

	// The renderer of pictures (render.go), made on first use.
	renderOnce sync.Once
	renderDraw *render.Renderer
	renderErr  error
	// renderJobs holds a token while a picture is read from the store and
	// drawn, so that requests waiting to be drawn hold no scene: memory is
	// that of GOMAXPROCS pictures however many are asked at once.
	renderJobs chan struct{}
	// work gives turns to compute pages and tiles when the store answers
	// from memory (work.go); nil when computing is not bounded.
	work *workTurns
	// local: the store answers from memory (geo.LocalStore), and so is
	// never asked which features the server holds encoded (sections.go).
	local bool
}

// New builds the Echo application serving store.
func New(store geo.Store, opts Options) *echo.Echo {
	s := &server{store: store, opts: opts, log: opts.Logger, now: opts.Now,
		base: strings.TrimRight(opts.BaseURL, "/")}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.opts.CacheMaxAge <= 0 {
		s.opts.CacheMaxAge = defaultMaxAge
	}
	if s.opts.CacheMaxAgePast <= 0 {
		s.opts.CacheMaxAgePast = defaultMaxAgePast
	}
	s.loading = make(chan struct{}, 1)
	_, s.local = store.(geo.LocalStore)
	s.work = newWorkTurns(s.local, opts.Workers)
	s.ready = newReadiness(store.Ping, time.Now, readyTTL)
	s.budget = cache.NewBudget(cacheBytes(opts.CacheBytes))
	s.answers = cache.New[cache.Key, *answer](s.budget)
	s.sections = cache.New[cache.Key, *featuresSection](s.budget)
	s.features = cache.New[cache.Key, []byte](s.budget)
	s.summaries = cache.New[cache.Key, string](s.budget)
	s.areas = cache.New[cache.Key, *areaPart](s.budget)
	largeMax := cacheBytes(opts.LargeCacheBytes)
	if opts.LargeCacheBytes == 0 {
		largeMax = s.budget.Max() / 2
	}
	s.large = cache.New[cache.Key, *largeAnswer](cache.NewBudgetEntries(largeMax, largeMax/2))
	if s.budget.Max() > 0 || largeMax > 0 {
		s.opts.Purge = s.purgeWith(opts.Purge)
	}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(s.log)
	e.IPExtractor = ipExtractor(opts.TrustedProxies)
	s.metrics = newMetrics(opts.Metrics, store, s.log)
	s.metrics.trackCache(s.budget, s.large.Budget())
	s.metrics.trackWork(s.work)
	e.Pre(middleware.RemoveTrailingSlash())
	// Outermost first: the request id and the access log and metrics see
	// every answer, 429s and panics included; the rate limit runs before any
	// work; the Gzip middleware sits above the counter of bytes sent.
	e.Use(requestID, s.observe, recoverer(s.log), securityHeaders, corsOpen())
	if rl := s.rateLimit(opts.RateLimit); rl != nil {
		e.Use(rl)
		s.metrics.trackLimiter(s.limiter)
	}
	// What goes through respond (cache.go) is compressed there, once per
	// cached answer; the Gzip middleware compresses the rest.
	s.compressed = map[string]bool{}
	gzip := middleware.GzipWithConfig(middleware.GzipConfig{Skipper: func(c echo.Context) bool { return s.compressed[c.Path()] }})
	e.Use(checkRequest, gzip, middleware.BodyLimit(bodyLimit))

	get := func(path string, h echo.HandlerFunc) {
		e.GET(path, h)
		e.HEAD(path, h)
	}
	// cached registers a route whose answers go through respond.
	cached := func(path string, h echo.HandlerFunc) {
		s.compressed[path] = true
		get(path, h)
	}
	s.registerPages(e, cached)
	cached("/", s.landing)
	cached("/conformance", s.conformance)
	cached("/api", s.openAPI)
	cached("/api.html", s.apiDoc)
	cached("/collections", s.collections)
	cached("/collections/:collectionId", s.collection)
	cached("/collections/:collectionId/items", s.items)
	cached("/collections/:collectionId/items/:featureId", s.item)
	cached("/collections/:collectionId/schema", s.schema)
	cached("/collections/:collectionId/queryables", s.queryables)
	s.registerTiles(cached)
	cached("/timeline", s.timeline)
	cached("/analytics/area", s.analyticsArea)
	cached("/analytics/change", s.analyticsChange)
	s.registerRender(cached)
	get("/healthz", s.healthz)
	get("/readyz", s.readyz)
	get("/version", s.version)
	get("/metrics", s.serveMetrics)
	s.registerAdmin(e)
	s.echo = e
	return e
}

// recoverer turns a panic in a handler into a 500 problem and logs it.
func recoverer(log *slog.Logger) echo.MiddlewareFunc {
	return middleware.RecoverWithConfig(middleware.RecoverConfig{
		DisableStackAll: true, // the panicking goroutine's stack only
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			log.Error("handlers: panic", "method", c.Request().Method, "uri", c.Request().URL.RequestURI(), "err", err, "stack", string(stack))
			return err
		},
	})
}

// securityHeaders sets headers every response carries. Frames are allowed:
// newsrooms embed the map (pages.go sets the pages' own CSP and frame
// headers). GET answers may be read cross-origin (embeds, notebooks, GIS
// clients); anything else only same-origin. A JSON or plain-text answer
// without a CSP of its own gets one that forbids everything, so a payload
// echoed in an error message can never run, even if a browser renders it.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		corp := "same-origin"
		switch c.Request().Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			corp = "cross-origin"
		}
		setHeaders(h, "X-Content-Type-Options", "nosniff", "Referrer-Policy", "strict-origin-when-cross-origin",
			"Permissions-Policy", permissionsPolicy, "Cross-Origin-Resource-Policy", corp)
		c.Response().Before(func() {
			if h.Get("Content-Security-Policy") != "" {
				return
			}
			switch ct := h.Get(echo.HeaderContentType); {
			case isDataMedia(ct):
				h.Set("Content-Security-Policy", apiCSP)
			case strings.HasPrefix(ct, "image/svg+xml"):
				// An SVG opened on its own is a document: its styles may
				// apply, nothing may run or load.
				h.Set("Content-Security-Policy", svgCSP)
			}
		})
		return next(c)
	}
}

// setHeaders sets headers from kv (name, value, name, value...) with one
// allocation for all the values rather than one each, as Set would. Every
// name must be in canonical form (http.CanonicalHeaderKey): it is used as
// the map key as it is.
func setHeaders(h http.Header, kv ...string) {
	vs := make([]string, len(kv)/2)
	for i := range vs {
		vs[i] = kv[2*i+1]
		h[kv[2*i]] = vs[i : i+1 : i+1]
	}
}

// Security header values.
const (
	// apiCSP is the policy of JSON and text answers: nothing may load or run,
	// and no page may frame them.
	apiCSP = "default-src 'none'; frame-ancestors 'none'"
	// svgCSP is the policy of the pictures in SVG (/render.svg).
	svgCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"
	// permissionsPolicy turns off browser features the map never uses.
	permissionsPolicy = "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), payment=(), usb=(), browsing-topics=()"
)

// isDataMedia reports whether a Content-Type is an API answer (any JSON,
// plain text such as /metrics) or absent (304, 204), rather than a page,
// script, style sheet or image.
func isDataMedia(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.TrimSpace(strings.ToLower(ct))
	return ct == "" || ct == "text/plain" || ct == MediaJSON || strings.HasSuffix(ct, "+json")
}

// corsOpen lets any origin GET and HEAD (embeds and notebooks need it).
func corsOpen() echo.MiddlewareFunc {
	return middleware.CORSWithConfig(middleware.CORSConfig{
		AllowOrigins:  []string{"*"},
		AllowMethods:  []string{http.MethodGet, http.MethodHead, http.MethodOptions},
		ExposeHeaders: []string{"ETag", "Link", "Content-Disposition", "Retry-After"},
		MaxAge:        86400,
	})
}
