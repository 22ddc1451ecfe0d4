// Package cql2 parses filters in the Common Query Language of OGC API –
// Features Part 3 (CQL2, OGC 21-065), in its text and JSON encodings, into
// one checked expression tree. It knows the syntax and the types; what a
// filter means for a feature is decided by the stores: geo.Query.Match in
// memory and the PostGIS store's SQL, which must agree (the contract suite
// runs one table of filters on both).
//
// A filter is checked against the collection's queryables (Schema) as it is
// parsed: an unknown property, a type that cannot be compared, an invalid
// geometry or a filter past the Limits is an *Error that points at the
// character (text) or the JSON member (JSON) at fault.
package cql2

import (
	"strconv"
	"time"

	"github.com/paulmach/orb"
	"github.com/peterstace/simplefeatures/geom"
)

// Kind is what a node of the tree is.
type Kind uint8

// Kinds of nodes. The first group are predicates (they evaluate to true,
// false or unknown); the rest are operands.
const (
	And      Kind = iota + 1 // Args: two or more predicates
	Or                       // Args: two or more predicates
	Not                      // Args: one predicate
	Compare                  // Op: = <> < <= > >=; Args: two scalars
	Like                     // Args: a string operand and a pattern; Negated for NOT LIKE
	Between                  // Args: operand, low, high (numbers or times); Negated for NOT BETWEEN
	In                       // Args: operand then the list; Negated for NOT IN
	IsNull                   // Args: one operand; Negated for IS NOT NULL
	Spatial                  // Op: s_intersects …; Args: two geometries
	Temporal                 // Op: t_after …; Args: two temporal operands
	ArrayOp                  // Op: a_equals …; Args: two arrays
	BoolLit                  // TRUE or FALSE (a predicate or a scalar)

	Property  // Name; Type from the queryables
	String    // Str
	Number    // Num
	Timestamp // Time (an instant)
	Date      // Time (midnight UTC of the day)
	Interval  // Args: start and end (Timestamp, Date, Open, or the properties valid_from/valid_to)
	Open      // ".." — an open end of an interval
	Geometry  // Geom (a literal; Bound for BBOX(...))
	Array     // Args: the elements
	Casei     // Args: one string operand, compared case-insensitively
)

// Type is the type of an operand.
type Type uint8

// Types of operands. Dynamic is a property whose values may be of any JSON
// scalar type: it is compared with the type of the other side.
const (
	TUnknown Type = iota
	TString
	TNumber
	TBool
	TTime // a timestamp or a date
	TInterval
	TGeometry
	TArray
	TDynamic
)

func (t Type) String() string {
	switch t {
	case TString:
		return "a string"
	case TNumber:
		return "a number"
	case TBool:
		return "a boolean"
	case TTime:
		return "a timestamp or date"
	case TInterval:
		return "an interval"
	case TGeometry:
		return "a geometry"
	case TArray:
		return "an array"
	case TDynamic:
		return "a property value"
	}
	return "unknown"
}

// Expr is a node of a filter. Only the fields its Kind names are set.
type Expr struct {
	Kind    Kind
	Op      string // Compare, Spatial, Temporal and ArrayOp: the operator, lower case
	Negated bool   // Like, Between, In and IsNull
	Args    []*Expr
	Name    string    // Property
	Str     string    // String
	Num     float64   // Number
	Bool    bool      // BoolLit
	Time    time.Time // Timestamp and Date, UTC, microseconds
	Geom    orb.Geometry
	// Bound is the box of a BBOX(...) literal (Geom is then its polygon).
	IsBBox bool
	// SF is the validated simplefeatures form of a Geometry literal, for
	// the relations orb does not have (the memory store's Spatial
	// functions).
	SF   geom.Geometry
	Type Type // of an operand, after checking
	// Like is the compiled pattern of a Like node (lower-cased under
	// CASEI), set by Check.
	Like *LikePattern

	// Pos is where the node starts in the text encoding (1-based
	// character), 0 in the JSON encoding; Pointer its JSON pointer there.
	Pos     int
	Pointer string
}

// Special queryables: names with a meaning of their own in every
// collection. A collection property with one of these names is shadowed.
const (
	PropID        = "id"
	PropGeometry  = "geometry"
	PropValidFrom = "valid_from"
	PropValidTo   = "valid_to"
)

// Schema is what a filter may name: the collection's own properties (of
// any JSON type; Types may give one) besides the special queryables.
type Schema struct {
	Properties []string
	// Types, when set, gives the type of some properties (TString,
	// TNumber, TBool, TArray); others are TDynamic.
	Types map[string]Type
}

// Limits bound what one filter may ask, so that no request can make the
// server parse or evaluate for long.
type Limits struct {
	MaxLength   int // bytes of the filter as given
	MaxDepth    int // nesting of predicates and operands
	MaxNodes    int // nodes of the tree
	MaxList     int // items of an IN list or an array
	MaxVertices int // vertices of all geometry literals together
}

// DefaultLimits are the limits of the server's filter parameter.
var DefaultLimits = Limits{MaxLength: 8 << 10, MaxDepth: 24, MaxNodes: 1000, MaxList: 500, MaxVertices: 1000}

// SpatialOps are the spatial functions, lower case.
var SpatialOps = []string{"s_intersects", "s_equals", "s_disjoint", "s_touches", "s_within", "s_overlaps", "s_crosses", "s_contains"}

// TemporalOps are the temporal functions, lower case.
var TemporalOps = []string{"t_after", "t_before", "t_contains", "t_disjoint", "t_during", "t_equals", "t_finishedby",
	"t_finishes", "t_intersects", "t_meets", "t_metby", "t_overlappedby", "t_overlaps", "t_startedby", "t_starts"}

// ArrayOps are the array functions, lower case.
var ArrayOps = []string{"a_equals", "a_contains", "a_containedby", "a_overlaps"}

// Error is a filter that cannot be parsed or checked: what is wrong and
// where (Pos, the 1-based character of the text encoding, or Pointer, the
// JSON pointer of the member in the JSON encoding).
type Error struct {
	Pos     int
	Pointer string
	Msg     string
}

func (e *Error) Error() string {
	switch {
	case e.Pos > 0:
		return "at character " + strconv.Itoa(e.Pos) + ": " + e.Msg
	case e.Pointer != "":
		return "at " + e.Pointer + ": " + e.Msg
	}
	return e.Msg
}
