package geo

import (
	"cmp"
	"container/heap"
	"slices"
	"time"
)

// maxOverlapProblems is how many overlapping pairs of versions DecodeFeatures
// lists for one file; past it, one more problem says how many were left
// out. n versions with the same validity make n(n-1)/2 pairs: the limit
// keeps a hostile file from making the list itself quadratic.
const maxOverlapProblems = 1000

// Overlaps returns the pairs of feature ids that are versions of the same
// thing with overlapping validity (Interval.Intersects), each pair as [the
// later of the two in feats, the earlier]. The pairs come by thing in
// sorted order, then in the order of the earlier feature in feats, then of
// the later. Every validity must pass Interval.Validate. It takes
// O(n log n) time for n features, plus the pairs it returns.
func Overlaps(feats []Feature) [][2]string {
	pairs, _ := overlapPairs(feats, -1)
	return pairs
}

// overlapPairs is Overlaps returning at most limit pairs (all of them when
// limit is negative), and how many there are in all. When some are left
// out, it returns the pairs of the first things (in sorted order) up to
// limit.
func overlapPairs(feats []Feature, limit int) ([][2]string, int) {
	byThing := map[string][]int{}
	for i, f := range feats {
		if f.Thing != "" {
			byThing[f.Thing] = append(byThing[f.Thing], i)
		}
	}
	things := make([]string, 0, len(byThing))
	for t := range byThing {
		things = append(things, t)
	}
	slices.Sort(things)
	var out [][2]string
	total := 0
	var found [][2]int // one thing's pairs, as places in feats
	for _, t := range things {
		found = found[:0]
		room := -1
		if limit >= 0 {
			room = limit - len(out)
		}
		total += overlapping(feats, byThing[t], room, func(i, j int) {
			found = append(found, [2]int{min(i, j), max(i, j)})
		})
		slices.SortFunc(found, func(a, b [2]int) int {
			return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1]))
		})
		for _, p := range found {
			out = append(out, [2]string{feats[p[1]].ID, feats[p[0]].ID})
		}
	}
	return out, total
}

// overlapping calls pair for every two of the features at places vs in
// feats whose validity intersects, but no more than room times unless room
// is negative, and returns how many pairs there are. It sweeps the versions
// in order of start, keeping those not yet ended in a heap by end: a
// version intersects exactly the versions still there when it starts,
// because each of them started no later.
func overlapping(feats []Feature, vs []int, room int, pair func(i, j int)) int {
	byStart := vs // overlapPairs's own slice, free to reorder
	slices.SortFunc(byStart, func(a, b int) int {
		return cmp.Or(compareStart(feats[a].Valid.Start, feats[b].Valid.Start), cmp.Compare(a, b))
	})
	open := &endHeap{feats: feats}
	n := 0
	for _, v := range byStart {
		start := feats[v].Valid.Start
		for len(open.places) > 0 && open.endedBy(open.places[0], start) {
			heap.Pop(open)
		}
		for _, u := range open.places {
			if room == 0 {
				break
			}
			pair(u, v)
			room--
		}
		n += len(open.places)
		heap.Push(open, v)
	}
	return n
}

// compareStart orders validity starts, the zero (open) start first.
func compareStart(a, b time.Time) int {
	switch {
	case a.Equal(b):
		return 0
	case a.IsZero():
		return -1
	case b.IsZero():
		return 1
	}
	return a.Compare(b)
}

// endHeap holds places in feats by the end of their validity: earliest
// first, an open end last, and of two equal ends the half-open interval's
// before the instant's (the instant holds its end; the interval does not).
// A version has ended by a time in just that order, so the ended ones are
// always at the top.
type endHeap struct {
	feats  []Feature
	places []int
}

// endedBy reports whether the validity of the feature at place u ends
// before time t begins: no instant at or after t is in it.
func (h *endHeap) endedBy(u int, t time.Time) bool {
	return !before(t, h.feats[u].Valid.End, h.feats[u].Valid.IsInstant())
}

func (h *endHeap) Len() int { return len(h.places) }
func (h *endHeap) Less(i, j int) bool {
	a, b := h.feats[h.places[i]].Valid, h.feats[h.places[j]].Valid
	switch {
	case a.End.IsZero() || b.End.IsZero():
		return !a.End.IsZero() && b.End.IsZero()
	case !a.End.Equal(b.End):
		return a.End.Before(b.End)
	}
	return !a.IsInstant() && b.IsInstant()
}
func (h *endHeap) Swap(i, j int) { h.places[i], h.places[j] = h.places[j], h.places[i] }
func (h *endHeap) Push(x any)    { h.places = append(h.places, x.(int)) }
func (h *endHeap) Pop() any {
	x := h.places[len(h.places)-1]
	h.places = h.places[:len(h.places)-1]
	return x
}
