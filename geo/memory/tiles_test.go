package memory_test

import (
	"testing"

	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/mvt/mvttest"
	"github.com/controlmap/controlmap/geo/storetest"
)

func TestTiles(t *testing.T) {
	mvttest.Run(t, memory.New(storetest.Fixture()))
}
