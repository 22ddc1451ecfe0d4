package memory

import (
	"math"
	"math/bits"
	"slices"

	"github.com/paulmach/orb"
)

// nodeSize is the most children of an R-tree node.
const nodeSize = 16

// rtree is a static R-tree over the bounds of a fixed set of items, packed
// with the Sort-Tile-Recursive method. It indexes boxes, not points, so
// lines and polygons are found by any box that meets their bound; callers
// test the exact geometry afterwards. It is immutable once built and safe for
// concurrent searches.
type rtree struct {
	entries []rentry  // the items' bounds, in packed order
	levels  [][]rnode // levels[0] groups entries, each later level groups the one before; the last holds the root
}

type rentry struct {
	bound orb.Bound
	item  int
}

// rnode covers the children [first, first+count) of the level below (or of
// entries for levels[0]).
type rnode struct {
	bound        orb.Bound
	first, count int
}

// newRTree indexes the bounds; item i of a search result is bounds[i].
func newRTree(bounds []orb.Bound) *rtree {
	t := &rtree{entries: make([]rentry, len(bounds))}
	for i, b := range bounds {
		t.entries[i] = rentry{bound: b, item: i}
	}
	if len(bounds) == 0 {
		return t
	}
	strSort(t.entries, func(e rentry) orb.Bound { return e.bound })
	level := pack(t.entries, func(e rentry) orb.Bound { return e.bound })
	t.levels = append(t.levels, level)
	for len(level) > 1 {
		// Sorting in place reorders the level already stored in t.levels,
		// so the parents packed next point at the stored order.
		strSort(level, func(n rnode) orb.Bound { return n.bound })
		level = pack(level, func(n rnode) orb.Bound { return n.bound })
		t.levels = append(t.levels, level)
	}
	return t
}

// strSort orders items for packing: into vertical slices by centre x, each
// slice by centre y, so consecutive runs of nodeSize are spatially compact.
func strSort[T any](items []T, bound func(T) orb.Bound) {
	cx := func(a T) float64 { b := bound(a); return b.Min[0] + b.Max[0] }
	cy := func(a T) float64 { b := bound(a); return b.Min[1] + b.Max[1] }
	slices.SortStableFunc(items, func(a, b T) int { return cmpFloat(cx(a), cx(b)) })
	leaves := (len(items) + nodeSize - 1) / nodeSize
	perSlice := int(math.Ceil(math.Sqrt(float64(leaves)))) * nodeSize
	for start := 0; start < len(items); start += perSlice {
		end := min(start+perSlice, len(items))
		slices.SortStableFunc(items[start:end], func(a, b T) int { return cmpFloat(cy(a), cy(b)) })
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// pack groups consecutive runs of nodeSize children into parent nodes.
func pack[T any](children []T, bound func(T) orb.Bound) []rnode {
	out := make([]rnode, 0, (len(children)+nodeSize-1)/nodeSize)
	for first := 0; first < len(children); first += nodeSize {
		n := rnode{first: first, count: min(nodeSize, len(children)-first)}
		n.bound = bound(children[first])
		for _, c := range children[first+1 : first+n.count] {
			n.bound = n.bound.Union(bound(c))
		}
		out = append(out, n)
	}
	return out
}

// items returns every item once, in the order the tree packs them: items
// near each other in it are near each other in space.
func (t *rtree) items() []int {
	out := make([]int, len(t.entries))
	for k, e := range t.entries {
		out[k] = e.item
	}
	return out
}

// search appends to dst the items whose bounds intersect b (boundaries
// included), in no particular order, and returns it.
func (t *rtree) search(b orb.Bound, dst []int) []int {
	if len(t.levels) == 0 {
		return dst
	}
	top := len(t.levels) - 1
	return t.searchLevel(top, t.levels[top], b, dst)
}

func (t *rtree) searchLevel(level int, nodes []rnode, b orb.Bound, dst []int) []int {
	for _, n := range nodes {
		if !n.bound.Intersects(b) {
			continue
		}
		if level == 0 {
			for _, e := range t.entries[n.first : n.first+n.count] {
				if e.bound.Intersects(b) {
					dst = append(dst, e.item)
				}
			}
			continue
		}
		dst = t.searchLevel(level-1, t.levels[level-1][n.first:n.first+n.count], b, dst)
	}
	return dst
}

// inOrder sorts positions, distinct and below n, in place and returns them.
// Many positions (a tile of thousands of points) are put in order through a
// bitmap of n bits, in time linear in n; few are sorted.
func inOrder(pos []int, n int) []int {
	if len(pos) < 64 || len(pos) < n/256 {
		slices.Sort(pos)
		return pos
	}
	set := make([]uint64, (n+63)/64)
	for _, p := range pos {
		set[p/64] |= 1 << (p % 64)
	}
	out := pos[:0]
	for w, word := range set {
		for word != 0 {
			out = append(out, w*64+bits.TrailingZeros64(word))
			word &= word - 1
		}
	}
	return out
}
