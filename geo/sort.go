package geo

import (
	"strings"
	"time"
)

// SortValue is what a SortKey orders a feature by (see SortKey): the
// type rank of the value and the value.
type sortValue struct {
	rank int // 0 number, 1 string, 2 boolean, 3 other; times and ids rank 0
	num  float64
	str  string
	t    int64 // µs, for valid_from and valid_to
}

// SortRow is what an ordering reads of one feature.
type SortRow struct {
	ID    string
	Prop  func(name string) any
	Valid Interval
}

func sortValueOf(k SortKey, r *SortRow) sortValue {
	switch k.Name {
	case "id":
		return sortValue{rank: 1, str: r.ID}
	case PropValidFrom:
		if r.Valid.Start.IsZero() {
			return sortValue{t: negInf}
		}
		return sortValue{t: r.Valid.Start.UnixMicro()}
	case PropValidTo:
		if r.Valid.End.IsZero() {
			return sortValue{t: posInf}
		}
		return sortValue{t: r.Valid.End.UnixMicro()}
	}
	var v any
	if r.Prop != nil {
		v = normValue(r.Prop(k.Name))
	}
	switch x := v.(type) {
	case float64:
		return sortValue{rank: 0, num: x}
	case string:
		return sortValue{rank: 1, str: x}
	case bool:
		if x {
			return sortValue{rank: 2, str: "true"}
		}
		return sortValue{rank: 2, str: "false"}
	case time.Time:
		return sortValue{t: x.UnixMicro()}
	}
	return sortValue{rank: 3}
}

func (a sortValue) compare(b sortValue) int {
	switch {
	case a.rank != b.rank:
		return a.rank - b.rank
	case a.t != b.t:
		if a.t < b.t {
			return -1
		}
		return 1
	case a.num != b.num:
		if a.num < b.num {
			return -1
		}
		return 1
	}
	return strings.Compare(a.str, b.str)
}

// CompareSort orders two features by keys, then by id ascending.
func CompareSort(keys []SortKey, a, b *SortRow) int {
	for _, k := range keys {
		c := sortValueOf(k, a).compare(sortValueOf(k, b))
		if k.Desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return strings.Compare(a.ID, b.ID)
}
