package geo

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/paulmach/orb"
)

// selfIntersectionPairwise is the check selfIntersection replaced, kept as
// the oracle: it sorts the edges by their west end and tests each with every
// edge whose west end lies within its span of longitude, which is every pair
// that can touch (O(n²) for rings whose edges span the same longitudes).
func selfIntersectionPairwise(r orb.Ring) (int, int, bool) {
	n := len(r) - 1 // edges
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	minX := func(i int) float64 { return math.Min(r[i][0], r[i+1][0]) }
	maxX := func(i int) float64 { return math.Max(r[i][0], r[i+1][0]) }
	sort.Slice(idx, func(a, b int) bool { return minX(idx[a]) < minX(idx[b]) })
	for a := 0; a < n; a++ {
		i := idx[a]
		for b := a + 1; b < n && minX(idx[b]) <= maxX(i); b++ {
			j := idx[b]
			if adjacent(i, j, n) {
				continue
			}
			if segmentsTouch(r[i], r[i+1], r[j], r[j+1]) {
				lo, hi := i, j
				if lo > hi {
					lo, hi = hi, lo
				}
				return lo, hi, true
			}
		}
	}
	return 0, 0, false
}

// checkAgainstOracle compares selfIntersection with the oracle on r, and
// checks that a reported pair is two non-adjacent edges that touch.
func checkAgainstOracle(t *testing.T, r orb.Ring) bool {
	t.Helper()
	a, b, got := selfIntersection(r)
	_, _, want := selfIntersectionPairwise(r)
	if got != want {
		t.Errorf("ring %v: selfIntersection says %v (edges %d, %d), the pairwise check %v", r, got, a, b, want)
		return false
	}
	if got {
		n := len(r) - 1
		if a >= b || b >= n || adjacent(a, b, n) || !segmentsTouch(r[a], r[a+1], r[b], r[b+1]) {
			t.Errorf("ring %v: reported edges %d and %d are not two non-adjacent edges that touch", r, a, b)
			return false
		}
	}
	return true
}

// randomRing returns a closed ring of n vertices on a grid of size×size
// points: small grids make collinear edges, overlaps, repeated positions,
// vertices on edges and spikes common.
func randomRing(rng *rand.Rand, n, size int, at func(x, y int) orb.Point) orb.Ring {
	r := make(orb.Ring, 0, n+1)
	for range n {
		r = append(r, at(rng.IntN(size), rng.IntN(size)))
	}
	return append(r, r[0])
}

// starRing returns a ring whose vertices go once round a centre at
// increasing angles: simple unless its radii put a vertex on the centre.
func starRing(rng *rand.Rand, n, size int, at func(x, y int) orb.Point) orb.Ring {
	c := float64(size) / 2
	angles := make([]float64, n)
	for i := range angles {
		angles[i] = rng.Float64() * 2 * math.Pi
	}
	sort.Float64s(angles)
	r := make(orb.Ring, 0, n+1)
	for _, a := range angles {
		rad := 1 + rng.Float64()*(c-1)
		r = append(r, at(int(math.Round(c+rad*math.Cos(a))), int(math.Round(c+rad*math.Sin(a)))))
	}
	return append(r, r[0])
}

// mutate moves, duplicates or removes one vertex of r, or folds an edge
// back on itself.
func mutate(rng *rand.Rand, r orb.Ring, size int, at func(x, y int) orb.Point) orb.Ring {
	out := append(orb.Ring(nil), r[:len(r)-1]...)
	k := rng.IntN(len(out))
	switch rng.IntN(4) {
	case 0: // move
		out[k] = at(rng.IntN(size), rng.IntN(size))
	case 1: // repeat
		out = append(out[:k+1], out[k:]...)
	case 2: // spike: out and back to a point on the way
		p, q := out[k], out[(k+1)%len(out)]
		mid := orb.Point{(p[0] + q[0]) / 2, (p[1] + q[1]) / 2}
		out = append(out[:k+1], append([]orb.Point{q, mid}, out[k+1:]...)...)
	case 3: // remove
		if len(out) > 3 {
			out = append(out[:k], out[k+1:]...)
		}
	}
	return append(out, out[0])
}

// TestSelfIntersectionMatchesPairwise compares the sweep with the pairwise
// check on many random rings: arbitrary rings on small grids (mostly
// invalid, with every kind of degenerate touch), star-shaped rings (mostly
// valid) and mutations of them, in integer and in fractional coordinates,
// and on the benchmark's large valid shapes.
func TestSelfIntersectionMatchesPairwise(t *testing.T) {
	grids := map[string]func(x, y int) orb.Point{
		"integer":    func(x, y int) orb.Point { return orb.Point{float64(x), float64(y)} },
		"fractional": func(x, y int) orb.Point { return orb.Point{36.1 + float64(x)*0.1, 33.7 - float64(y)*0.3} },
	}
	rounds := 4000
	if testing.Short() {
		rounds = 500
	}
	for name, at := range grids {
		t.Run(name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(11, 12))
			valid, invalid := 0, 0
			for i := range rounds {
				var r orb.Ring
				switch i % 3 {
				case 0:
					r = randomRing(rng, 3+rng.IntN(8), 2+rng.IntN(5), at)
				case 1:
					r = starRing(rng, 3+rng.IntN(30), 6+rng.IntN(20), at)
				case 2:
					r = starRing(rng, 3+rng.IntN(30), 6+rng.IntN(20), at)
					for range 1 + rng.IntN(3) {
						r = mutate(rng, r, 6+rng.IntN(20), at)
					}
				}
				if !checkAgainstOracle(t, r) {
					return
				}
				if _, _, bad := selfIntersectionPairwise(r); bad {
					invalid++
				} else {
					valid++
				}
			}
			t.Logf("%d valid and %d invalid rings agree", valid, invalid)
			if valid < rounds/10 || invalid < rounds/10 {
				t.Errorf("%d valid, %d invalid rings: the test needs many of both", valid, invalid)
			}
		})
	}
	t.Run("large shapes", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(13, 14))
		for _, shape := range hardRings {
			for _, n := range []int{50, 400, 1500} {
				r := shape.make(n)
				// Turned a quarter, so that east–west edges run north–south.
				turned := make(orb.Ring, len(r))
				for i, p := range r {
					turned[i] = orb.Point{p[1], p[0]}
				}
				// Snapped to a grid of 0.25°, which makes some of them touch.
				snapped := make(orb.Ring, len(r))
				for i, p := range r {
					snapped[i] = orb.Point{math.Round(p[0]*4) / 4, math.Round(p[1]*4) / 4}
				}
				for _, r := range []orb.Ring{r, turned, snapped} {
					checkAgainstOracle(t, r)
					// One vertex moved somewhere else usually makes it cross.
					bad := append(orb.Ring(nil), r...)
					k := 1 + rng.IntN(len(bad)-2)
					bad[k] = orb.Point{36 + 8*rng.Float64(), 31 + 8*rng.Float64()}
					checkAgainstOracle(t, bad)
				}
			}
		}
	})
}

// TestSelfIntersectionCases names the degenerate rings the sweep must see.
func TestSelfIntersectionCases(t *testing.T) {
	pts := func(c ...float64) orb.Ring {
		r := make(orb.Ring, 0, len(c)/2)
		for i := 0; i < len(c); i += 2 {
			r = append(r, orb.Point{c[i], c[i+1]})
		}
		return r
	}
	tests := []struct {
		name string
		r    orb.Ring
		want bool
	}{
		{"square", pts(0, 0, 4, 0, 4, 4, 0, 4, 0, 0), false},
		{"triangle", pts(0, 0, 4, 0, 0, 4, 0, 0), false},
		{"collinear vertex on an edge of the ring", pts(0, 0, 2, 0, 4, 0, 4, 4, 0, 4, 0, 0), false},
		{"vertical edges", pts(0, 0, 0, 4, 1, 4, 1, 1, 2, 1, 2, 4, 3, 4, 3, 0, 0, 0), false},
		{"bow-tie", pts(0, 0, 4, 4, 4, 0, 0, 4, 0, 0), true},
		{"touching at a vertex", pts(0, 0, 4, 0, 4, 4, 2, 0, 0, 4, 0, 0), true},
		{"vertex on a non-adjacent edge", pts(0, 0, 4, 0, 4, 4, 2, 4, 2, 0, 1, 3, 0, 3, 0, 0), true},
		{"repeated position", pts(0, 0, 4, 0, 4, 0, 4, 4, 0, 4, 0, 0), true},
		{"repeated first position", pts(0, 0, 4, 0, 4, 4, 0, 4, 0, 0, 0, 0), true},
		{"figure eight through a shared vertex", pts(0, 0, 2, 2, 4, 0, 4, 4, 2, 2, 0, 4, 0, 0), true},
		{"spike out and back", pts(0, 0, 4, 0, 4, 4, 6, 6, 4, 4, 0, 4, 0, 0), true},
		{"spike back past its start", pts(0, 0, 4, 0, 4, 2, 4, 1, 4, 4, 0, 4, 0, 0), true},
		{"spike along a vertical edge", pts(0, 0, 4, 0, 4, 3, 4, 1, 0, 4, 0, 0), true},
		{"collinear overlap of non-adjacent edges", pts(0, 0, 4, 0, 4, 2, 2, 2, 2, 0, 3, -1, 1, -1, 1, 0, 0, 0), true},
		{"vertical edges apart on one line", pts(0, 0, 2, 0, 2, 4, 0, 4, 0, 3, 1, 3, 1, 1, 0, 1, 0, 2, -1, 2, -1, 0, 0, 0), false},
		{"vertical overlap", pts(0, 0, 4, 0, 4, 4, 0, 4, 0, 1, -2, 1, -2, 3, 0, 3, 0, 2, -1, 2, -1, 0, 0, 0), true},
		{"crossing far east", pts(0, 0, 10, 0, 10, 1, 9, -1, 9, 2, 0, 2, 0, 0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, got := selfIntersection(tt.r)
			if got != tt.want {
				t.Errorf("selfIntersection = %v, want %v", got, tt.want)
			}
			checkAgainstOracle(t, tt.r)
			// The same ring turned, mirrored and started elsewhere.
			for _, f := range []func(orb.Point) orb.Point{
				func(p orb.Point) orb.Point { return orb.Point{p[1], p[0]} },
				func(p orb.Point) orb.Point { return orb.Point{-p[0], p[1]} },
				func(p orb.Point) orb.Point { return orb.Point{-p[1], -p[0]} },
			} {
				u := make(orb.Ring, len(tt.r))
				for i, p := range tt.r {
					u[i] = f(p)
				}
				checkAgainstOracle(t, u)
			}
			for s := 1; s < len(tt.r)-1; s++ {
				u := append(append(orb.Ring(nil), tt.r[s:len(tt.r)-1]...), tt.r[:s+1]...)
				if _, _, got := selfIntersection(u); got != tt.want {
					t.Errorf("started at vertex %d: selfIntersection = %v, want %v", s, got, tt.want)
				}
			}
		})
	}
}

// TestOrientation compares the exact orientation with rational arithmetic
// on points that are collinear, or nearly, in the floating-point numbers of
// real coordinates, and on tiny ones.
func TestOrientation(t *testing.T) {
	// The reference: orientationRat, exact rational arithmetic; orientation
	// must agree with it whichever of its paths (the float filter, the
	// expansion, the rational fallback) answers.
	rat := orientationRat
	rng := rand.New(rand.NewPCG(21, 22))
	coord := func() float64 {
		switch rng.IntN(16) {
		case 0, 1, 2, 3, 4, 5:
			return 36 + rng.Float64()*8
		case 6, 7, 8, 9:
			return float64(rng.IntN(5))
		case 10:
			return rng.Float64() * 1e-300
		default:
			return -180 + rng.Float64()*360
		}
	}
	rounds := 50_000
	if testing.Short() {
		rounds = 10_000
	}
	counts := map[int]int{}
	for range rounds {
		a := orb.Point{coord(), coord()}
		b := orb.Point{coord(), coord()}
		var c orb.Point
		if rng.IntN(2) == 0 {
			c = orb.Point{coord(), coord()}
		} else {
			// On the line through a and b, up to rounding, then nudged by
			// a few units in the last place.
			s := rng.Float64()*3 - 1
			c = orb.Point{a[0] + s*(b[0]-a[0]), a[1] + s*(b[1]-a[1])}
			for i := range c {
				for range rng.IntN(3) {
					c[i] = math.Nextafter(c[i], math.Inf(2*rng.IntN(2)-1))
				}
			}
		}
		got, want := orientation(a, b, c), rat(a, b, c)
		counts[want]++
		if got != want {
			t.Fatalf("orientation(%v, %v, %v) = %d, want %d", a, b, c, got, want)
		}
	}
	if counts[0] < rounds/200 {
		t.Errorf("only %d collinear cases tested", counts[0])
	}
	t.Logf("cases by orientation: %v", counts)
}

// TestSortVertices compares sortVertices with a general sort on random
// rings, repeated positions included, and on the benchmark's shapes.
func TestSortVertices(t *testing.T) {
	rng := rand.New(rand.NewPCG(41, 42))
	at := func(x, y int) orb.Point { return orb.Point{float64(x), float64(y)} }
	rings := []orb.Ring{circleRing(100), combRing(100), zigzagRing(100), spiralRing(100)}
	for range 2000 {
		rings = append(rings, randomRing(rng, 1+rng.IntN(40), 1+rng.IntN(8), at))
	}
	for _, r := range rings {
		n := len(r) - 1
		want := make([]sweepVertex, n)
		for i := range want {
			want[i] = sweepVertex{r[i], int32(i)}
		}
		slices.SortFunc(want, func(a, b sweepVertex) int {
			return cmp.Or(comparePoints(a.p, b.p), cmp.Compare(a.i, b.i))
		})
		if got := sortVertices(r, n); !slices.Equal(got, want) {
			t.Fatalf("ring %v:\nsortVertices %v\nwant         %v", r, got, want)
		}
	}
}
