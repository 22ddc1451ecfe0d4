package handlers

import (
	"crypto/rand"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// headerRequestID carries the request id, from a proxy in front and back to
// the client.
const headerRequestID = echo.HeaderXRequestID

// maxLogValue bounds a logged path or query, so a hostile long URL cannot
// flood the logs.
const maxLogValue = 512

// quietRoutes are probed every few seconds by orchestrators and Prometheus;
// their successful answers are logged at debug level.
func quietRoutes() []string { return []string{"/healthz", "/readyz", "/metrics"} }

// requestID gives every request an id: the client's (or proxy's) X-Request-ID
// when it is short and plain, else a new random one. The response carries it
// in X-Request-ID; the access log and error logs name it.
func requestID(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		id := c.Request().Header.Get(headerRequestID)
		if !validRequestID(id) {
			id = rand.Text()
		}
		c.Response().Header().Set(headerRequestID, id)
		return next(c)
	}
}

// validRequestID accepts 1 to 128 letters, digits and ._:- only.
func validRequestID(id string) bool {
	if id == "" || len(id) > 128 {
		return false
	}
	for _, r := range id {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9' || strings.ContainsRune("._:-", r)) {
			return false
		}
	}
	return true
}

// countingWriter counts the bytes written through it: placed under the Gzip
// middleware, the bytes sent on the wire.
type countingWriter struct {
	http.ResponseWriter
	n int64
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Flush passes a flush on (server-sent events, streamed downloads).
func (w *countingWriter) Flush() { _ = http.NewResponseController(w.ResponseWriter).Flush() }

// Unwrap lets http.ResponseController reach the connection's writer.
func (w *countingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe writes one access log line per request and records its metrics.
// It runs the error handler itself, so that the status logged and counted is
// the one sent. The line has the method, route template, path, query (with
// secret-looking values redacted), status, bytes sent, duration, request id,
// client address and user agent; never a request header such as
// Authorization. The route is the router's path template, or "unmatched".
func (s *server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		res := c.Response()
		cw := &countingWriter{ResponseWriter: res.Writer}
		res.Writer = cw
		s.metrics.inFlight.Inc()
		defer s.metrics.inFlight.Dec()

		if err := next(c); err != nil {
			c.Error(err)
		}
		took := time.Since(start)
		req := c.Request()
		status := res.Status // 200 also when the handler wrote nothing: net/http sends that
		route := s.metrics.routeLabel(s.echo, c.Path())
		s.metrics.observe(req.Method, route, status, cw.n, took, res.Header().Get("ETag") != "")

		level := slog.LevelInfo
		switch {
		case status >= 500:
			level = slog.LevelWarn
		case status < 400 && isQuiet(req.URL.Path):
			level = slog.LevelDebug
		}
		if !s.log.Enabled(req.Context(), level) {
			return nil
		}
		s.log.LogAttrs(req.Context(), level, "request",
			slog.String("method", req.Method),
			slog.String("route", route),
			slog.String("path", clip(req.URL.EscapedPath())),
			slog.String("query", clip(redactQuery(req.URL.RawQuery))),
			slog.Int("status", status),
			slog.Int64("bytes", cw.n),
			slog.Float64("duration_ms", float64(took.Microseconds())/1000),
			slog.String("request_id", res.Header().Get(headerRequestID)),
			slog.String("remote", c.RealIP()),
			slog.String("user_agent", clip(req.UserAgent())),
		)
		return nil
	}
}

func isQuiet(path string) bool {
	for _, p := range quietRoutes() {
		if path == p {
			return true
		}
	}
	return false
}

// clip shortens s to maxLogValue bytes.
func clip(s string) string {
	if len(s) <= maxLogValue {
		return s
	}
	return s[:maxLogValue] + "…"
}

// redactQuery replaces the value of every parameter whose name suggests a
// secret (token, key, password, ...) with REDACTED. This API takes no such
// parameter, but a client may append one by mistake. The query is returned
// as sent otherwise, still percent-encoded.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	pairs := strings.Split(raw, "&")
	for i, pair := range pairs {
		k, _, hasValue := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if hasValue && secretName(name) {
			pairs[i] = k + "=REDACTED"
		}
	}
	return strings.Join(pairs, "&")
}

// logURI is the path and query of u as logs show them: clipped, with
// secret-looking query values redacted.
func logURI(u *url.URL) string {
	if u.RawQuery == "" {
		return clip(u.EscapedPath())
	}
	return clip(u.EscapedPath() + "?" + redactQuery(u.RawQuery))
}

// secretName reports whether a parameter name suggests a credential.
func secretName(name string) bool {
	name = strings.ToLower(name)
	for _, w := range []string{"token", "key", "secret", "pass", "auth", "sig", "session", "credential", "cookie"} {
		if strings.Contains(name, w) {
			return true
		}
	}
	return false
}
