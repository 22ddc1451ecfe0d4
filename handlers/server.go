// Package handlers serves the geo.Store over HTTP with Echo: OGC API –
// Features, GeoJSON downloads, the timeline, and the map pages.
package handlers

import (
	"net/http"

	"github.com/controlmap/controlmap/geo"
	"github.com/labstack/echo/v4"
)

// Options configures the HTTP layer. The zero value is usable.
type Options struct {
	// BaseURL, when set, is the external URL used in links (e.g. behind a proxy).
	BaseURL string
	// TileURL and TileAttribution configure an optional raster basemap.
	TileURL         string
	TileAttribution string
}

// New builds the Echo application serving store.
func New(store geo.Store, opts Options) *echo.Echo {
	e := echo.New()
	e.HideBanner = true
	e.HidePort = true
	registerPages(e, store, opts)
	e.GET("/", serveIndex)
	e.GET("/healthz", func(c echo.Context) error {
		return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
	})
	return e
}
