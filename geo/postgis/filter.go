package postgis

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/ewkb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/cql2"
)

// This file translates a checked CQL2 filter (geo/cql2) to SQL with the
// meaning geo.MatchFilter gives it (geo/filter.go): every value is a $n
// parameter, property names included (props -> $n); the only identifiers
// are the fixed columns of the features table. SQL's three-valued logic is
// the filter's: a property of another JSON type than the comparison reads
// as NULL.

// filterSQL returns the SQL condition of e, adding its values to p.
func filterSQL(p *params, e *cql2.Expr) string {
	switch e.Kind {
	case cql2.And, cql2.Or:
		op := " AND "
		if e.Kind == cql2.Or {
			op = " OR "
		}
		parts := make([]string, len(e.Args))
		for i, a := range e.Args {
			parts[i] = filterSQL(p, a)
		}
		return "(" + strings.Join(parts, op) + ")"
	case cql2.Not:
		return "(NOT " + filterSQL(p, e.Args[0]) + ")"
	case cql2.BoolLit:
		if e.Bool {
			return "TRUE"
		}
		return "FALSE"
	case cql2.Compare:
		return compareSQL(p, e.Op, e.Args[0], e.Args[1])
	case cql2.Like:
		return negSQL(scalarSQL(p, e.Args[0], cql2.TString)+" LIKE "+scalarSQL(p, e.Args[1], cql2.TString), e.Negated)
	case cql2.Between:
		t := commonType(e.Args)
		return negSQL(scalarSQL(p, e.Args[0], t)+" BETWEEN "+scalarSQL(p, e.Args[1], t)+" AND "+scalarSQL(p, e.Args[2], t), e.Negated)
	case cql2.In:
		t := commonType(e.Args)
		items := make([]string, len(e.Args)-1)
		for i, a := range e.Args[1:] {
			items[i] = scalarSQL(p, a, t)
		}
		return negSQL(scalarSQL(p, e.Args[0], t)+" IN ("+strings.Join(items, ", ")+")", e.Negated)
	case cql2.IsNull:
		return negSQL(nullSQL(p, e.Args[0]), e.Negated)
	case cql2.Spatial:
		return spatialSQL(p, e)
	case cql2.Temporal:
		return temporalSQL(p, e)
	case cql2.ArrayOp:
		return arraySQL(p, e)
	}
	return "NULL"
}

func negSQL(cond string, neg bool) string {
	if neg {
		return "(NOT (" + cond + "))"
	}
	return "(" + cond + ")"
}

// commonType is the type the operands of a comparison are compared as
// (cql2.Check made them agree): TDynamic when all are properties of any type.
func commonType(args []*cql2.Expr) cql2.Type {
	for _, a := range args {
		if a.Type != cql2.TDynamic {
			return a.Type
		}
	}
	return cql2.TDynamic
}

// jsonTypes maps a CQL2 scalar type to the jsonb_typeof of its values and
// the SQL cast of their text.
var jsonTypes = map[cql2.Type][2]string{
	cql2.TString: {"string", ""},
	cql2.TNumber: {"number", "::float8"},
	cql2.TBool:   {"boolean", "::bool"},
}

// scalarSQL is a scalar operand as an SQL value of type t; a property whose
// value is of another JSON type is NULL. Strings compare in the "C"
// collation, byte by byte, as Go does.
func scalarSQL(p *params, e *cql2.Expr, t cql2.Type) string {
	switch e.Kind {
	case cql2.String:
		return p.add(e.Str) + `::text COLLATE "C"`
	case cql2.Number:
		return p.add(e.Num) + "::float8"
	case cql2.BoolLit:
		return p.add(e.Bool) + "::bool"
	case cql2.Timestamp, cql2.Date:
		return p.add(e.Time) + "::timestamptz"
	case cql2.Casei:
		// lower() in the database's collation (Unicode case under a UTF-8
		// ctype), then compared byte by byte.
		// The inner operand in the database's collation, so that lower()
		// maps every letter (under a UTF-8 ctype).
		return `lower((` + scalarSQL(p, e.Args[0], cql2.TString) + `) COLLATE "default") COLLATE "C"`
	case cql2.Property:
		switch e.Name {
		case cql2.PropID:
			return `id COLLATE "C"`
		case cql2.PropValidFrom:
			return "lower(valid)"
		case cql2.PropValidTo:
			return "upper(valid)"
		}
		s := propText(p, e, t)
		if t == cql2.TString {
			s += ` COLLATE "C"`
		}
		return s
	}
	return "NULL"
}

// propText is a collection property's value as type t (NULL when its JSON
// type is another), not yet collated.
func propText(p *params, e *cql2.Expr, t cql2.Type) string {
	jt, ok := jsonTypes[t]
	if !ok {
		return "NULL"
	}
	k := p.add(e.Name) + "::text"
	return "(CASE WHEN jsonb_typeof(props -> " + k + ") = '" + jt[0] + "' THEN (props ->> " + k + ")" + jt[1] + " END)"
}

// compareSQL compares two scalars; two properties of any type compare
// only when their values have the same JSON type.
func compareSQL(p *params, op string, a, b *cql2.Expr) string {
	t := commonType([]*cql2.Expr{a, b})
	if t != cql2.TDynamic {
		return "(" + scalarSQL(p, a, t) + " " + op + " " + scalarSQL(p, b, t) + ")"
	}
	var cases []string
	for _, st := range []cql2.Type{cql2.TNumber, cql2.TString, cql2.TBool} {
		cases = append(cases, "WHEN "+scalarSQL(p, a, st)+" IS NOT NULL AND "+scalarSQL(p, b, st)+" IS NOT NULL THEN "+
			scalarSQL(p, a, st)+" "+op+" "+scalarSQL(p, b, st))
	}
	return "(CASE " + strings.Join(cases, " ") + " END)"
}

// nullSQL is true when the property is missing, null or an open end.
func nullSQL(p *params, e *cql2.Expr) string {
	switch e.Name {
	case cql2.PropID:
		return "id IS NULL"
	case cql2.PropGeometry:
		return "geom IS NULL"
	case cql2.PropValidFrom:
		return "lower(valid) IS NULL"
	case cql2.PropValidTo:
		return "upper(valid) IS NULL"
	}
	return "coalesce(jsonb_typeof(props -> " + p.add(e.Name) + "::text), 'null') = 'null'"
}

// spatialFuncs are the PostGIS functions of the S_ functions.
var spatialFuncs = map[string]string{
	"s_intersects": "ST_Intersects", "s_disjoint": "ST_Disjoint", "s_equals": "ST_Equals",
	"s_touches": "ST_Touches", "s_within": "ST_Within", "s_contains": "ST_Contains",
	"s_overlaps": "ST_Overlaps", "s_crosses": "ST_Crosses",
}

// spatialSQL is an S_ function. Every relation but S_DISJOINT implies
// that the boxes meet, and the box
// test geom && literal is written out as bboxCondition writes it: with it
// PostgreSQL estimates the few rows the geometry index finds, where
// ST_Intersects alone left it to combine that index with the one on the
// validity (a bitmap of 50,000 rows for one day of the scale dataset's
// points: 29 ms against 4). S_INTERSECTS with a BBOX is then tested exactly
// as bboxCondition tests a box (boxIntersects: a point by its coordinates).
func spatialSQL(p *params, e *cql2.Expr) string {
	a, b := e.Args[0], e.Args[1]
	ga, gb := geomSQL(p, a), geomSQL(p, b)
	if e.Op == "s_disjoint" || (a.Kind == cql2.Property) == (b.Kind == cql2.Property) {
		return spatialFuncs[e.Op] + "(" + ga + ", " + gb + ")"
	}
	lit, other := gb, b // the literal's parameter, sent once
	if b.Kind == cql2.Property {
		lit, other = ga, a
	}
	if box, ok := other.Geom.(orb.Bound); ok && other.IsBBox && e.Op == "s_intersects" {
		return "(geom && " + lit + " AND " + boxIntersects(p, lit, box) + ")"
	}
	return "(geom && " + lit + " AND " + spatialFuncs[e.Op] + "(" + ga + ", " + gb + "))"
}

// geomSQL is the geometry column or a literal: one parameter of type
// geometry, as bboxCondition's, so that no plan makes the shape again for
// every row. A box is the envelope (a point or a line when it has no area,
// as cql2 makes it: boxShape); any other shape is sent as itself.
func geomSQL(p *params, e *cql2.Expr) string {
	if e.Kind == cql2.Property {
		return "geom"
	}
	if b, ok := e.Geom.(orb.Bound); ok && e.IsBBox {
		return p.add(boxShape(b)) + "::geometry"
	}
	hex, err := ewkb.MarshalToHex(e.Geom, 4326)
	if err != nil { // cql2.Check marshalled it already
		return "NULL::geometry"
	}
	return p.add(hex) + "::geometry"
}

// spanSQL is a temporal operand as the SQL of its first and last instant
// (closed, to the microsecond; infinite for an open end), as geo's span.
// Each end is a function that adds its parameter when the relation uses it,
// so that a statement has no parameter it does not read.
func spanSQL(p *params, e *cql2.Expr) (lo, hi func() string) {
	at := func(t time.Time) func() string { return func() string { return p.add(t) + "::timestamptz" } }
	fixed := func(s string) func() string { return func() string { return s } }
	switch e.Kind {
	case cql2.Timestamp:
		return at(e.Time), at(e.Time)
	case cql2.Date:
		return at(cql2.IntervalStart(e)), at(cql2.IntervalEnd(e))
	case cql2.Property:
		if e.Name == cql2.PropValidTo {
			return fixed("upper(valid)"), fixed("upper(valid)")
		}
		return fixed("lower(valid)"), fixed("lower(valid)")
	case cql2.Interval:
		a, b := e.Args[0], e.Args[1]
		if a.Kind == cql2.Property {
			return fixed("coalesce(lower(valid), '-infinity'::timestamptz)"),
				fixed("(CASE WHEN upper(valid) IS NULL THEN 'infinity'::timestamptz WHEN upper_inc(valid) THEN upper(valid) ELSE upper(valid) - interval '1 microsecond' END)")
		}
		lo, hi = fixed("'-infinity'::timestamptz"), fixed("'infinity'::timestamptz")
		if a.Kind != cql2.Open {
			lo = at(cql2.IntervalStart(a))
		}
		if b.Kind != cql2.Open {
			hi = at(cql2.IntervalEnd(b))
		}
		return lo, hi
	}
	return fixed("NULL::timestamptz"), fixed("NULL::timestamptz")
}

// isValidity reports whether e is INTERVAL(valid_from, valid_to).
func isValidity(e *cql2.Expr) bool {
	return e.Kind == cql2.Interval && e.Args[0].Kind == cql2.Property
}

// temporalSQL is a T_ function: the CQL2 relations on the two closed
// intervals. T_INTERSECTS and T_DISJOINT of the validity and a literal
// use the range operator &&, which the GiST index on valid serves.
func temporalSQL(p *params, e *cql2.Expr) string {
	a, b := e.Args[0], e.Args[1]
	if (e.Op == "t_intersects" || e.Op == "t_disjoint") && isValidity(a) != isValidity(b) {
		lit := b
		if isValidity(b) {
			lit = a
		}
		if lit.Kind != cql2.Property {
			lo, hi := spanSQL(p, lit)
			cond := "valid && tstzrange(" + lo() + ", " + hi() + ", '[]')"
			if e.Op == "t_disjoint" {
				cond = "NOT (" + cond + ")"
			}
			return "(" + cond + ")"
		}
	}
	s1, e1 := spanSQL(p, a)
	s2, e2 := spanSQL(p, b)
	rel := func(x func() string, op string, y func() string) string { return x() + " " + op + " " + y() }
	and := func(parts ...string) string { return strings.Join(parts, " AND ") }
	var c string
	switch e.Op {
	case "t_after":
		c = rel(s1, ">", e2)
	case "t_before":
		c = rel(e1, "<", s2)
	case "t_contains":
		c = and(rel(s1, "<", s2), rel(e1, ">", e2))
	case "t_disjoint":
		c = "NOT (" + and(rel(s1, "<=", e2), rel(e1, ">=", s2)) + ")"
	case "t_during":
		c = and(rel(s1, ">", s2), rel(e1, "<", e2))
	case "t_equals":
		c = and(rel(s1, "=", s2), rel(e1, "=", e2))
	case "t_finishedby":
		c = and(rel(s1, "<", s2), rel(e1, "=", e2))
	case "t_finishes":
		c = and(rel(s1, ">", s2), rel(e1, "=", e2))
	case "t_intersects":
		c = and(rel(s1, "<=", e2), rel(e1, ">=", s2))
	case "t_meets":
		c = rel(e1, "=", s2)
	case "t_metby":
		c = rel(s1, "=", e2)
	case "t_overlappedby":
		c = and(rel(s1, ">", s2), rel(s1, "<", e2), rel(e1, ">", e2))
	case "t_overlaps":
		c = and(rel(s1, "<", s2), rel(e1, ">", s2), rel(e1, "<", e2))
	case "t_startedby":
		c = and(rel(s1, "=", s2), rel(e1, ">", e2))
	case "t_starts":
		c = and(rel(s1, "=", s2), rel(e1, "<", e2))
	default:
		c = "NULL"
	}
	return "(" + c + ")"
}

// arraySQL is an A_ function on jsonb arrays; NULL when an operand is not
// an array.
func arraySQL(p *params, e *cql2.Expr) string {
	a, b := arrayOperandSQL(p, e.Args[0]), arrayOperandSQL(p, e.Args[1])
	switch e.Op {
	case "a_equals":
		return "(" + a + " = " + b + ")"
	case "a_contains":
		return containsSQL(a, b)
	case "a_containedby":
		return containsSQL(b, a)
	}
	return "(CASE WHEN " + a + " IS NULL OR " + b + " IS NULL THEN NULL ELSE EXISTS (SELECT 1 FROM jsonb_array_elements(" + a +
		") x JOIN jsonb_array_elements(" + b + ") y ON x = y) END)"
}

// containsSQL is true when every element of the array b equals an element
// of the array a (jsonb equality, as geo's jsonEqual; jsonb's @> would also
// match nested arrays and objects partly), NULL when either is not an array.
func containsSQL(a, b string) string {
	return "(CASE WHEN " + a + " IS NULL OR " + b + " IS NULL THEN NULL ELSE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(" + b +
		") y WHERE NOT EXISTS (SELECT 1 FROM jsonb_array_elements(" + a + ") x WHERE x = y)) END)"
}

func arrayOperandSQL(p *params, e *cql2.Expr) string {
	if e.Kind == cql2.Property {
		k := p.add(e.Name) + "::text"
		return "(CASE WHEN jsonb_typeof(props -> " + k + ") = 'array' THEN props -> " + k + " END)"
	}
	vals := make([]any, len(e.Args))
	for i, x := range e.Args {
		switch x.Kind {
		case cql2.String:
			vals[i] = x.Str
		case cql2.Number:
			vals[i] = x.Num
		case cql2.BoolLit:
			vals[i] = x.Bool
		}
	}
	data, _ := json.Marshal(vals)
	return p.add(string(data)) + "::jsonb"
}

// orderSQL is the ORDER BY list of keys (geo.SortKey's order), ending
// with id.
func orderSQL(p *params, keys []geo.SortKey) string {
	var parts []string
	for _, k := range keys {
		dir := ""
		if k.Desc {
			dir = " DESC"
		}
		switch k.Name {
		case "id":
			parts = append(parts, `id COLLATE "C"`+dir)
		case geo.PropValidFrom:
			parts = append(parts, "coalesce(lower(valid), '-infinity'::timestamptz)"+dir)
		case geo.PropValidTo:
			parts = append(parts, "coalesce(upper(valid), 'infinity'::timestamptz)"+dir)
		default:
			key := p.add(k.Name) + "::text"
			typ := "jsonb_typeof(props -> " + key + ")"
			parts = append(parts,
				"CASE "+typ+" WHEN 'number' THEN 0 WHEN 'string' THEN 1 WHEN 'boolean' THEN 2 ELSE 3 END"+dir,
				"CASE WHEN "+typ+" = 'number' THEN (props ->> "+key+")::float8 END"+dir,
				"CASE WHEN "+typ+" IN ('string', 'boolean') THEN props ->> "+key+` END COLLATE "C"`+dir)
		}
	}
	return strings.Join(append(parts, `id COLLATE "C"`), ", ")
}
