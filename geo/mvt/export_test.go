package mvt

import (
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
)

// FreshLayerForTest is a layer made anew, not taken from the pool of
// layers given back (Release).
func FreshLayerForTest(name string, t maptile.Tile) *Layer {
	return &Layer{p: newProjector(t), bound: geo.TileBound(t), dp: &simplifier{threshold: 1}, w: newLayerWriter(name)}
}
