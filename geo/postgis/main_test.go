package postgis_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/controlmap/controlmap/geo/postgis/pgtest"
)

// TestMain says loudly, once, when the database tests of this package will be
// skipped, so a plain `go test` (without -v) does not hide it. Under CI=true
// the tests fail instead (see pgtest). It drops the benchmarks' database.
func TestMain(m *testing.M) {
	if err := pgtest.Available(context.Background()); err != nil && !pgtest.RequireCI() {
		fmt.Fprintf(os.Stderr, "\n*** PostGIS tests of geo/postgis SKIPPED: %v\n*** (run scripts/pg-setup.sh or set %s; CI=true makes this a failure)\n\n", err, pgtest.EnvURL)
	}
	code := m.Run()
	if err := dropScaleDB(); err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}
