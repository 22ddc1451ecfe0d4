package memory

import (
	"context"

	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/mvt"
)

var _ geo.TileStore = (*Store)(nil)

// Tile renders tile t of the collection's features matching q's time,
// property filters and CQL2 filter with geo/mvt. The spatial index finds the features whose
// bound meets the tile and its buffer (geo.TileBound), which are then tested
// exactly, as a bbox query would be; they are drawn in id order.
func (s *Store) Tile(ctx context.Context, collection string, t maptile.Tile, q geo.Query) ([]byte, error) {
	c, err := s.lookup(ctx, collection)
	if err != nil {
		return nil, err
	}
	bound := geo.TileBound(t)
	q.BBox, q.Limit, q.Offset = &bound, 0, 0
	l := mvt.NewLayer(collection, t)
	defer l.Release()
	found := inOrder(c.index.search(bound, nil), len(c.recs))
	l.Expect(len(found), c.tileStrings(len(found)))
	for _, i := range found {
		if c.match(i, &q) {
			r := &c.recs[i]
			l.Add(r.geom, c.bound(i), c.tileProperties(r))
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return l.Tile(), nil
}

// tileStrings is about how many distinct strings a tile of n candidates
// looks up in its table of values (mvt.Layer.Expect): one a candidate (its
// id, or another string), or when ids are written apart, no more than the
// collection's distinct string values and validity ends. A table sized for
// the ids it no longer holds would be dropped by the pool as barely used
// (mvt.KeepTable) and made again for each tile.
func (c *collection) tileStrings(n int) int {
	if !c.distinctIDs {
		return n
	}
	return min(n, c.strVals+2*len(c.valids))
}
