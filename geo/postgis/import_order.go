package postgis

import "github.com/paulmach/orb"

// The order in which Import writes a collection's new rows: by their
// places on a Hilbert curve, so that the rows a box or a tile reads lie on
// few pages of the table.

// placedRow is a row of import_rows with its feature's importPlace.
type placedRow struct {
	place int64
	row   []any
}

// importPlace is the place of the centre of a feature's bound b on a
// Hilbert curve through a grid of 2^16 × 2^16 cells over all longitudes
// and latitudes (a centre outside them takes the nearest cell). Features
// inserted in this order lie in the table near those near them: a tile of
// the scale dataset's points at z10 read its rows from fewer pages, and
// PostgreSQL spent 382–391 µs on it against 531–552 in the order of the
// files (bench/performance-notes.md). The rows are sorted here, before
// they are copied: the staging table holds them in that order, and on a
// first import the insert keeps it (TestImportWritesCollectionsInPlaceOrder;
// a plan that reordered the staged rows would lose only this gain).
// Sorting in the insert instead (ORDER BY geom, PostGIS's own Hilbert
// order, or this key in a column) sorted the whole rows, geometries
// included, on disk: the scale dataset's import took 30 and 24 s instead
// of 19; sorted here, 21–25 s.
func importPlace(b orb.Bound) int64 {
	const side = 1 << 16
	cell := func(v, lo, hi float64) uint32 {
		c := (v - lo) / (hi - lo) * side
		if !(c > 0) { // NaN too
			return 0
		}
		return uint32(min(c, side-1))
	}
	c := b.Center()
	return int64(hilbert(side, cell(c[0], -180, 180), cell(c[1], -90, 90)))
}

// hilbert returns the distance along the Hilbert curve that fills a square
// of n × n cells (n a power of two) of cell (x, y): cells next on the curve
// are next to each other in the square.
func hilbert(n, x, y uint32) uint64 {
	var d uint64
	for s := n / 2; s > 0; s /= 2 {
		var rx, ry uint32
		if x&s != 0 {
			rx = 1
		}
		if y&s != 0 {
			ry = 1
		}
		d += uint64(s) * uint64(s) * uint64((3*rx)^ry)
		// Turn the quadrant so that the curve inside it runs as the
		// whole curve does.
		if ry == 0 {
			if rx == 1 {
				x, y = n-1-x, n-1-y
			}
			x, y = y, x
		}
	}
	return d
}
