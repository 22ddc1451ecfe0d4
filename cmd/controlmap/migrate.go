package main

import (
	"context"
	"fmt"

	"github.com/controlmap/controlmap/geo/postgis"
)

// migrate applies the PostGIS schema migrations.
func migrate(ctx context.Context, cfg Config, s sys) error {
	if err := postgis.Migrate(ctx, cfg.AdminDatabaseURL); err != nil {
		return fmt.Errorf("controlmap migrate: %w", err)
	}
	fmt.Fprintln(s.stdout, "database schema is up to date")
	return nil
}
