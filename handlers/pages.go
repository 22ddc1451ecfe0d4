package handlers

import (
	"io/fs"
	"net/http"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/static"
	"github.com/labstack/echo/v4"
)

// registerPages adds the routes a person's browser uses: static assets under
// /static/ and the pages. The landing route "/" is shared with the OGC API and
// calls serveIndex for browsers.
func registerPages(e *echo.Echo, store geo.Store, opts Options) {
	assets, _ := fs.Sub(static.FS, ".")
	e.GET("/static/*", echo.WrapHandler(http.StripPrefix("/static/", http.FileServer(http.FS(assets)))))
}

// serveIndex writes the map page.
func serveIndex(c echo.Context) error {
	b, err := fs.ReadFile(static.FS, "index.html")
	if err != nil {
		return err
	}
	return c.HTMLBlob(http.StatusOK, b)
}
