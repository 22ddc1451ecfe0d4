package postgis

import (
	"math"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

// TestHilbert checks that hilbert is a curve through every cell of the
// square once, each cell next to the one before: the order Import writes
// rows in keeps near things near.
func TestHilbert(t *testing.T) {
	if got := []uint64{hilbert(2, 0, 0), hilbert(2, 0, 1), hilbert(2, 1, 1), hilbert(2, 1, 0)}; !slices.Equal(got, []uint64{0, 1, 2, 3}) {
		t.Errorf("the 2 × 2 curve is %v, want [0 1 2 3] for (0,0) (0,1) (1,1) (1,0)", got)
	}
	for _, n := range []uint32{4, 16, 64} {
		cells := make([][2]uint32, n*n)
		seen := make([]bool, n*n)
		for x := range n {
			for y := range n {
				d := hilbert(n, x, y)
				if d >= uint64(n*n) || seen[d] {
					t.Fatalf("n=%d: cell (%d,%d) at %d, out of range or taken", n, x, y, d)
				}
				seen[d], cells[d] = true, [2]uint32{x, y}
			}
		}
		for d := 1; d < len(cells); d++ {
			a, b := cells[d-1], cells[d]
			if dist := absDiff(a[0], b[0]) + absDiff(a[1], b[1]); dist != 1 {
				t.Fatalf("n=%d: cells %d %v and %d %v are not neighbours", n, d-1, a, d, b)
			}
		}
	}
}

func absDiff(a, b uint32) uint32 {
	if a > b {
		return a - b
	}
	return b - a
}

// TestImportPlace checks the grid's edges: centres outside the longitudes
// and latitudes (and NaN) take the nearest cell, and two places a cell apart
// differ.
func TestImportPlace(t *testing.T) {
	at := func(lon, lat float64) int64 {
		return importPlace(orb.Bound{Min: orb.Point{lon, lat}, Max: orb.Point{lon, lat}})
	}
	const last = 1<<16 - 1
	tests := []struct {
		name string
		got  int64
		want uint64
	}{
		{"south-west corner", at(-180, -90), hilbert(1<<16, 0, 0)},
		{"north-east corner", at(180, 90), hilbert(1<<16, last, last)},
		{"beyond the north-east", at(500, 1e9), hilbert(1<<16, last, last)},
		{"beyond the south-west", at(-500, -1e9), hilbert(1<<16, 0, 0)},
		{"NaN", at(math.NaN(), math.NaN()), hilbert(1<<16, 0, 0)},
		{"the centre of a box", importPlace(orb.Bound{Min: orb.Point{-1, -1}, Max: orb.Point{1, 1}}), hilbert(1<<16, 1<<15, 1<<15)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != int64(tt.want) {
				t.Errorf("%d, want %d", tt.got, tt.want)
			}
		})
	}
	if at(38, 35) == at(38.01, 35) {
		t.Error("two places 0.01° apart share a cell (cells are 0.0055° wide)")
	}
}
