package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

// adminRealm is the realm of the admin endpoints' WWW-Authenticate challenge.
const adminRealm = `Bearer realm="controlmap admin"`

// registerAdmin adds the admin endpoints, only when a token is configured:
// without one, /admin/... is 404 like any unknown path. They are not in the
// public OpenAPI document; docs/operations.md describes them.
func (s *server) registerAdmin(e *echo.Echo) {
	if s.opts.AdminToken == "" {
		return
	}
	auth := requireToken(s.opts.AdminToken, s)
	e.POST("/admin/reload", s.adminReload, auth)
	e.POST("/admin/cache/purge", s.adminPurge, auth)
	e.POST("/admin/runtime/gc", s.adminGC, auth)
}

// requireToken lets a request through only with "Authorization: Bearer
// token". The comparison takes the same time whatever the token sent (both
// sides are hashed first, so not even the length leaks). Anything else is
// 401 with a WWW-Authenticate challenge.
func requireToken(token string, s *server) echo.MiddlewareFunc {
	want := sha256.Sum256([]byte(token))
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			h := c.Response().Header()
			auth := c.Request().Header.Get(echo.HeaderAuthorization)
			if auth == "" {
				h.Set(echo.HeaderWWWAuthenticate, adminRealm)
				return withDetail(echo.ErrUnauthorized, "this endpoint needs the header Authorization: Bearer <admin token>")
			}
			scheme, sent, _ := strings.Cut(auth, " ")
			got := sha256.Sum256([]byte(strings.TrimSpace(sent)))
			if !strings.EqualFold(scheme, "Bearer") || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
				h.Set(echo.HeaderWWWAuthenticate, adminRealm+`, error="invalid_token"`)
				s.log.Warn("handlers: admin request refused: wrong token", "path", c.Request().URL.Path,
					"remote", c.RealIP(), "request_id", h.Get(headerRequestID))
				return withDetail(echo.ErrUnauthorized, "the admin token is wrong")
			}
			return next(c)
		}
	}
}

// adminStatus is the body of a successful admin answer.
type adminStatus struct {
	Status  string `json:"status"`
	Version string `json:"version,omitempty"`
	Detail  string `json:"detail,omitempty"`
}

// adminReload serves POST /admin/reload: Options.Reload under the
// request's context, then the store's new data version. 501 when the server
// has nothing to reload; 503 when the request ended (the client went away)
// before the reload finished, which then keeps the previous data.
func (s *server) adminReload(c echo.Context) error {
	if err := noInput(c); err != nil {
		return err
	}
	if s.opts.Reload == nil {
		return echo.NewHTTPError(http.StatusNotImplemented,
			"this server has nothing to reload (it serves the embedded dataset; reload applies to a --data folder or PostGIS)")
	}
	ctx := c.Request().Context()
	if err := s.opts.Reload(ctx); err != nil {
		if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
			s.log.Warn("handlers: reload via /admin/reload cancelled: the request ended first; still serving the previous data",
				"remote", c.RealIP(), "request_id", c.Response().Header().Get(headerRequestID), "err", err)
			return echo.NewHTTPError(http.StatusServiceUnavailable,
				"reload cancelled before it finished; still serving the previous data")
		}
		if errors.Is(err, geo.ErrUnavailable) {
			return err
		}
		return echo.NewHTTPError(http.StatusInternalServerError,
			"reload failed; still serving the previous data: "+err.Error()).SetInternal(err)
	}
	version, err := s.store.Version(ctx)
	if err != nil {
		return err
	}
	s.log.Info("handlers: reloaded via /admin/reload", "version", version, "remote", c.RealIP(),
		"request_id", c.Response().Header().Get(headerRequestID))
	return adminJSON(c, adminStatus{Status: "reloaded", Version: version})
}

// adminPurge serves POST /admin/cache/purge: Options.Purge, which empties
// the server-side caches. Without one the server keeps no cache whose
// entries could be stale (ETags follow the data version), so there is
// nothing to do.
func (s *server) adminPurge(c echo.Context) error {
	if err := noInput(c); err != nil {
		return err
	}
	if s.opts.Purge == nil {
		return adminJSON(c, adminStatus{Status: "ok", Detail: "this server keeps no response cache; nothing to purge"})
	}
	if err := s.opts.Purge(c.Request().Context()); err != nil {
		return err
	}
	s.log.Info("handlers: caches purged via /admin/cache/purge", "remote", c.RealIP(),
		"request_id", c.Response().Header().Get(headerRequestID))
	return adminJSON(c, adminStatus{Status: "purged"})
}

// runtimeStats is the body of POST /admin/runtime/gc: the Go runtime's
// numbers right after a full collection, which a leak check compares
// before and after a load (bench/loadtest).
type runtimeStats struct {
	Status         string `json:"status"`
	Goroutines     int    `json:"goroutines"`
	HeapAllocBytes uint64 `json:"heap_alloc_bytes"` // live heap objects
	HeapInuseBytes uint64 `json:"heap_inuse_bytes"`
	HeapObjects    uint64 `json:"heap_objects"`
	SysBytes       uint64 `json:"sys_bytes"` // obtained from the OS
	NumGC          uint32 `json:"num_gc"`
}

// adminGC serves POST /admin/runtime/gc: it runs a full garbage collection,
// returns freed memory to the operating system, and reports the runtime's
// numbers. It costs a stop of the world of a few milliseconds, hence the
// token.
func (s *server) adminGC(c echo.Context) error {
	if err := noInput(c); err != nil {
		return err
	}
	debug.FreeOSMemory() // collects first
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, runtimeStats{
		Status: "collected", Goroutines: runtime.NumGoroutine(),
		HeapAllocBytes: m.HeapAlloc, HeapInuseBytes: m.HeapInuse, HeapObjects: m.HeapObjects,
		SysBytes: m.Sys, NumGC: m.NumGC,
	})
}

// noInput rejects a query parameter or a body: the admin endpoints take
// neither.
func noInput(c echo.Context) error {
	if _, err := strictParams(c.QueryParams(), nil, nil); err != nil {
		return err
	}
	var one [1]byte
	if n, _ := io.ReadFull(c.Request().Body, one[:]); n > 0 {
		return echo.NewHTTPError(http.StatusBadRequest, "this endpoint takes no request body")
	}
	return nil
}

func adminJSON(c echo.Context, v adminStatus) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, v)
}
