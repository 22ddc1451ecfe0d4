package geo

import (
	"context"
	"slices"
	"strconv"
	"time"
)

// ChangeStore is implemented by stores that can say cheaply when a
// collection's features begin and stop being valid (an optional interface
// next to Store). Servers use it to give every time at which nothing changes
// one cached answer.
type ChangeStore interface {
	// Changes returns the change times of the collection's features, or an
	// error matching ErrNotFound when the collection does not exist.
	Changes(ctx context.Context, collection string) (*Changes, error)
}

// Changes holds the distinct times at which the features of a collection
// begin or stop being valid. Dated state changes only at these times, so two
// query intervals whose ends fall between the same change times match the
// same features: Key tells them apart. A Changes is immutable and safe for
// concurrent use.
type Changes struct {
	starts   []time.Time // finite starts of validities that are not instants
	ends     []time.Time // finite ends of validities that are not instants
	instants []time.Time // validities that are instants
}

// NewChanges returns the changes of features with these validities (any
// order; an open end is the zero time, an instant has Start == End).
func NewChanges(valid []Interval) *Changes {
	c := &Changes{}
	for _, iv := range valid {
		switch {
		case iv.IsInstant():
			c.instants = append(c.instants, iv.Start)
		default:
			if !iv.Start.IsZero() {
				c.starts = append(c.starts, iv.Start)
			}
			if !iv.End.IsZero() {
				c.ends = append(c.ends, iv.End)
			}
		}
	}
	c.starts, c.ends, c.instants = distinct(c.starts), distinct(c.ends), distinct(c.instants)
	return c
}

// ChangesOf returns the changes of feats.
func ChangesOf(feats []Feature) *Changes {
	valid := make([]Interval, len(feats))
	for i, f := range feats {
		valid[i] = f.Valid
	}
	return NewChanges(valid)
}

// NewChangesFrom returns the changes from the three lists a store may read
// directly: finite starts and ends of validities that are not instants, and
// instants. The lists need not be sorted nor distinct; they are not kept.
func NewChangesFrom(starts, ends, instants []time.Time) *Changes {
	return &Changes{
		starts:   distinct(slices.Clone(starts)),
		ends:     distinct(slices.Clone(ends)),
		instants: distinct(slices.Clone(instants)),
	}
}

func distinct(ts []time.Time) []time.Time {
	for i, t := range ts {
		ts[i] = normTime(t)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(ts, func(a, b time.Time) bool { return a.Equal(b) })
}

// Key returns a text that is the same for two query intervals exactly when
// every feature the Changes were made from intersects both or neither (by
// Interval.Intersects). A query for 2026-01-16 and one for 2026-01-17 have
// the same key when no validity begins or ends on 2026-01-16 or 2026-01-17.
//
// A feature with validity [s, e) intersects the query [a, b) when s < b and
// a < e; an instant t when a ≤ t < b (t ≤ b for an instant query). Each of
// these tests changes its answer only where a or b crosses a change time, so
// counting the change times on each side of a and of b decides them all.
func (c *Changes) Key(q Interval) string {
	if q.IsUnbounded() {
		return "all"
	}
	var endsBefore, instantsBefore, startsBefore, instantsBeforeB int
	if !q.Start.IsZero() {
		a := q.Start
		// Validities that end at or before a do not reach it.
		endsBefore = countUpTo(c.ends, a, true)
		// Instants before a do not reach it.
		instantsBefore = countUpTo(c.instants, a, false)
	}
	if q.End.IsZero() {
		startsBefore, instantsBeforeB = len(c.starts), len(c.instants)
	} else {
		// Validities that start before b reach into the query; an instant
		// query [b, b] also takes those that start at b.
		closed := q.IsInstant()
		startsBefore = countUpTo(c.starts, q.End, closed)
		instantsBeforeB = countUpTo(c.instants, q.End, closed)
	}
	b := make([]byte, 0, 24)
	b = strconv.AppendInt(b, int64(endsBefore), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(instantsBefore), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(startsBefore), 10)
	b = append(b, '.')
	b = strconv.AppendInt(b, int64(instantsBeforeB), 10)
	return string(b)
}

// countUpTo returns how many of the sorted ts are before t, or at or
// before t when inclusive.
func countUpTo(ts []time.Time, t time.Time, inclusive bool) int {
	n, found := slices.BinarySearchFunc(ts, t, func(e, t time.Time) int { return e.Compare(t) })
	if found && inclusive {
		n++
	}
	return n
}

// Len returns how many distinct change times there are.
func (c *Changes) Len() int { return len(c.starts) + len(c.ends) + len(c.instants) }

// Times returns every change time (starts, ends and instants), sorted,
// without repeats.
func (c *Changes) Times() []time.Time {
	all := make([]time.Time, 0, c.Len())
	all = append(all, c.starts...)
	all = append(all, c.ends...)
	all = append(all, c.instants...)
	slices.SortFunc(all, func(a, b time.Time) int { return a.Compare(b) })
	return slices.CompactFunc(all, func(a, b time.Time) bool { return a.Equal(b) })
}
