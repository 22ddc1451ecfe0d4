package handlers

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

// retryAfterSeconds is the Retry-After of a 503 answer.
const retryAfterSeconds = "5"

// problem is an RFC 9457 problem details object. Parameter and Value name
// the query parameter at fault in a 400 answer.
type problem struct {
	Type      string  `json:"type"`
	Title     string  `json:"title"`
	Status    int     `json:"status"`
	Detail    string  `json:"detail,omitempty"`
	Instance  string  `json:"instance,omitempty"`
	Parameter string  `json:"parameter,omitempty"`
	Value     *string `json:"value,omitempty"`
	// Position is the 1-based character of the value at fault (a filter's
	// syntax), Pointer the JSON pointer of the member at fault.
	Position int    `json:"position,omitempty"`
	Pointer  string `json:"pointer,omitempty"`
}

// detailError attaches the text shown to the client to an error; the
// error handler picks the status from the wrapped error.
type detailError struct {
	detail string
	err    error
}

func (e *detailError) Error() string { return "handlers: " + e.detail + ": " + e.err.Error() }
func (e *detailError) Unwrap() error { return e.err }

// withDetail wraps err with a message for the client.
func withDetail(err error, format string, args ...any) error {
	return &detailError{detail: fmt.Sprintf(format, args...), err: err}
}

// errorHandler returns the one Echo HTTPErrorHandler of the server: it turns
// every error a handler returns into a status code and a problem+json body.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		req := c.Request()
		if c.Response().Committed {
			log.Warn("handlers: error after the response started", "method", req.Method, "path", req.URL.Path, "err", err)
			return
		}
		p := toProblem(err)
		p.Instance = req.URL.RequestURI()
		h := c.Response().Header()
		switch {
		case p.Status >= 500 && errors.Is(err, context.Canceled):
			log.Debug("handlers: client went away", "method", req.Method, "path", req.URL.Path, "err", err)
		case p.Status == http.StatusInternalServerError:
			log.Error("handlers: request failed", "method", req.Method, "uri", logURI(req.URL), "request_id", h.Get(headerRequestID), "err", err)
		case p.Status == http.StatusServiceUnavailable:
			log.Warn("handlers: store unavailable", "method", req.Method, "uri", logURI(req.URL), "request_id", h.Get(headerRequestID), "err", err)
		}
		for _, k := range []string{"ETag", "Link", "Content-Disposition", "Last-Modified", headerAccelExpires} {
			h.Del(k)
		}
		h.Set("Cache-Control", "no-store")
		if p.Status == http.StatusServiceUnavailable {
			h.Set("Retry-After", retryAfterSeconds)
		}
		body, mErr := jsonBody(p)
		if mErr != nil {
			body = []byte(`{"type":"about:blank","title":"Internal Server Error","status":500}` + "\n")
		}
		if wErr := c.Blob(p.Status, MediaProblem, body); wErr != nil {
			log.Debug("handlers: write error response", "err", wErr)
		}
	}
}

// toProblem maps an error to its problem: geo.ErrNotFound 404,
// geo.ErrInvalidQuery 400, geo.ErrUnavailable and timeouts 503, an
// *echo.HTTPError its own code, anything else 500 with a generic message.
func toProblem(err error) problem {
	var (
		pe     *geo.ParamError
		he     *echo.HTTPError
		detail *detailError
	)
	p := problem{Type: "about:blank"}
	if errors.As(err, &detail) {
		p.Detail = detail.detail
	}
	switch {
	case errors.As(err, &pe):
		p.Status = http.StatusBadRequest
		p.Parameter = pe.Param
		v := pe.Value
		p.Value = &v
		p.Position, p.Pointer = pe.Position, pe.Pointer
		if p.Detail == "" {
			p.Detail = fmt.Sprintf("parameter %s=%q: %s", pe.Param, pe.Value, pe.Reason)
		}
	case errors.Is(err, geo.ErrInvalidQuery):
		p.Status = http.StatusBadRequest
		if p.Detail == "" {
			p.Detail = strings.TrimPrefix(err.Error(), "geo: ")
		}
	case errors.Is(err, geo.ErrNotFound):
		p.Status = http.StatusNotFound
		if p.Detail == "" {
			p.Detail = "not found"
		}
	case errors.Is(err, geo.ErrUnavailable), errors.Is(err, context.DeadlineExceeded), errors.Is(err, context.Canceled):
		p.Status = http.StatusServiceUnavailable
		p.Detail = "the data store is not answering; try again shortly"
	case errors.As(err, &he):
		p.Status = he.Code
		if msg, ok := he.Message.(string); ok && msg != http.StatusText(he.Code) {
			p.Detail = msg
		}
	default:
		p.Status = http.StatusInternalServerError
		p.Detail = "the server failed to answer; the error is logged"
	}
	p.Title = http.StatusText(p.Status)
	if p.Title == "" {
		p.Title = "Error"
	}
	return p
}
