package handlers

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
)

// readyTimeout bounds how long /readyz waits for the store.
const readyTimeout = 2 * time.Second

// healthz serves /healthz: 200 whenever the process can answer.
func (s *server) healthz(c echo.Context) error {
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

// readyz serves /readyz: 200 when the store answers a ping, 503 otherwise.
func (s *server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), readyTimeout)
	defer cancel()
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("handlers: readiness: %w: %w", geo.ErrUnavailable, err)
	}
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusOK, map[string]string{"status": "ready"})
}
