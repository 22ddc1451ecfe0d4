package cql2

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
	"github.com/peterstace/simplefeatures/geom"
)

// Check checks a parsed filter against the schema and the limits, and sets
// the Type of every operand. ParseText and ParseJSON call it; a tree built
// by hand must pass it before a store evaluates it.
func Check(e *Expr, schema Schema, lim Limits) error {
	c := &checker{schema: schema, lim: lim}
	if !isPredicate(e) {
		return c.err(e, "a filter must be a predicate (a comparison, a function such as S_INTERSECTS, or TRUE/FALSE), not "+describe(e))
	}
	return c.predicate(e, 1)
}

type checker struct {
	schema   Schema
	lim      Limits
	nodes    int
	vertices int
}

func (c *checker) err(e *Expr, msg string) error {
	return &Error{Pos: e.Pos, Pointer: e.Pointer, Msg: msg}
}

func isPredicate(e *Expr) bool { return e != nil && e.Kind >= And && e.Kind <= BoolLit }

func describe(e *Expr) string {
	switch e.Kind {
	case Property:
		return "the property " + strconv.Quote(e.Name)
	case String:
		return "the string '" + e.Str + "'"
	case Number:
		return "the number " + strconv.FormatFloat(e.Num, 'g', -1, 64)
	case BoolLit:
		return "a boolean"
	case Timestamp:
		return "a TIMESTAMP"
	case Date:
		return "a DATE"
	case Interval:
		return "an INTERVAL"
	case Geometry:
		return "a geometry"
	case Array:
		return "an array"
	case Casei:
		return "CASEI(…)"
	case Open:
		return `".."`
	}
	return "a predicate"
}

func (c *checker) count(e *Expr, depth int) error {
	c.nodes++
	if c.nodes > c.lim.MaxNodes {
		return c.err(e, "the filter has too many parts; at most "+strconv.Itoa(c.lim.MaxNodes)+" nodes are accepted")
	}
	if depth > c.lim.MaxDepth {
		return c.err(e, "the filter is nested too deeply; at most "+strconv.Itoa(c.lim.MaxDepth)+" levels are accepted")
	}
	return nil
}

func (c *checker) predicate(e *Expr, depth int) error {
	if err := c.count(e, depth); err != nil {
		return err
	}
	switch e.Kind {
	case And, Or:
		if len(e.Args) < 2 {
			return c.err(e, "AND and OR need at least two arguments")
		}
		for _, a := range e.Args {
			if !isPredicate(a) {
				return c.err(a, "AND, OR and NOT combine predicates, not "+describe(a))
			}
			if err := c.predicate(a, depth+1); err != nil {
				return err
			}
		}
	case Not:
		if len(e.Args) != 1 || !isPredicate(e.Args[0]) {
			return c.err(e, "NOT takes one predicate")
		}
		return c.predicate(e.Args[0], depth+1)
	case BoolLit:
		e.Type = TBool
	case Compare:
		if !contains([]string{"=", "<>", "<", "<=", ">", ">="}, e.Op) {
			return c.err(e, "unknown comparison operator "+strconv.Quote(e.Op))
		}
		if len(e.Args) != 2 {
			return c.err(e, "a comparison takes two arguments")
		}
		t, err := c.comparable(e.Args, depth)
		if err != nil {
			return err
		}
		if t == TBool && e.Op != "=" && e.Op != "<>" {
			return c.err(e, "booleans compare with = and <> only")
		}
	case Like:
		if len(e.Args) != 2 {
			return c.err(e, "LIKE takes an operand and a pattern")
		}
		if err := c.scalars(e.Args, depth); err != nil {
			return err
		}
		if t := e.Args[0].Type; t != TString && t != TDynamic {
			return c.err(e.Args[0], "LIKE compares strings; "+describe(e.Args[0])+" is "+t.String())
		}
		pat := e.Args[1]
		if pat.Kind == Casei {
			pat = pat.Args[0]
		}
		if pat.Kind != String {
			return c.err(e.Args[1], "the pattern of LIKE must be a string literal")
		}
		text := pat.Str
		if e.Args[1].Kind == Casei {
			text = strings.ToLower(text)
		}
		lp, ok := CompileLike(text)
		if !ok {
			return c.err(pat, `the pattern of LIKE ends in an unpaired \ (write \\ for a backslash)`)
		}
		e.Like = lp
	case Between:
		if len(e.Args) != 3 {
			return c.err(e, "BETWEEN takes an operand, a low and a high value")
		}
		t, err := c.comparable(e.Args, depth)
		if err != nil {
			return err
		}
		if t != TNumber && t != TTime && t != TDynamic {
			return c.err(e, "BETWEEN compares numbers or times, not "+t.String())
		}
		for _, a := range e.Args[1:] {
			if a.Kind == Property {
				return c.err(a, "the bounds of BETWEEN must be literals")
			}
		}
	case In:
		if len(e.Args) < 2 {
			return c.err(e, "IN needs a list of at least one value")
		}
		if len(e.Args)-1 > c.lim.MaxList {
			return c.err(e, "the IN list is too long; at most "+strconv.Itoa(c.lim.MaxList)+" items are accepted")
		}
		if _, err := c.comparable(e.Args, depth); err != nil {
			return err
		}
		for _, a := range e.Args[1:] {
			if a.Kind == Property || a.Kind == Casei && e.Args[0].Kind != Casei {
				return c.err(a, "the items of an IN list must be literals (CASEI applies to the whole list when the operand is CASEI)")
			}
		}
	case IsNull:
		if len(e.Args) != 1 || e.Args[0].Kind != Property {
			return c.err(e, "IS NULL applies to a property")
		}
		return c.scalars(e.Args, depth)
	case Spatial:
		if !contains(SpatialOps, e.Op) || len(e.Args) != 2 {
			return c.err(e, "unknown spatial function "+e.Op)
		}
		for _, a := range e.Args {
			if err := c.geometry(a, depth+1); err != nil {
				return err
			}
		}
		if e.Args[0].Kind != Property && e.Args[1].Kind != Property {
			return c.err(e, "one argument of a spatial function must be the property geometry (two literals would compare nothing of the features)")
		}
		for i, a := range e.Args {
			if _, isGC := a.Geom.(orb.Collection); isGC && a.Kind == Geometry {
				return c.spreadCollection(e, i)
			}
		}
	case Temporal:
		if !contains(TemporalOps, e.Op) || len(e.Args) != 2 {
			return c.err(e, "unknown temporal function "+e.Op)
		}
		for _, a := range e.Args {
			if err := c.temporal(a, depth+1); err != nil {
				return err
			}
		}
	case ArrayOp:
		if !contains(ArrayOps, e.Op) || len(e.Args) != 2 {
			return c.err(e, "unknown array function "+e.Op)
		}
		for _, a := range e.Args {
			if err := c.array(a, depth+1); err != nil {
				return err
			}
		}
	default:
		return c.err(e, "expected a predicate, found "+describe(e))
	}
	return nil
}

// property resolves a property name and sets its type.
func (c *checker) property(e *Expr) error {
	if strings.IndexByte(e.Name, 0) >= 0 {
		return c.err(e, "a property name cannot hold the NUL character")
	}
	switch e.Name {
	case PropID:
		e.Type = TString
	case PropGeometry:
		e.Type = TGeometry
	case PropValidFrom, PropValidTo:
		e.Type = TTime
	default:
		if !contains(c.schema.Properties, e.Name) {
			names := append([]string{PropGeometry, PropID, PropValidFrom, PropValidTo}, c.schema.Properties...)
			sort.Strings(names)
			return c.err(e, "unknown property "+strconv.Quote(e.Name)+"; the queryables of this collection are "+strings.Join(names, ", "))
		}
		e.Type = TDynamic
		if t, ok := c.schema.Types[e.Name]; ok {
			e.Type = t
		}
	}
	return nil
}

// scalars checks scalar operands and sets their types.
func (c *checker) scalars(args []*Expr, depth int) error {
	for _, a := range args {
		if err := c.count(a, depth+1); err != nil {
			return err
		}
		switch a.Kind {
		case Property:
			if err := c.property(a); err != nil {
				return err
			}
			if a.Type == TGeometry {
				return c.err(a, "the geometry is compared with the spatial functions (S_INTERSECTS, …), not as a value")
			}
			if a.Type == TArray {
				return c.err(a, "the property "+strconv.Quote(a.Name)+" is an array; compare it with the array functions (A_CONTAINS, …)")
			}
		case String:
			if strings.IndexByte(a.Str, 0) >= 0 {
				return c.err(a, "a string cannot hold the NUL character")
			}
			a.Type = TString
		case Number:
			if math.IsInf(a.Num, 0) || math.IsNaN(a.Num) {
				return c.err(a, "a number must be finite")
			}
			a.Type = TNumber
		case BoolLit:
			a.Type = TBool
		case Timestamp, Date:
			a.Type = TTime
		case Casei:
			if len(a.Args) != 1 {
				return c.err(a, "CASEI takes one argument")
			}
			if err := c.scalars(a.Args, depth+1); err != nil {
				return err
			}
			if in := a.Args[0]; in.Type != TString && in.Type != TDynamic {
				return c.err(in, "CASEI applies to strings; "+describe(in)+" is "+in.Type.String())
			}
			a.Type = TString
		default:
			return c.err(a, "expected a property or a value, found "+describe(a))
		}
	}
	return nil
}

// comparable checks the operands of a comparison and returns their common
// type (TDynamic when every one is a property of any type).
func (c *checker) comparable(args []*Expr, depth int) (Type, error) {
	if err := c.scalars(args, depth); err != nil {
		return 0, err
	}
	common := TDynamic
	for _, a := range args {
		if a.Type != TDynamic {
			common = a.Type
			break
		}
	}
	if common == TTime {
		// A string beside a time is read as a date or timestamp.
		for _, a := range args {
			if a.Kind == String {
				lit, err := quotedInstant(a.Str)
				if err != nil {
					return 0, c.err(a, "compared with a time, "+strings.TrimPrefix(err.Error(), "")+"")
				}
				a.Kind, a.Time, a.Type, a.Str = lit.Kind, lit.Time, TTime, ""
			}
		}
	}
	for _, a := range args {
		if a.Type == TDynamic && common == TTime {
			return 0, c.err(a, describe(a)+" cannot be compared with a time; valid_from and valid_to can")
		}
		if a.Type != common && a.Type != TDynamic {
			return 0, c.err(a, "cannot compare "+common.String()+" with "+describe(a)+", which is "+a.Type.String())
		}
	}
	return common, nil
}

// geometry checks an argument of a spatial function.
func (c *checker) geometry(e *Expr, depth int) error {
	if err := c.count(e, depth); err != nil {
		return err
	}
	switch e.Kind {
	case Property:
		if err := c.property(e); err != nil {
			return err
		}
		if e.Type != TGeometry {
			return c.err(e, "a spatial function compares geometries; "+describe(e)+" is not the geometry (name it geometry)")
		}
		return nil
	case Geometry:
		e.Type = TGeometry
		if e.IsBBox {
			b := e.Geom.(orb.Bound)
			e.SF = boundSF(b)
			return nil
		}
		c.vertices += countVertices(e.Geom)
		if c.vertices > c.lim.MaxVertices {
			return c.err(e, "the geometries have too many vertices; at most "+strconv.Itoa(c.lim.MaxVertices)+" in all are accepted")
		}
		if err := checkCoords(e.Geom); err != nil {
			return c.err(e, err.Error())
		}
		data, err := wkb.Marshal(e.Geom)
		if err != nil {
			return c.err(e, "invalid geometry: "+err.Error())
		}
		g, err := geom.UnmarshalWKB(data)
		if err != nil {
			return c.err(e, "invalid geometry: "+err.Error())
		}
		if g.IsEmpty() {
			return c.err(e, "the geometry is empty")
		}
		e.SF = g
		return nil
	}
	return c.err(e, "a spatial function takes the property geometry or a geometry literal, not "+describe(e))
}

// spreadCollection rewrites a spatial function of a GEOMETRYCOLLECTION
// literal (argument i) as the same function of each member: S_INTERSECTS
// is true when it is true of any member, S_DISJOINT when of every one. The
// other relations of a collection depend on how its members overlap, which
// GEOS and simplefeatures treat differently (GEOS refuses overlapping
// polygons), so they are refused.
func (c *checker) spreadCollection(e *Expr, i int) error {
	gc := e.Args[i].Geom.(orb.Collection)
	kind := Or
	switch e.Op {
	case "s_intersects":
	case "s_disjoint":
		kind = And
	default:
		return c.err(e.Args[i], "a GEOMETRYCOLLECTION is accepted by S_INTERSECTS and S_DISJOINT only; use a MULTIPOINT, MULTILINESTRING or MULTIPOLYGON")
	}
	parts := make([]*Expr, 0, len(gc))
	for _, member := range gc {
		if _, nested := member.(orb.Collection); nested {
			return c.err(e.Args[i], "a GEOMETRYCOLLECTION inside a GEOMETRYCOLLECTION is not accepted")
		}
		lit := &Expr{Kind: Geometry, Geom: member, Pos: e.Args[i].Pos, Pointer: e.Args[i].Pointer}
		if err := c.geometry(lit, 0); err != nil {
			return err
		}
		args := []*Expr{e.Args[0], e.Args[1]}
		args[i] = lit
		parts = append(parts, &Expr{Kind: Spatial, Op: e.Op, Args: args, Pos: e.Pos, Pointer: e.Pointer})
	}
	if len(parts) == 0 {
		return c.err(e.Args[i], "the GEOMETRYCOLLECTION is empty")
	}
	if len(parts) == 1 {
		*e = *parts[0]
		return nil
	}
	*e = Expr{Kind: kind, Args: parts, Pos: e.Pos, Pointer: e.Pointer}
	return nil
}

// boundSF is a bbox as a simplefeatures polygon (or point or line when
// it has no area).
func boundSF(b orb.Bound) geom.Geometry {
	x0, y0, x1, y1 := b.Min[0], b.Min[1], b.Max[0], b.Max[1]
	switch {
	case b.Min == b.Max:
		return geom.NewPoint(geom.Coordinates{XY: geom.XY{X: x0, Y: y0}}).AsGeometry()
	case x0 == x1 || y0 == y1:
		return geom.NewLineString(geom.NewSequence([]float64{x0, y0, x1, y1}, geom.DimXY)).AsGeometry()
	}
	ring := geom.NewLineString(geom.NewSequence([]float64{x0, y0, x1, y0, x1, y1, x0, y1, x0, y0}, geom.DimXY))
	return geom.NewPolygon([]geom.LineString{ring}).AsGeometry()
}

// eachPoint calls visit with every position of g.
func eachPoint(g orb.Geometry, visit func(orb.Point)) {
	switch x := g.(type) {
	case orb.Point:
		visit(x)
	case orb.MultiPoint:
		for _, p := range x {
			visit(p)
		}
	case orb.LineString:
		for _, p := range x {
			visit(p)
		}
	case orb.Ring:
		for _, p := range x {
			visit(p)
		}
	case orb.MultiLineString:
		for _, l := range x {
			eachPoint(l, visit)
		}
	case orb.Polygon:
		for _, r := range x {
			eachPoint(r, visit)
		}
	case orb.MultiPolygon:
		for _, p := range x {
			eachPoint(p, visit)
		}
	case orb.Collection:
		for _, p := range x {
			eachPoint(p, visit)
		}
	}
}

func countVertices(g orb.Geometry) int {
	n := 0
	eachPoint(g, func(orb.Point) { n++ })
	return n
}

// checkCoords checks that every position is a longitude and latitude.
func checkCoords(g orb.Geometry) error {
	bad := false
	eachPoint(g, func(p orb.Point) {
		if !(p[0] >= -180 && p[0] <= 180 && p[1] >= -90 && p[1] <= 90) {
			bad = true
		}
	})
	if bad {
		return &Error{Msg: "a coordinate must be a longitude from -180 to 180 and a latitude from -90 to 90 (CRS84)"}
	}
	return nil
}

// temporal checks an argument of a temporal function.
func (c *checker) temporal(e *Expr, depth int) error {
	if err := c.count(e, depth); err != nil {
		return err
	}
	switch e.Kind {
	case Timestamp, Date:
		e.Type = TTime
		return nil
	case Property:
		if err := c.property(e); err != nil {
			return err
		}
		if e.Type != TTime {
			return c.err(e, "a temporal function takes valid_from, valid_to, INTERVAL(valid_from, valid_to) or a DATE, TIMESTAMP or INTERVAL literal, not "+describe(e))
		}
		return nil
	case Interval:
		if len(e.Args) != 2 {
			return c.err(e, "INTERVAL takes a start and an end")
		}
		a, b := e.Args[0], e.Args[1]
		if a.Kind == Property || b.Kind == Property {
			if a.Kind != Property || b.Kind != Property || a.Name != PropValidFrom || b.Name != PropValidTo {
				return c.err(e, "an INTERVAL of properties must be INTERVAL(valid_from, valid_to), the feature's validity")
			}
			a.Type, b.Type, e.Type = TTime, TTime, TInterval
			return nil
		}
		for _, x := range e.Args {
			switch x.Kind {
			case Timestamp, Date:
				x.Type = TTime
			case Open:
			case String:
				lit, err := quotedInstant(x.Str)
				if err != nil {
					return c.err(x, err.Error())
				}
				x.Kind, x.Time, x.Type, x.Str = lit.Kind, lit.Time, TTime, ""
			default:
				return c.err(x, `an end of INTERVAL is a date, a timestamp or ".."`)
			}
		}
		if a.Kind != Open && b.Kind != Open && IntervalStart(a).After(IntervalEnd(b)) {
			return c.err(e, "the INTERVAL starts after it ends")
		}
		e.Type = TInterval
		return nil
	}
	return c.err(e, "a temporal function takes valid_from, valid_to, INTERVAL(valid_from, valid_to) or a DATE, TIMESTAMP or INTERVAL literal, not "+describe(e))
}

// IntervalStart is the first instant of a time literal.
func IntervalStart(e *Expr) time.Time { return e.Time }

// IntervalEnd is the last instant (inclusive, to the microsecond) of a time
// literal: a date ends a microsecond before the next midnight.
func IntervalEnd(e *Expr) time.Time {
	if e.Kind == Date {
		return e.Time.AddDate(0, 0, 1).Add(-time.Microsecond)
	}
	return e.Time
}

// array checks an argument of an array function.
func (c *checker) array(e *Expr, depth int) error {
	if err := c.count(e, depth); err != nil {
		return err
	}
	switch e.Kind {
	case Property:
		if err := c.property(e); err != nil {
			return err
		}
		if e.Type != TArray && e.Type != TDynamic {
			return c.err(e, "an array function takes an array property or an array literal; "+describe(e)+" is "+e.Type.String())
		}
		return nil
	case Array:
		if len(e.Args) > c.lim.MaxList {
			return c.err(e, "the array is too long; at most "+strconv.Itoa(c.lim.MaxList)+" items are accepted")
		}
		for _, x := range e.Args {
			if x.Kind != String && x.Kind != Number && x.Kind != BoolLit {
				return c.err(x, "the items of an array literal must be strings, numbers or booleans")
			}
		}
		if err := c.scalars(e.Args, depth); err != nil {
			return err
		}
		e.Type = TArray
		return nil
	}
	return c.err(e, "an array function takes an array property or an array literal, not "+describe(e))
}
