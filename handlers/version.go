package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

// versionBody is the answer of /version.
type versionBody struct {
	// Version is the store's data version, the one every ETag is derived
	// from; null while the store cannot answer.
	Version *string `json:"version"`
	// Ready says whether the store answers now.
	Ready bool `json:"ready"`
}

// version serves /version: the data version and whether the store answers,
// never cached, so that a page can poll it cheaply and refetch what it shows
// when the version changes. An unavailable store is ready: false with 200,
// not an error: the poller just tries again later.
func (s *server) version(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	v, err := s.store.Version(ctx)
	switch {
	case err == nil:
		return c.JSON(http.StatusOK, versionBody{Version: &v, Ready: true})
	case errors.Is(err, geo.ErrUnavailable), errors.Is(err, context.DeadlineExceeded) && c.Request().Context().Err() == nil:
		s.log.Debug("handlers: version: store unavailable", "err", err)
		return c.JSON(http.StatusOK, versionBody{Ready: false})
	default:
		return err
	}
}

// versionOperation documents /version in the OpenAPI document.
func versionOperation() *oaOperation {
	return &oaOperation{
		Tags: []string{"Operations"}, Summary: "The data version, for clients polling for changes", OperationID: "getVersion",
		Description: "Cheap and never cached (Cache-Control: no-store). version changes whenever any feature or " +
			"collection changes, and with it every ETag; it is null, and ready false, while the data store " +
			"cannot answer (still 200: poll again later).",
		Responses: map[string]oaResponse{
			"200": {Description: "The version", Content: map[string]oaMedia{MediaJSON: {Schema: &oaSchema{
				Type: "object", Required: []string{"version", "ready"},
				Properties: map[string]*oaSchema{
					"version": {Type: "string", Nullable: true, Description: "Opaque; compare for equality only"},
					"ready":   {Type: "boolean", Description: "Whether the data store answers now"},
				},
			}}}},
		},
	}
}
