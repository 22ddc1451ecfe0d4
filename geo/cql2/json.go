package cql2

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// ParseJSON parses a filter in the CQL2 JSON encoding and checks it against
// schema within lim. Errors point at the member with a JSON pointer.
func ParseJSON(src []byte, schema Schema, lim Limits) (*Expr, error) {
	if len(src) > lim.MaxLength {
		return nil, &Error{Msg: "the filter is " + strconv.Itoa(len(src)) + " bytes long; at most " + strconv.Itoa(lim.MaxLength) + " are accepted"}
	}
	dec := json.NewDecoder(bytes.NewReader(src))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, &Error{Msg: "not valid JSON: " + strings.TrimPrefix(err.Error(), "json: ")}
	}
	if dec.More() {
		return nil, &Error{Msg: "not valid JSON: text after the filter object"}
	}
	p := &jsonParser{lim: lim}
	e, err := p.node(v, "", 1)
	if err != nil {
		return nil, err
	}
	if err := Check(e, schema, lim); err != nil {
		return nil, err
	}
	return e, nil
}

type jsonParser struct {
	lim   Limits
	nodes int
}

func jerr(ptr, msg string) error {
	if ptr == "" {
		ptr = "/"
	}
	return &Error{Pointer: ptr, Msg: msg}
}

// node converts one JSON value at pointer ptr.
func (p *jsonParser) node(v any, ptr string, depth int) (*Expr, error) {
	p.nodes++
	if p.nodes > p.lim.MaxNodes+p.lim.MaxVertices {
		return nil, jerr(ptr, "the filter has too many parts; at most "+strconv.Itoa(p.lim.MaxNodes)+" nodes are accepted")
	}
	if depth > p.lim.MaxDepth {
		return nil, jerr(ptr, "the filter is nested too deeply; at most "+strconv.Itoa(p.lim.MaxDepth)+" levels are accepted")
	}
	switch x := v.(type) {
	case string:
		return &Expr{Kind: String, Str: x, Pointer: ptr}, nil
	case json.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return nil, jerr(ptr, "number out of range")
		}
		return &Expr{Kind: Number, Num: f, Pointer: ptr}, nil
	case bool:
		return &Expr{Kind: BoolLit, Bool: x, Pointer: ptr}, nil
	case nil:
		return nil, jerr(ptr, "null is not a CQL2 value (use isNull)")
	case []any:
		if len(x) > p.lim.MaxList {
			return nil, jerr(ptr, "the array is too long; at most "+strconv.Itoa(p.lim.MaxList)+" items are accepted")
		}
		e := &Expr{Kind: Array, Pointer: ptr}
		for i, item := range x {
			a, err := p.node(item, ptr+"/"+strconv.Itoa(i), depth+1)
			if err != nil {
				return nil, err
			}
			e.Args = append(e.Args, a)
		}
		return e, nil
	case map[string]any:
		return p.object(x, ptr, depth)
	}
	return nil, jerr(ptr, "unexpected JSON value")
}

func (p *jsonParser) object(m map[string]any, ptr string, depth int) (*Expr, error) {
	only := func(key string) error {
		if len(m) != 1 {
			return jerr(ptr, "an object with "+strconv.Quote(key)+" has no other members")
		}
		return nil
	}
	switch {
	case m["op"] != nil:
		return p.op(m, ptr, depth)
	case m["property"] != nil:
		if err := only("property"); err != nil {
			return nil, err
		}
		name, ok := m["property"].(string)
		if !ok {
			return nil, jerr(ptr+"/property", "a property name is a string")
		}
		return &Expr{Kind: Property, Name: name, Pointer: ptr}, nil
	case m["timestamp"] != nil || m["date"] != nil:
		key := "timestamp"
		if m["date"] != nil {
			key = "date"
		}
		if err := only(key); err != nil {
			return nil, err
		}
		s, ok := m[key].(string)
		if !ok {
			return nil, jerr(ptr+"/"+key, "a "+key+" is a string")
		}
		e, err := instantLit(key == "date", s)
		if err != nil {
			return nil, jerr(ptr+"/"+key, err.(*Error).Msg)
		}
		e.Pointer = ptr
		return e, nil
	case m["interval"] != nil:
		if err := only("interval"); err != nil {
			return nil, err
		}
		ends, ok := m["interval"].([]any)
		if !ok || len(ends) != 2 {
			return nil, jerr(ptr+"/interval", "an interval is an array of a start and an end")
		}
		e := &Expr{Kind: Interval, Pointer: ptr}
		for i, end := range ends {
			eptr := ptr + "/interval/" + strconv.Itoa(i)
			if s, ok := end.(string); ok {
				if s == ".." {
					e.Args = append(e.Args, &Expr{Kind: Open, Pointer: eptr})
					continue
				}
				lit, err := quotedInstant(s)
				if err != nil {
					return nil, jerr(eptr, err.(*Error).Msg)
				}
				lit.Pointer = eptr
				e.Args = append(e.Args, lit)
				continue
			}
			a, err := p.node(end, eptr, depth+1)
			if err != nil {
				return nil, err
			}
			e.Args = append(e.Args, a)
		}
		return e, nil
	case m["bbox"] != nil:
		if err := only("bbox"); err != nil {
			return nil, err
		}
		arr, ok := m["bbox"].([]any)
		if !ok {
			return nil, jerr(ptr+"/bbox", "a bbox is an array of 4 numbers")
		}
		var v []float64
		for i, n := range arr {
			num, ok := n.(json.Number)
			f, err := strconv.ParseFloat(string(num), 64)
			if !ok || err != nil {
				return nil, jerr(ptr+"/bbox/"+strconv.Itoa(i), "a bbox holds numbers")
			}
			v = append(v, f)
		}
		e, err := bboxLit(v)
		if err != nil {
			return nil, jerr(ptr+"/bbox", err.(*Error).Msg)
		}
		e.Pointer = ptr
		return e, nil
	case m["type"] != nil && (m["coordinates"] != nil || m["geometries"] != nil):
		if err := checkPositions(m); err != nil {
			return nil, jerr(ptr, "invalid GeoJSON geometry: "+err.Error())
		}
		raw, err := json.Marshal(m)
		if err != nil {
			return nil, jerr(ptr, "invalid GeoJSON geometry")
		}
		g, err := geojson.UnmarshalGeometry(raw)
		if err != nil || g.Geometry() == nil {
			msg := "invalid GeoJSON geometry"
			if err != nil {
				msg += ": " + err.Error()
			}
			return nil, jerr(ptr, msg)
		}
		geom := g.Geometry()
		if _, isBound := geom.(orb.Bound); isBound {
			return nil, jerr(ptr, "invalid GeoJSON geometry")
		}
		return &Expr{Kind: Geometry, Geom: geom, Pointer: ptr}, nil
	}
	return nil, jerr(ptr, `unknown object: expected a member "op", "property", "timestamp", "date", "interval", "bbox", or a GeoJSON geometry`)
}

// op converts {"op": …, "args": […]}.
func (p *jsonParser) op(m map[string]any, ptr string, depth int) (*Expr, error) {
	name, ok := m["op"].(string)
	if !ok {
		return nil, jerr(ptr+"/op", "op is a string")
	}
	for k := range m {
		if k != "op" && k != "args" {
			return nil, jerr(ptr+"/"+k, "unknown member "+strconv.Quote(k)+" of an operation (it has op and args)")
		}
	}
	rawArgs, ok := m["args"].([]any)
	if !ok {
		return nil, jerr(ptr+"/args", "args is an array")
	}
	lower := strings.ToLower(name)
	e := &Expr{Pointer: ptr}
	switch {
	case lower == "and":
		e.Kind = And
	case lower == "or":
		e.Kind = Or
	case lower == "not":
		e.Kind = Not
	case contains([]string{"=", "<>", "<", "<=", ">", ">="}, name):
		e.Kind, e.Op = Compare, name
	case lower == "like":
		e.Kind = Like
	case lower == "between":
		e.Kind = Between
	case lower == "in":
		e.Kind = In
	case lower == "isnull":
		e.Kind = IsNull
	case lower == "casei":
		e.Kind = Casei
	case lower == "accenti":
		return nil, jerr(ptr+"/op", "accenti (accent-insensitive comparison) is not supported by this server; casei is")
	case contains(SpatialOps, lower):
		e.Kind, e.Op = Spatial, lower
	case contains(TemporalOps, lower):
		e.Kind, e.Op = Temporal, lower
	case contains(ArrayOps, lower):
		e.Kind, e.Op = ArrayOp, lower
	default:
		return nil, jerr(ptr+"/op", "unknown operator "+strconv.Quote(name))
	}
	for i, a := range rawArgs {
		aptr := ptr + "/args/" + strconv.Itoa(i)
		if e.Kind == In && i == 1 {
			list, ok := a.([]any)
			if !ok {
				return nil, jerr(aptr, "the second argument of in is the array of values")
			}
			if len(list) > p.lim.MaxList {
				return nil, jerr(aptr, "the IN list is too long; at most "+strconv.Itoa(p.lim.MaxList)+" items are accepted")
			}
			for j, item := range list {
				x, err := p.node(item, aptr+"/"+strconv.Itoa(j), depth+1)
				if err != nil {
					return nil, err
				}
				e.Args = append(e.Args, x)
			}
			continue
		}
		x, err := p.node(a, aptr, depth+1)
		if err != nil {
			return nil, err
		}
		e.Args = append(e.Args, x)
	}
	if e.Kind == In && len(rawArgs) != 2 {
		return nil, jerr(ptr+"/args", "in takes an operand and an array of values")
	}
	return e, nil
}

// positionDepth is how deep the positions lie in each geometry type's
// coordinates: 0 a position, 1 a list of them, and so on.
var positionDepth = map[string]int{"Point": 0, "MultiPoint": 1, "LineString": 1, "MultiLineString": 2, "Polygon": 2, "MultiPolygon": 3}

// checkPositions checks that a GeoJSON geometry's coordinates nest as its
// type says and that every position holds two or three numbers (orb would
// read [] as POINT(0 0)), and the members of a GeometryCollection alike.
func checkPositions(m map[string]any) error {
	typ, _ := m["type"].(string)
	if typ == "GeometryCollection" {
		geoms, ok := m["geometries"].([]any)
		if !ok {
			return &Error{Msg: "a GeometryCollection has an array of geometries"}
		}
		for _, g := range geoms {
			gm, ok := g.(map[string]any)
			if !ok {
				return &Error{Msg: "a member of a GeometryCollection is not a geometry"}
			}
			if err := checkPositions(gm); err != nil {
				return err
			}
		}
		return nil
	}
	depth, ok := positionDepth[typ]
	if !ok {
		return &Error{Msg: "unknown type " + strconv.Quote(typ)}
	}
	var walk func(v any, d int) error
	walk = func(v any, d int) error {
		arr, ok := v.([]any)
		if !ok {
			return &Error{Msg: "coordinates do not nest as a " + typ + "'s"}
		}
		if d == 0 {
			if len(arr) < 2 || len(arr) > 3 {
				return &Error{Msg: "a position has two or three numbers"}
			}
			for _, n := range arr {
				if _, ok := n.(json.Number); !ok {
					return &Error{Msg: "a position holds numbers"}
				}
			}
			return nil
		}
		if len(arr) == 0 {
			return &Error{Msg: "an empty list of coordinates"}
		}
		for _, x := range arr {
			if err := walk(x, d-1); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(m["coordinates"], depth)
}
