package memory

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/paulmach/orb"
)

func randomBound(r *rand.Rand, maxSize float64) orb.Bound {
	x, y := r.Float64()*10, r.Float64()*10
	w, h := r.Float64()*maxSize, r.Float64()*maxSize
	if r.IntN(4) == 0 {
		w, h = 0, 0 // a point
	}
	return orb.Bound{Min: orb.Point{x, y}, Max: orb.Point{x + w, y + h}}
}

func bruteForce(bounds []orb.Bound, q orb.Bound) []int {
	var out []int
	for i, b := range bounds {
		if b.Intersects(q) {
			out = append(out, i)
		}
	}
	return out
}

func TestRTreeAgainstBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 2, nodeSize - 1, nodeSize, nodeSize + 1, nodeSize * nodeSize, nodeSize*nodeSize + 1, 300, 5000} {
		bounds := make([]orb.Bound, n)
		for i := range bounds {
			bounds[i] = randomBound(r, 1.5)
		}
		tree := newRTree(bounds)
		if n > 0 && len(tree.levels[len(tree.levels)-1]) != 1 {
			t.Fatalf("n=%d: the top level has %d nodes, want a single root", n, len(tree.levels[len(tree.levels)-1]))
		}
		for q := 0; q < 300; q++ {
			box := randomBound(r, 3)
			got := tree.search(box, nil)
			slices.Sort(got)
			if want := bruteForce(bounds, box); !slices.Equal(got, want) {
				t.Fatalf("n=%d box %v: index found %v, brute force %v", n, box, got, want)
			}
		}
	}
}

func TestRTreeEdges(t *testing.T) {
	bounds := []orb.Bound{
		{Min: orb.Point{0, 0}, Max: orb.Point{1, 1}},
		{Min: orb.Point{2, 2}, Max: orb.Point{2, 2}}, // a point
		{Min: orb.Point{-5, -5}, Max: orb.Point{5, 5}},
	}
	tree := newRTree(bounds)
	tests := []struct {
		name string
		box  orb.Bound
		want []int
	}{
		{"touching a corner", orb.Bound{Min: orb.Point{1, 1}, Max: orb.Point{1.5, 1.5}}, []int{0, 2}},
		{"exactly the point", orb.Bound{Min: orb.Point{2, 2}, Max: orb.Point{2, 2}}, []int{1, 2}},
		{"inside the big one only", orb.Bound{Min: orb.Point{3, 3}, Max: orb.Point{4, 4}}, []int{2}},
		{"nothing", orb.Bound{Min: orb.Point{6, 6}, Max: orb.Point{7, 7}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tree.search(tt.box, nil)
			slices.Sort(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("search = %v, want %v", got, tt.want)
			}
		})
	}
	if got := newRTree(nil).search(bounds[0], nil); len(got) != 0 {
		t.Errorf("empty tree found %v", got)
	}
}
