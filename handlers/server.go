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
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"github.com/controlmap/controlmap/geo"
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
}

// Defaults of Options.
const (
	defaultMaxAge     = 10 * time.Second
	defaultMaxAgePast = time.Hour
	bodyLimit         = "1M"
)

// server holds what every handler needs. It is safe for concurrent use.
type server struct {
	store geo.Store
	opts  Options
	log   *slog.Logger
	now   func() time.Time
	clock *versionClock
	base  string     // BaseURL without a trailing slash; "" when not set
	echo  *echo.Echo // the router, whose routes /api lists
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
	s.clock = &versionClock{now: s.now}

	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	e.HTTPErrorHandler = errorHandler(s.log)
	e.Pre(middleware.RemoveTrailingSlash())
	e.Use(recoverer(s.log), securityHeaders, corsOpen(), middleware.Gzip(), middleware.BodyLimit(bodyLimit))

	registerPages(e, store, opts)
	get := func(path string, h echo.HandlerFunc) {
		e.GET(path, h)
		e.HEAD(path, h)
	}
	get("/", s.landing)
	get("/conformance", s.conformance)
	get("/api", s.openAPI)
	get("/api.html", s.apiDoc)
	get("/collections", s.collections)
	get("/collections/:collectionId", s.collection)
	get("/collections/:collectionId/items", s.items)
	get("/collections/:collectionId/items/:featureId", s.item)
	get("/collections/:collectionId/schema", s.schema)
	get("/timeline", s.timeline)
	get("/healthz", s.healthz)
	get("/readyz", s.readyz)
	get("/version", s.version)
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
// newsrooms embed the map.
func securityHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
		return next(c)
	}
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
