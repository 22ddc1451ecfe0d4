package geo

import "math/rand/v2"

// sweepTree is the ordered set of edges a sweep line crosses, as a treap
// over edge numbers 0..n-1 with parent links, so that an edge is removed
// and its neighbours found from its number alone, without comparing. Its
// priorities are random per tree, so its depth is O(log n) expected
// whatever the input, and the order of the edges (which is all a caller
// sees) does not depend on them. It is not safe for concurrent use.
type sweepTree struct {
	root                int32
	left, right, parent []int32
	prio                []uint32
}

const noEdge = -1

func newSweepTree(n int) *sweepTree {
	t := &sweepTree{
		root:   noEdge,
		left:   make([]int32, n),
		right:  make([]int32, n),
		parent: make([]int32, n),
		prio:   make([]uint32, n),
	}
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	for i := range t.prio {
		t.prio[i] = rng.Uint32()
	}
	return t
}

// insert adds edge x to the set. below(y) reports whether x goes before y,
// which is already in the set; it must order x consistently with the set's
// order.
func (t *sweepTree) insert(x int32, below func(y int32) bool) {
	t.left[x], t.right[x] = noEdge, noEdge
	parent, cur, isLeft := int32(noEdge), t.root, false
	for cur != noEdge {
		parent = cur
		if isLeft = below(cur); isLeft {
			cur = t.left[cur]
		} else {
			cur = t.right[cur]
		}
	}
	t.parent[x] = parent
	switch {
	case parent == noEdge:
		t.root = x
	case isLeft:
		t.left[parent] = x
	default:
		t.right[parent] = x
	}
	for t.parent[x] != noEdge && t.prio[x] < t.prio[t.parent[x]] {
		t.rotateUp(x)
	}
}

// remove takes edge x, which is in the set, out of it.
func (t *sweepTree) remove(x int32) {
	for t.left[x] != noEdge || t.right[x] != noEdge {
		c := t.left[x]
		if c == noEdge || t.right[x] != noEdge && t.prio[t.right[x]] < t.prio[c] {
			c = t.right[x]
		}
		t.rotateUp(c)
	}
	switch p := t.parent[x]; {
	case p == noEdge:
		t.root = noEdge
	case t.left[p] == x:
		t.left[p] = noEdge
	default:
		t.right[p] = noEdge
	}
}

// rotateUp moves x above its parent, keeping the order.
func (t *sweepTree) rotateUp(x int32) {
	p := t.parent[x]
	g := t.parent[p]
	if t.left[p] == x {
		t.left[p] = t.right[x]
		if t.right[x] != noEdge {
			t.parent[t.right[x]] = p
		}
		t.right[x] = p
	} else {
		t.right[p] = t.left[x]
		if t.left[x] != noEdge {
			t.parent[t.left[x]] = p
		}
		t.left[x] = p
	}
	t.parent[p] = x
	t.parent[x] = g
	switch {
	case g == noEdge:
		t.root = x
	case t.left[g] == p:
		t.left[g] = x
	default:
		t.right[g] = x
	}
}

// prev returns the edge just before x in the order, or noEdge.
func (t *sweepTree) prev(x int32) int32 {
	if y := t.left[x]; y != noEdge {
		for t.right[y] != noEdge {
			y = t.right[y]
		}
		return y
	}
	for p := t.parent[x]; p != noEdge; x, p = p, t.parent[p] {
		if t.right[p] == x {
			return p
		}
	}
	return noEdge
}

// next returns the edge just after x in the order, or noEdge.
func (t *sweepTree) next(x int32) int32 {
	if y := t.right[x]; y != noEdge {
		for t.left[y] != noEdge {
			y = t.left[y]
		}
		return y
	}
	for p := t.parent[x]; p != noEdge; x, p = p, t.parent[p] {
		if t.left[p] == x {
			return p
		}
	}
	return noEdge
}
