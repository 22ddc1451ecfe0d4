package geo

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/peterstace/simplefeatures/geom"

	"github.com/controlmap/controlmap/geo/cql2"
)

// This file gives a CQL2 filter (geo/cql2) its meaning for one feature, as
// the memory store evaluates it. The PostGIS store translates the same tree
// to SQL (geo/postgis/filter.go) and must agree; the contract suite runs
// one table of filters on both. The rules, in SQL's terms:
//
//   - Three-valued logic: a comparison with a missing or null property, or
//     with a value of another JSON type than the other side (a number
//     property compared with a string), is unknown; NOT unknown is unknown;
//     a feature matches only when the whole filter is true.
//   - Strings compare byte by byte (PostgreSQL's "C" collation); CASEI
//     lowers both sides (Unicode, as lower() under a UTF-8 ctype).
//   - Times are instants to the microsecond. A temporal operand is a closed
//     interval [first, last]: a TIMESTAMP is one instant, a DATE its whole
//     UTC day, INTERVAL(valid_from, valid_to) the feature's validity
//     [valid_from, valid_to) (last = valid_to less a microsecond; an event's
//     instant is itself; an open end is infinite). The T_ functions are
//     the CQL2 standard's relations of the two intervals' ends.
//   - The S_ functions are the DE-9IM relations of the feature's geometry
//     and the literal (the PostGIS functions of the same names).

// FilterRow is what a filter reads of one feature.
type FilterRow struct {
	ID    string
	Prop  func(name string) any // nil for a property the feature lacks
	Geom  orb.Geometry
	Bound orb.Bound // Geom's bound
	Valid Interval

	sf     geom.Geometry // Geom for simplefeatures, made once per row
	sfDone bool
	sfOK   bool
}

// tri is a truth value of SQL's three-valued logic.
type tri int8

const (
	tFalse tri = iota
	tTrue
	tUnknown
)

func triOf(b bool) tri {
	if b {
		return tTrue
	}
	return tFalse
}

func (t tri) not() tri {
	switch t {
	case tTrue:
		return tFalse
	case tFalse:
		return tTrue
	}
	return tUnknown
}

// MatchFilter reports whether the checked filter e is true for the row.
func MatchFilter(e *cql2.Expr, r *FilterRow) bool { return eval(e, r) == tTrue }

func eval(e *cql2.Expr, r *FilterRow) tri {
	switch e.Kind {
	case cql2.And:
		out := tTrue
		for _, a := range e.Args {
			switch eval(a, r) {
			case tFalse:
				return tFalse
			case tUnknown:
				out = tUnknown
			}
		}
		return out
	case cql2.Or:
		out := tFalse
		for _, a := range e.Args {
			switch eval(a, r) {
			case tTrue:
				return tTrue
			case tUnknown:
				out = tUnknown
			}
		}
		return out
	case cql2.Not:
		return eval(e.Args[0], r).not()
	case cql2.BoolLit:
		return triOf(e.Bool)
	case cql2.Compare:
		c, ok := compare(value(e.Args[0], r), value(e.Args[1], r))
		if !ok {
			return tUnknown
		}
		switch e.Op {
		case "=":
			return triOf(c == 0)
		case "<>":
			return triOf(c != 0)
		case "<":
			return triOf(c < 0)
		case "<=":
			return triOf(c <= 0)
		case ">":
			return triOf(c > 0)
		default:
			return triOf(c >= 0)
		}
	case cql2.Like:
		s, ok := value(e.Args[0], r).(string)
		if !ok {
			return tUnknown
		}
		return negate(triOf(e.Like.Match(s)), e.Negated)
	case cql2.Between:
		x := value(e.Args[0], r)
		lo, ok1 := compare(x, value(e.Args[1], r))
		hi, ok2 := compare(x, value(e.Args[2], r))
		if !ok1 || !ok2 {
			return tUnknown
		}
		return negate(triOf(lo >= 0 && hi <= 0), e.Negated)
	case cql2.In:
		x := value(e.Args[0], r)
		out := tFalse
		for _, item := range e.Args[1:] {
			c, ok := compare(x, value(item, r))
			if !ok {
				out = tUnknown
				continue
			}
			if c == 0 {
				return negate(tTrue, e.Negated)
			}
		}
		return negate(out, e.Negated)
	case cql2.IsNull:
		return negate(triOf(value(e.Args[0], r) == nil), e.Negated)
	case cql2.Spatial:
		return spatial(e, r)
	case cql2.Temporal:
		return temporal(e, r)
	case cql2.ArrayOp:
		return arrayOp(e, r)
	}
	return tUnknown
}

func negate(t tri, neg bool) tri {
	if neg {
		return t.not()
	}
	return t
}

// value returns the value of a scalar operand for the row: string,
// float64, bool, time.Time, []any or nil (missing, null, or an open end).
func value(e *cql2.Expr, r *FilterRow) any {
	switch e.Kind {
	case cql2.String:
		return e.Str
	case cql2.Number:
		return e.Num
	case cql2.BoolLit:
		return e.Bool
	case cql2.Timestamp, cql2.Date:
		return e.Time
	case cql2.Casei:
		if s, ok := value(e.Args[0], r).(string); ok {
			return strings.ToLower(s)
		}
		return nil
	case cql2.Array:
		out := make([]any, len(e.Args))
		for i, a := range e.Args {
			out[i] = value(a, r)
		}
		return out
	case cql2.Property:
		switch e.Name {
		case cql2.PropID:
			return r.ID
		case cql2.PropGeometry:
			if r.Geom == nil {
				return nil
			}
			return r.Geom
		case cql2.PropValidFrom:
			if r.Valid.Start.IsZero() {
				return nil
			}
			return r.Valid.Start
		case cql2.PropValidTo:
			if r.Valid.End.IsZero() {
				return nil
			}
			return r.Valid.End
		}
		if r.Prop == nil {
			return nil
		}
		return normValue(r.Prop(e.Name))
	}
	return nil
}

// normValue makes every number a float64.
func normValue(v any) any {
	switch x := v.(type) {
	case int:
		return float64(x)
	case int8:
		return float64(x)
	case int16:
		return float64(x)
	case int32:
		return float64(x)
	case int64:
		return float64(x)
	case uint:
		return float64(x)
	case uint8:
		return float64(x)
	case uint16:
		return float64(x)
	case uint32:
		return float64(x)
	case uint64:
		return float64(x)
	case float32:
		// As its JSON text reads back (0.1, not 0.10000000149011612).
		f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(x), 'g', -1, 32), 64)
		return f
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
	}
	return v
}

// compare orders two values of the same type; false when either is nil or
// their types differ (the comparison is unknown).
func compare(a, b any) (int, bool) {
	switch x := a.(type) {
	case string:
		if y, ok := b.(string); ok {
			return strings.Compare(x, y), true
		}
	case float64:
		if y, ok := b.(float64); ok {
			switch {
			case x < y:
				return -1, true
			case x > y:
				return 1, true
			}
			return 0, true
		}
	case bool:
		if y, ok := b.(bool); ok {
			switch {
			case x == y:
				return 0, true
			case !x:
				return -1, true
			}
			return 1, true
		}
	case time.Time:
		if y, ok := b.(time.Time); ok {
			return x.Compare(y), true
		}
	}
	return 0, false
}

// spatial evaluates an S_ function of the feature's geometry. A panic of
// simplefeatures on a degenerate geometry makes the function unknown.
func spatial(e *cql2.Expr, r *FilterRow) (t tri) {
	defer func() {
		if recover() != nil {
			t = tUnknown
		}
	}()
	if r.Geom == nil {
		return tUnknown
	}
	a, b := e.Args[0], e.Args[1]
	// The fast and common case: the geometry against a box, decided by
	// bounds first.
	lit := b
	if a.Kind == cql2.Geometry {
		lit = a
	}
	if lit.Kind == cql2.Geometry {
		lb := lit.Geom.Bound()
		if !r.Bound.Intersects(lb) {
			return triOf(e.Op == "s_disjoint")
		}
		if lit.IsBBox && (e.Op == "s_intersects" || e.Op == "s_disjoint") {
			return triOf(IntersectsBoundOf(r.Geom, r.Bound, lit.Geom.(orb.Bound)) == (e.Op == "s_intersects"))
		}
	}
	ga, ok1 := sfOf(a, r)
	gb, ok2 := sfOf(b, r)
	if !ok1 || !ok2 {
		return tUnknown
	}
	var (
		res bool
		err error
	)
	switch e.Op {
	case "s_intersects":
		res = geom.Intersects(ga, gb)
	case "s_disjoint":
		res = !geom.Intersects(ga, gb)
	case "s_equals":
		res, err = geom.Equals(ga, gb)
	case "s_touches":
		res, err = geom.Touches(ga, gb)
	case "s_within":
		res, err = geom.Within(ga, gb)
	case "s_contains":
		res, err = geom.Contains(ga, gb)
	case "s_overlaps":
		res, err = geom.Overlaps(ga, gb)
	case "s_crosses":
		res, err = geom.Crosses(ga, gb)
	}
	if err != nil {
		return tUnknown
	}
	return triOf(res)
}

// sfOf is an operand of a spatial function as a simplefeatures geometry;
// the feature's is converted once per row, whatever the number of
// functions.
func sfOf(e *cql2.Expr, r *FilterRow) (geom.Geometry, bool) {
	if e.Kind == cql2.Geometry {
		return e.SF, true
	}
	if !r.sfDone {
		r.sfDone = true
		if data, err := wkb.Marshal(r.Geom); err == nil {
			r.sf, err = geom.UnmarshalWKB(data, geom.NoValidate{})
			r.sfOK = err == nil
		}
	}
	return r.sf, r.sfOK
}

// µs bounds of time: the open ends.
const (
	negInf = math.MinInt64
	posInf = math.MaxInt64
)

func micros(t time.Time) int64 { return t.UnixMicro() }

// span returns a temporal operand as a closed interval of microseconds,
// false when it is null (valid_from or valid_to of an open end).
func span(e *cql2.Expr, r *FilterRow) (lo, hi int64, ok bool) {
	switch e.Kind {
	case cql2.Timestamp:
		t := micros(e.Time)
		return t, t, true
	case cql2.Date:
		return micros(cql2.IntervalStart(e)), micros(cql2.IntervalEnd(e)), true
	case cql2.Property:
		v, isTime := value(e, r).(time.Time)
		if !isTime {
			return 0, 0, false
		}
		t := micros(v)
		return t, t, true
	case cql2.Interval:
		a, b := e.Args[0], e.Args[1]
		if a.Kind == cql2.Property { // INTERVAL(valid_from, valid_to): the validity
			return validSpan(r.Valid)
		}
		lo, hi = negInf, posInf
		if a.Kind != cql2.Open {
			lo = micros(cql2.IntervalStart(a))
		}
		if b.Kind != cql2.Open {
			hi = micros(cql2.IntervalEnd(b))
		}
		return lo, hi, true
	}
	return 0, 0, false
}

// validSpan is a validity as a closed interval: [Start, End) less a
// microsecond, an instant itself, open ends infinite.
func validSpan(v Interval) (lo, hi int64, ok bool) {
	lo, hi = negInf, posInf
	if !v.Start.IsZero() {
		lo = micros(v.Start)
	}
	switch {
	case v.IsInstant():
		hi = lo
	case !v.End.IsZero():
		hi = micros(v.End) - 1
	}
	return lo, hi, true
}

// temporal evaluates a T_ function: the relations of CQL2 (OGC 21-065,
// the temporal functions) on closed intervals.
func temporal(e *cql2.Expr, r *FilterRow) tri {
	s1, e1, ok1 := span(e.Args[0], r)
	s2, e2, ok2 := span(e.Args[1], r)
	if !ok1 || !ok2 {
		return tUnknown
	}
	var res bool
	switch e.Op {
	case "t_after":
		res = s1 > e2
	case "t_before":
		res = e1 < s2
	case "t_contains":
		res = s1 < s2 && e1 > e2
	case "t_disjoint":
		res = !(s1 <= e2 && e1 >= s2)
	case "t_during":
		res = s1 > s2 && e1 < e2
	case "t_equals":
		res = s1 == s2 && e1 == e2
	case "t_finishedby":
		res = s1 < s2 && e1 == e2
	case "t_finishes":
		res = s1 > s2 && e1 == e2
	case "t_intersects":
		res = s1 <= e2 && e1 >= s2
	case "t_meets":
		res = e1 == s2
	case "t_metby":
		res = s1 == e2
	case "t_overlappedby":
		res = s1 > s2 && s1 < e2 && e1 > e2
	case "t_overlaps":
		res = s1 < s2 && e1 > s2 && e1 < e2
	case "t_startedby":
		res = s1 == s2 && e1 > e2
	case "t_starts":
		res = s1 == s2 && e1 < e2
	}
	return triOf(res)
}

// arrayOp evaluates an A_ function; unknown when an operand is not an array.
func arrayOp(e *cql2.Expr, r *FilterRow) tri {
	a, ok1 := value(e.Args[0], r).([]any)
	b, ok2 := value(e.Args[1], r).([]any)
	if !ok1 || !ok2 {
		return tUnknown
	}
	has := func(list []any, v any) bool {
		for _, x := range list {
			if jsonEqual(x, v) {
				return true
			}
		}
		return false
	}
	all := func(sub, of []any) bool {
		for _, v := range sub {
			if !has(of, v) {
				return false
			}
		}
		return true
	}
	switch e.Op {
	case "a_equals":
		if len(a) != len(b) {
			return tFalse
		}
		for i := range a {
			if !jsonEqual(a[i], b[i]) {
				return tFalse
			}
		}
		return tTrue
	case "a_contains":
		return triOf(all(b, a))
	case "a_containedby":
		return triOf(all(a, b))
	case "a_overlaps":
		for _, v := range a {
			if has(b, v) {
				return tTrue
			}
		}
		return tFalse
	}
	return tUnknown
}

// jsonEqual compares two decoded JSON values as jsonb does.
func jsonEqual(a, b any) bool {
	a, b = normValue(a), normValue(b)
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !jsonEqual(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			w, found := y[k]
			if !found || !jsonEqual(v, w) {
				return false
			}
		}
		return true
	case nil:
		return b == nil
	}
	c, ok := compare(a, b)
	return ok && c == 0
}

// FilterBound returns a box that holds every geometry the filter can
// match, from the spatial functions (other than S_DISJOINT) that must hold
// for the whole filter to be true, and false when there is none: a store
// with a spatial index reads only the candidates in it.
func FilterBound(e *cql2.Expr) (orb.Bound, bool) {
	if e == nil {
		return orb.Bound{}, false
	}
	switch e.Kind {
	case cql2.And:
		var out orb.Bound
		found := false
		for _, a := range e.Args {
			if b, ok := FilterBound(a); ok {
				if !found {
					out, found = b, true
				} else if out.Intersects(b) {
					out = orb.Bound{Min: orb.Point{max(out.Min[0], b.Min[0]), max(out.Min[1], b.Min[1])},
						Max: orb.Point{min(out.Max[0], b.Max[0]), min(out.Max[1], b.Max[1])}}
				} else {
					// Nothing can match: a box where no longitude is.
					return orb.Bound{Min: orb.Point{1000, 1000}, Max: orb.Point{1000, 1000}}, true
				}
			}
		}
		return out, found
	case cql2.Or:
		var out orb.Bound
		for i, a := range e.Args {
			b, ok := FilterBound(a)
			if !ok {
				return orb.Bound{}, false
			}
			if i == 0 {
				out = b
			} else {
				out = out.Union(b)
			}
		}
		return out, len(e.Args) > 0
	case cql2.Spatial:
		if e.Op == "s_disjoint" {
			return orb.Bound{}, false
		}
		for _, a := range e.Args {
			if a.Kind == cql2.Geometry {
				return a.Geom.Bound(), true
			}
		}
	}
	return orb.Bound{}, false
}
