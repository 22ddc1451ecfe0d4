package postgis_test

import (
	"testing"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/postgis/pgtest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// TestContract runs the contract suite every geo.Store must pass against a
// database holding the storetest fixture.
func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T, ds *geo.Dataset) geo.Store {
		return pgtest.NewStore(t, ds)
	})
}

// TestEncoding checks the properties Import encodes against writing the
// values the store decodes, on hostile values imported into a database.
func TestEncoding(t *testing.T) {
	storetest.RunEncoding(t, func(t *testing.T, ds *geo.Dataset) geo.Store {
		return pgtest.NewStore(t, ds)
	})
}

func TestAnalyticsContract(t *testing.T) {
	storetest.RunAnalytics(t, func(t *testing.T, ds *geo.Dataset) geo.AnalyticsStore { return pgtest.NewStore(t, ds) })
}
