package cql2

import (
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// ParseText parses a filter in the CQL2 text encoding and checks it against
// schema within lim.
func ParseText(src string, schema Schema, lim Limits) (*Expr, error) {
	if len(src) > lim.MaxLength {
		return nil, &Error{Msg: "the filter is " + strconv.Itoa(len(src)) + " bytes long; at most " + strconv.Itoa(lim.MaxLength) + " are accepted"}
	}
	if !utf8.ValidString(src) {
		return nil, &Error{Msg: "the filter is not valid UTF-8"}
	}
	p := &textParser{src: src, lim: lim}
	if err := p.lex(); err != nil {
		return nil, err
	}
	e, err := p.orExpr()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, p.errAt(t, "unexpected "+t.describe()+" after a complete filter (missing AND or OR?)")
	}
	if err := Check(e, schema, lim); err != nil {
		return nil, err
	}
	return e, nil
}

type tokKind uint8

const (
	tEOF tokKind = iota
	tIdent
	tQuoted // "a property"
	tString
	tNumber
	tOp // = <> < <= > >=
	tLParen
	tRParen
	tComma
)

type token struct {
	kind tokKind
	text string // identifier (as written), string value, number text, operator
	pos  int    // 1-based character
}

func (t token) describe() string {
	switch t.kind {
	case tEOF:
		return "end of filter"
	case tIdent:
		return strconv.Quote(t.text)
	case tQuoted:
		return "property " + strconv.Quote(t.text)
	case tString:
		return "string '" + t.text + "'"
	case tNumber:
		return "number " + t.text
	case tLParen:
		return `"("`
	case tRParen:
		return `")"`
	case tComma:
		return `","`
	}
	return strconv.Quote(t.text)
}

// upper returns an identifier in upper case, for keyword tests.
func (t token) upper() string {
	if t.kind != tIdent {
		return ""
	}
	return strings.ToUpper(t.text)
}

type textParser struct {
	src      string
	lim      Limits
	toks     []token
	i        int
	depth    int
	nodes    int
	vertices int
}

// lex splits the whole source into tokens, recording character positions.
func (p *textParser) lex() error {
	s := p.src
	char := 1 // 1-based character position of byte i
	for i := 0; i < len(s); {
		r, w := utf8.DecodeRuneInString(s[i:])
		start := char
		switch {
		case unicode.IsSpace(r):
			i += w
			char++
			continue
		case r == '(':
			p.toks = append(p.toks, token{kind: tLParen, text: "(", pos: start})
		case r == ')':
			p.toks = append(p.toks, token{kind: tRParen, text: ")", pos: start})
		case r == ',':
			p.toks = append(p.toks, token{kind: tComma, text: ",", pos: start})
		case r == '=':
			p.toks = append(p.toks, token{kind: tOp, text: "=", pos: start})
		case r == '<' || r == '>':
			op := string(r)
			if i+1 < len(s) && (s[i+1] == '=' || (r == '<' && s[i+1] == '>')) {
				op += string(s[i+1])
				i++
				char++
			}
			p.toks = append(p.toks, token{kind: tOp, text: op, pos: start})
		case r == '\'' || r == '"':
			var b strings.Builder
			j := i + 1
			c := char + 1
			closed := false
			for j < len(s) {
				q, qw := utf8.DecodeRuneInString(s[j:])
				if q == r {
					if j+1 < len(s) && rune(s[j+1]) == r { // doubled: a literal quote
						b.WriteRune(r)
						j += 2
						c += 2
						continue
					}
					closed = true
					j++
					c++
					break
				}
				b.WriteRune(q)
				j += qw
				c++
			}
			if !closed {
				what := "string"
				if r == '"' {
					what = "quoted property name"
				}
				return &Error{Pos: start, Msg: "unbalanced quote: the " + what + " that starts here is never closed"}
			}
			kind := tString
			if r == '"' {
				kind = tQuoted
			}
			p.toks = append(p.toks, token{kind: kind, text: b.String(), pos: start})
			i, char = j, c
			continue
		case r == '-' || r == '+' || r == '.' || (r >= '0' && r <= '9'):
			j := i
			if s[j] == '-' || s[j] == '+' {
				j++
			}
			digits := 0
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.') {
				j++
				digits++
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '-' || s[k] == '+') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					j = k
				}
			}
			text := s[i:j]
			if digits == 0 {
				return &Error{Pos: start, Msg: "unexpected " + strconv.Quote(string(r))}
			}
			if _, err := strconv.ParseFloat(text, 64); err != nil {
				return &Error{Pos: start, Msg: "malformed number " + strconv.Quote(text)}
			}
			p.toks = append(p.toks, token{kind: tNumber, text: text, pos: start})
			char += j - i
			i = j
			continue
		case r == '_' || unicode.IsLetter(r):
			j := i
			c := char
			for j < len(s) {
				q, qw := utf8.DecodeRuneInString(s[j:])
				if q != '_' && q != '.' && q != ':' && !unicode.IsLetter(q) && !unicode.IsDigit(q) {
					break
				}
				j += qw
				c++
			}
			p.toks = append(p.toks, token{kind: tIdent, text: s[i:j], pos: start})
			i, char = j, c
			continue
		default:
			return &Error{Pos: start, Msg: "unexpected character " + strconv.Quote(string(r))}
		}
		i += w
		char++
		if len(p.toks) > 4*p.lim.MaxNodes+16 {
			return &Error{Pos: start, Msg: "the filter has too many parts; at most " + strconv.Itoa(p.lim.MaxNodes) + " nodes are accepted"}
		}
	}
	p.toks = append(p.toks, token{kind: tEOF, pos: utf8.RuneCountInString(s) + 1})
	return nil
}

func (p *textParser) peek() token { return p.toks[p.i] }

func (p *textParser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *textParser) errAt(t token, msg string) error { return &Error{Pos: t.pos, Msg: msg} }

func (p *textParser) expect(k tokKind, what string) (token, error) {
	t := p.next()
	if t.kind != k {
		return t, p.errAt(t, "expected "+what+", found "+t.describe())
	}
	return t, nil
}

// isKeyword reports whether the next token is the keyword kw.
func (p *textParser) isKeyword(kw string) bool { return p.peek().upper() == kw }

// node counts a new node against the limits.
func (p *textParser) node(e *Expr) (*Expr, error) {
	p.nodes++
	if p.nodes > p.lim.MaxNodes {
		return nil, &Error{Pos: e.Pos, Msg: "the filter has too many parts; at most " + strconv.Itoa(p.lim.MaxNodes) + " nodes are accepted"}
	}
	return e, nil
}

func (p *textParser) enter(t token) error {
	p.depth++
	if p.depth > p.lim.MaxDepth {
		return p.errAt(t, "the filter is nested too deeply; at most "+strconv.Itoa(p.lim.MaxDepth)+" levels are accepted")
	}
	return nil
}

func (p *textParser) leave() { p.depth-- }

func (p *textParser) orExpr() (*Expr, error) {
	return p.chain("OR", Or, p.andExpr)
}

func (p *textParser) andExpr() (*Expr, error) {
	return p.chain("AND", And, p.notExpr)
}

func (p *textParser) chain(kw string, kind Kind, sub func() (*Expr, error)) (*Expr, error) {
	start := p.peek()
	first, err := sub()
	if err != nil {
		return nil, err
	}
	if !p.isKeyword(kw) {
		return first, nil
	}
	e := &Expr{Kind: kind, Args: []*Expr{first}, Pos: start.pos}
	for p.isKeyword(kw) {
		p.next()
		a, err := sub()
		if err != nil {
			return nil, err
		}
		e.Args = append(e.Args, a)
	}
	return p.node(e)
}

func (p *textParser) notExpr() (*Expr, error) {
	t := p.peek()
	if t.upper() != "NOT" {
		return p.primary()
	}
	p.next()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer p.leave()
	a, err := p.notExpr()
	if err != nil {
		return nil, err
	}
	return p.node(&Expr{Kind: Not, Args: []*Expr{a}, Pos: t.pos})
}

// primary parses a parenthesised filter, a function predicate, a boolean
// literal or a comparison.
func (p *textParser) primary() (*Expr, error) {
	t := p.peek()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer p.leave()
	switch {
	case t.kind == tLParen:
		p.next()
		e, err := p.orExpr()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tRParen, `")" to close the "(" at character `+strconv.Itoa(t.pos)); err != nil {
			return nil, err
		}
		return e, nil
	case t.kind == tIdent && p.toks[p.i+1].kind == tLParen:
		name := strings.ToLower(t.text)
		switch {
		case contains(SpatialOps, name):
			return p.function(Spatial, name, p.geomOperand)
		case contains(TemporalOps, name):
			return p.function(Temporal, name, p.temporalOperand)
		case contains(ArrayOps, name):
			return p.function(ArrayOp, name, p.arrayOperand)
		}
	case t.upper() == "TRUE" || t.upper() == "FALSE":
		if p.toks[p.i+1].kind != tOp && !isPredicateKeyword(p.toks[p.i+1]) {
			p.next()
			return p.node(&Expr{Kind: BoolLit, Bool: t.upper() == "TRUE", Pos: t.pos})
		}
	}
	return p.comparison()
}

func isPredicateKeyword(t token) bool {
	switch t.upper() {
	case "LIKE", "BETWEEN", "IN", "IS", "NOT":
		return true
	}
	return false
}

// function parses name(a, b) with operand parsing each argument.
func (p *textParser) function(kind Kind, name string, operand func() (*Expr, error)) (*Expr, error) {
	t := p.next()
	p.next() // (
	a, err := operand()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tComma, `"," between the two arguments of `+strings.ToUpper(name)); err != nil {
		return nil, err
	}
	b, err := operand()
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen, `")" after the two arguments of `+strings.ToUpper(name)); err != nil {
		return nil, err
	}
	return p.node(&Expr{Kind: kind, Op: name, Args: []*Expr{a, b}, Pos: t.pos})
}

// comparison parses scalar op scalar, LIKE, BETWEEN, IN and IS NULL.
func (p *textParser) comparison() (*Expr, error) {
	start := p.peek()
	left, err := p.scalar()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	if t.kind == tOp {
		p.next()
		right, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return p.node(&Expr{Kind: Compare, Op: t.text, Args: []*Expr{left, right}, Pos: start.pos})
	}
	negated := false
	if t.upper() == "NOT" {
		p.next()
		negated = true
		t = p.peek()
	}
	switch t.upper() {
	case "LIKE":
		p.next()
		pat, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return p.node(&Expr{Kind: Like, Negated: negated, Args: []*Expr{left, pat}, Pos: start.pos})
	case "BETWEEN":
		p.next()
		lo, err := p.scalar()
		if err != nil {
			return nil, err
		}
		if !p.isKeyword("AND") {
			return nil, p.errAt(p.peek(), "expected AND in BETWEEN … AND …, found "+p.peek().describe())
		}
		p.next()
		hi, err := p.scalar()
		if err != nil {
			return nil, err
		}
		return p.node(&Expr{Kind: Between, Negated: negated, Args: []*Expr{left, lo, hi}, Pos: start.pos})
	case "IN":
		p.next()
		open, err := p.expect(tLParen, `"(" to open the IN list`)
		if err != nil {
			return nil, err
		}
		e := &Expr{Kind: In, Negated: negated, Args: []*Expr{left}, Pos: start.pos}
		items, err := p.list(open, "IN list")
		if err != nil {
			return nil, err
		}
		e.Args = append(e.Args, items...)
		return p.node(e)
	case "IS":
		if negated {
			return nil, p.errAt(t, "write IS NOT NULL, not NOT IS NULL")
		}
		p.next()
		if p.isKeyword("NOT") {
			p.next()
			negated = true
		}
		if !p.isKeyword("NULL") {
			return nil, p.errAt(p.peek(), "expected NULL after IS, found "+p.peek().describe())
		}
		p.next()
		return p.node(&Expr{Kind: IsNull, Negated: negated, Args: []*Expr{left}, Pos: start.pos})
	}
	if negated {
		return nil, p.errAt(t, "expected LIKE, BETWEEN or IN after NOT, found "+t.describe())
	}
	return nil, p.errAt(t, "expected a comparison (=, <>, <, <=, >, >=, LIKE, BETWEEN, IN or IS NULL) after "+start.describe()+", found "+t.describe())
}

// scalar parses a property, a literal, DATE(…), TIMESTAMP(…) or CASEI(…).
func (p *textParser) scalar() (*Expr, error) {
	t := p.peek()
	switch t.kind {
	case tString:
		p.next()
		return p.node(&Expr{Kind: String, Str: t.text, Pos: t.pos})
	case tNumber:
		p.next()
		v, _ := strconv.ParseFloat(t.text, 64)
		return p.node(&Expr{Kind: Number, Num: v, Pos: t.pos})
	case tQuoted:
		p.next()
		return p.node(&Expr{Kind: Property, Name: t.text, Pos: t.pos})
	case tIdent:
		up := t.upper()
		if p.toks[p.i+1].kind == tLParen {
			switch up {
			case "DATE", "TIMESTAMP":
				return p.instant()
			case "CASEI":
				p.next()
				p.next()
				if err := p.enter(t); err != nil {
					return nil, err
				}
				defer p.leave()
				a, err := p.scalar()
				if err != nil {
					return nil, err
				}
				if _, err := p.expect(tRParen, `")" to close CASEI(`); err != nil {
					return nil, err
				}
				return p.node(&Expr{Kind: Casei, Args: []*Expr{a}, Pos: t.pos})
			case "ACCENTI":
				return nil, p.errAt(t, "ACCENTI (accent-insensitive comparison) is not supported by this server; CASEI is")
			case "INTERVAL":
				return nil, p.errAt(t, "an INTERVAL is an argument of a temporal function (T_INTERSECTS, T_DURING, …), not a scalar")
			}
			return nil, p.errAt(t, "unknown function "+t.text+"; this server knows CASEI, DATE, TIMESTAMP, INTERVAL, BBOX, the S_ (spatial), T_ (temporal) and A_ (array) functions")
		}
		switch up {
		case "TRUE", "FALSE":
			p.next()
			return p.node(&Expr{Kind: BoolLit, Bool: up == "TRUE", Pos: t.pos})
		case "AND", "OR", "NOT", "LIKE", "BETWEEN", "IN", "IS", "NULL":
			return nil, p.errAt(t, "expected a property or a value, found the keyword "+up+` (quote a property with that name: "`+t.text+`")`)
		}
		p.next()
		return p.node(&Expr{Kind: Property, Name: t.text, Pos: t.pos})
	}
	return nil, p.errAt(t, "expected a property or a value, found "+t.describe())
}

// instant parses DATE('…') or TIMESTAMP('…').
func (p *textParser) instant() (*Expr, error) {
	t := p.next()
	p.next() // (
	s, err := p.expect(tString, "a quoted "+strings.ToLower(t.upper())+" in "+t.upper()+"(…)")
	if err != nil {
		return nil, err
	}
	if _, err := p.expect(tRParen, `")" to close `+t.upper()+"("); err != nil {
		return nil, err
	}
	e, err := instantLit(t.upper() == "DATE", s.text)
	if err != nil {
		return nil, p.errAt(s, err.Error())
	}
	e.Pos = t.pos
	return p.node(e)
}

// quotedInstant parses a quoted date or timestamp written as a plain string
// (an end of INTERVAL, or a string beside valid_from): a date by its length.
func quotedInstant(s string) (*Expr, error) {
	return instantLit(len(s) == len("2006-01-02"), s)
}

// instantLit parses the text of a date or timestamp literal.
func instantLit(isDate bool, s string) (*Expr, error) {
	if isDate {
		d, err := time.Parse("2006-01-02", s)
		if err != nil {
			return nil, &Error{Msg: strconv.Quote(s) + " is not a date (want YYYY-MM-DD)"}
		}
		if d.Year() < 1 || d.Year() > 9999 || d.IsZero() {
			return nil, &Error{Msg: strconv.Quote(s) + " is out of range"}
		}
		return &Expr{Kind: Date, Time: d}, nil
	}
	ts, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil, &Error{Msg: strconv.Quote(s) + " is not an RFC 3339 timestamp with a time zone (for example 2026-01-18T00:00:00Z)"}
	}
	ts = ts.UTC().Truncate(time.Microsecond)
	if !ts.After(time.Time{}) || ts.Year() > 9999 {
		return nil, &Error{Msg: strconv.Quote(s) + " is out of range"}
	}
	return &Expr{Kind: Timestamp, Time: ts}, nil
}

// temporalOperand parses a property, DATE, TIMESTAMP or INTERVAL.
func (p *textParser) temporalOperand() (*Expr, error) {
	t := p.peek()
	if t.upper() == "INTERVAL" && p.toks[p.i+1].kind == tLParen {
		p.next()
		p.next()
		e := &Expr{Kind: Interval, Pos: t.pos}
		for k := 0; k < 2; k++ {
			if k == 1 {
				if _, err := p.expect(tComma, `"," between the start and the end of INTERVAL`); err != nil {
					return nil, err
				}
			}
			end, err := p.intervalEnd()
			if err != nil {
				return nil, err
			}
			e.Args = append(e.Args, end)
		}
		if _, err := p.expect(tRParen, `")" to close INTERVAL(`); err != nil {
			return nil, err
		}
		return p.node(e)
	}
	return p.scalar()
}

// intervalEnd parses an end of INTERVAL: '..', a date or timestamp string,
// DATE(…), TIMESTAMP(…) or a property.
func (p *textParser) intervalEnd() (*Expr, error) {
	t := p.peek()
	if t.kind == tString {
		p.next()
		if t.text == ".." {
			return p.node(&Expr{Kind: Open, Pos: t.pos})
		}
		e, err := quotedInstant(t.text)
		if err != nil {
			return nil, p.errAt(t, err.Error())
		}
		e.Pos = t.pos
		return p.node(e)
	}
	return p.scalar()
}

// arrayOperand parses a property or a parenthesised list of literals.
func (p *textParser) arrayOperand() (*Expr, error) {
	t := p.peek()
	if t.kind != tLParen {
		return p.scalar()
	}
	p.next()
	e := &Expr{Kind: Array, Pos: t.pos}
	if p.peek().kind == tRParen {
		p.next()
		return p.node(e)
	}
	items, err := p.list(t, "array")
	if err != nil {
		return nil, err
	}
	e.Args = items
	return p.node(e)
}

// list parses scalars separated by commas and the ")" after them, the
// list (of what) having been opened by the "(" open.
func (p *textParser) list(open token, what string) ([]*Expr, error) {
	var items []*Expr
	for {
		if len(items) >= p.lim.MaxList {
			return nil, p.errAt(open, "the "+what+" is too long; at most "+strconv.Itoa(p.lim.MaxList)+" items are accepted")
		}
		item, err := p.scalar()
		if err != nil {
			return nil, err
		}
		items = append(items, item)
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	if _, err := p.expect(tRParen, `")" to close the `+what+" opened at character "+strconv.Itoa(open.pos)); err != nil {
		return nil, err
	}
	return items, nil
}

// geomOperand parses a property or a WKT geometry or BBOX(…).
func (p *textParser) geomOperand() (*Expr, error) {
	t := p.peek()
	if t.kind != tIdent || p.toks[p.i+1].kind != tLParen {
		return p.scalar()
	}
	up := t.upper()
	p.next()
	var g orb.Geometry
	var err error
	switch up {
	case "BBOX":
		return p.bbox(t)
	case "POINT":
		g, err = p.wktPoint()
	case "LINESTRING":
		g, err = p.wktLine()
	case "POLYGON":
		g, err = p.wktPolygon()
	case "MULTIPOINT":
		g, err = p.wktMulti(func() (orb.Geometry, error) { return p.wktPointMaybeBare() })
	case "MULTILINESTRING":
		g, err = p.wktMulti(func() (orb.Geometry, error) { return p.wktLine() })
	case "MULTIPOLYGON":
		g, err = p.wktMulti(func() (orb.Geometry, error) { return p.wktPolygon() })
	case "GEOMETRYCOLLECTION":
		g, err = p.wktCollection()
	default:
		if p.toks[p.i].kind == tLParen {
			return nil, p.errAt(t, "unknown geometry or function "+t.text+" (want POINT, LINESTRING, POLYGON, MULTIPOINT, MULTILINESTRING, MULTIPOLYGON, GEOMETRYCOLLECTION or BBOX)")
		}
		return nil, p.errAt(t, "expected a geometry, found "+t.describe())
	}
	if err != nil {
		return nil, err
	}
	return p.node(&Expr{Kind: Geometry, Geom: g, Pos: t.pos})
}

func (p *textParser) bbox(t token) (*Expr, error) {
	p.next() // (
	var v []float64
	for {
		n, err := p.expect(tNumber, "a number in BBOX(…)")
		if err != nil {
			return nil, err
		}
		f, _ := strconv.ParseFloat(n.text, 64)
		v = append(v, f)
		if p.peek().kind != tComma {
			break
		}
		p.next()
		if len(v) > 6 {
			break
		}
	}
	if _, err := p.expect(tRParen, `")" to close BBOX(`); err != nil {
		return nil, err
	}
	e, err := bboxLit(v)
	if err != nil {
		return nil, p.errAt(t, err.Error())
	}
	e.Pos = t.pos
	return p.node(e)
}

// bboxLit makes the literal of a bbox given as 4 (or 6, with heights) numbers.
func bboxLit(v []float64) (*Expr, error) {
	switch len(v) {
	case 4:
	case 6:
		v = []float64{v[0], v[1], v[3], v[4]}
	default:
		return nil, &Error{Msg: "a BBOX has 4 numbers (minLon, minLat, maxLon, maxLat), not " + strconv.Itoa(len(v))}
	}
	if v[0] > v[2] || v[1] > v[3] {
		return nil, &Error{Msg: "a BBOX's minimum is greater than its maximum (want minLon, minLat, maxLon, maxLat; a box across the antimeridian is not supported)"}
	}
	if v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 {
		return nil, &Error{Msg: "a BBOX must lie within longitudes -180..180 and latitudes -90..90"}
	}
	b := orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}
	return &Expr{Kind: Geometry, Geom: b, IsBBox: true}, nil
}

// wktCoord parses "x y" (a third number, a height, is read and dropped).
func (p *textParser) wktCoord() (orb.Point, error) {
	var pt orb.Point
	for k := 0; k < 2; k++ {
		n, err := p.expect(tNumber, "a coordinate")
		if err != nil {
			return pt, err
		}
		pt[k], _ = strconv.ParseFloat(n.text, 64)
	}
	if p.peek().kind == tNumber {
		p.next()
	}
	if pt[0] < -180 || pt[0] > 180 || pt[1] < -90 || pt[1] > 90 {
		return pt, p.errAt(p.toks[p.i-1], "a coordinate must be a longitude from -180 to 180 and a latitude from -90 to 90")
	}
	p.vertices++
	if p.vertices > p.lim.MaxVertices {
		return pt, p.errAt(p.toks[p.i-1], "the geometries have too many vertices; at most "+strconv.Itoa(p.lim.MaxVertices)+" in all are accepted")
	}
	return pt, nil
}

func (p *textParser) open() error {
	_, err := p.expect(tLParen, `"("`)
	return err
}

func (p *textParser) close() error {
	_, err := p.expect(tRParen, `")" or ","`)
	return err
}

func (p *textParser) wktPoint() (orb.Geometry, error) {
	if err := p.open(); err != nil {
		return nil, err
	}
	pt, err := p.wktCoord()
	if err != nil {
		return nil, err
	}
	return pt, p.close()
}

// wktPointMaybeBare parses a point of a MULTIPOINT: "(x y)" or "x y".
func (p *textParser) wktPointMaybeBare() (orb.Geometry, error) {
	if p.peek().kind == tLParen {
		return p.wktPoint()
	}
	return p.wktCoord()
}

func (p *textParser) wktCoords() ([]orb.Point, error) {
	if err := p.open(); err != nil {
		return nil, err
	}
	var pts []orb.Point
	for {
		pt, err := p.wktCoord()
		if err != nil {
			return nil, err
		}
		pts = append(pts, pt)
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	return pts, p.close()
}

func (p *textParser) wktLine() (orb.Geometry, error) {
	pts, err := p.wktCoords()
	return orb.LineString(pts), err
}

func (p *textParser) wktPolygon() (orb.Geometry, error) {
	if err := p.open(); err != nil {
		return nil, err
	}
	var poly orb.Polygon
	for {
		pts, err := p.wktCoords()
		if err != nil {
			return nil, err
		}
		poly = append(poly, orb.Ring(pts))
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	return poly, p.close()
}

func (p *textParser) wktMulti(part func() (orb.Geometry, error)) (orb.Geometry, error) {
	if err := p.open(); err != nil {
		return nil, err
	}
	var parts []orb.Geometry
	for {
		g, err := part()
		if err != nil {
			return nil, err
		}
		parts = append(parts, g)
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	if err := p.close(); err != nil {
		return nil, err
	}
	switch parts[0].(type) {
	case orb.Point:
		mp := make(orb.MultiPoint, len(parts))
		for i, g := range parts {
			mp[i] = g.(orb.Point)
		}
		return mp, nil
	case orb.LineString:
		ml := make(orb.MultiLineString, len(parts))
		for i, g := range parts {
			ml[i] = g.(orb.LineString)
		}
		return ml, nil
	default:
		mp := make(orb.MultiPolygon, len(parts))
		for i, g := range parts {
			mp[i] = g.(orb.Polygon)
		}
		return mp, nil
	}
}

func (p *textParser) wktCollection() (orb.Geometry, error) {
	if err := p.open(); err != nil {
		return nil, err
	}
	var gc orb.Collection
	for {
		t := p.peek()
		if err := p.enter(t); err != nil {
			return nil, err
		}
		e, err := p.geomOperand()
		p.leave()
		if err != nil {
			return nil, err
		}
		if e.Kind != Geometry || e.IsBBox {
			return nil, p.errAt(t, "a GEOMETRYCOLLECTION holds WKT geometries only")
		}
		gc = append(gc, e.Geom)
		if p.peek().kind != tComma {
			break
		}
		p.next()
	}
	return gc, p.close()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
