package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

// Limits of the HTTP server NewHTTPServer builds. A slow client cannot hold
// a connection by trickling headers, and a response (a whole-layer download
// included) must be written within WriteTimeout.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 120 * time.Second
	// MaxHeaderBytes bounds the request line and headers; net/http answers
	// 431 past it.
	MaxHeaderBytes = 64 << 10
	// MaxURILength bounds the path and query; longer is 414.
	MaxURILength = 8 << 10
)

// bodyLimit bounds every request body (no endpoint takes a large one);
// larger is 413.
const bodyLimit = "1M"

// NewHTTPServer wraps h (usually New's application) in an http.Server with
// the limits above. Errors that net/http itself logs go to log at warn level.
// Its ConnContext hands the handlers the connections of a listener from
// Listen, which then send an answer's headers and body in one write.
func NewHTTPServer(h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		ConnContext:       connContext,
	}
}

// checkRequest answers 414 to a URI longer than MaxURILength and 400 to a
// query that does not decode cleanly, naming the parameter: a malformed
// percent-escape, a semicolon (which Go's parser would silently drop with
// the pair), invalid UTF-8 or a NUL character. Without it, such a parameter
// would silently be ignored or reach the store.
func checkRequest(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		req := c.Request()
		if len(req.RequestURI) > MaxURILength || len(req.URL.RawQuery) > MaxURILength {
			return echo.NewHTTPError(http.StatusRequestURITooLong,
				fmt.Sprintf("the URL is longer than %d bytes", MaxURILength))
		}
		if err := checkQuery(req.URL.RawQuery); err != nil {
			return err
		}
		return explain(c, next(c))
	}
}

// explain adds a message for the client to the errors Echo's router and
// middleware return without one.
func explain(c echo.Context, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, echo.ErrMethodNotAllowed):
		allow := c.Response().Header().Get(echo.HeaderAllow)
		return withDetail(err, "%s is not allowed here; this URL answers %s", c.Request().Method, allow)
	case errors.Is(err, echo.ErrStatusRequestEntityTooLarge):
		return withDetail(err, "the request body is larger than %sB", bodyLimit)
	}
	return err
}

// checkQuery checks every name=value pair of a raw query string.
func checkQuery(raw string) error {
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			return &geo.ParamError{Param: k, Value: v, Reason: "the parameter name is not valid percent-encoding"}
		}
		if strings.Contains(pair, ";") {
			return &geo.ParamError{Param: name, Value: v, Reason: "a semicolon does not separate parameters; use & (or write %3B for a literal semicolon)"}
		}
		if reason := badText(name); reason != "" {
			return &geo.ParamError{Param: k, Value: v, Reason: "the parameter name " + reason}
		}
		value, err := url.QueryUnescape(v)
		if err != nil {
			return &geo.ParamError{Param: name, Value: v, Reason: "not valid percent-encoding: % must be followed by two hexadecimal digits (write %25 for a literal %)"}
		}
		if reason := badText(value); reason != "" {
			return &geo.ParamError{Param: name, Value: v, Reason: "the value " + reason}
		}
	}
	return nil
}

// badText says what is wrong with a decoded name or value, or "".
func badText(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.ContainsRune(s, 0):
		return "contains a NUL character"
	}
	return ""
}
