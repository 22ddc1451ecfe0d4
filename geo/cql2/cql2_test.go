package cql2_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/controlmap/controlmap/geo/cql2"
)

var schema = cql2.Schema{Properties: []string{"controller", "status", "name", "population", "tags", "claim_status", "in"}}

// equivalent are the same filters in the two encodings.
var equivalent = []struct{ text, json string }{
	{`controller = 'sdf'`, `{"op":"=","args":[{"property":"controller"},"sdf"]}`},
	{`controller = 'sdf' AND NOT status = 'besieged'`,
		`{"op":"and","args":[{"op":"=","args":[{"property":"controller"},"sdf"]},{"op":"not","args":[{"op":"=","args":[{"property":"status"},"besieged"]}]}]}`},
	{`population BETWEEN 10 AND 2e4`, `{"op":"between","args":[{"property":"population"},10,20000]}`},
	{`controller NOT IN ('sdf', 'government')`, `{"op":"not","args":[{"op":"in","args":[{"property":"controller"},["sdf","government"]]}]}`},
	{`CASEI(name) LIKE CASEI('al-%')`, `{"op":"like","args":[{"op":"casei","args":[{"property":"name"}]},{"op":"casei","args":["al-%"]}]}`},
	{`S_INTERSECTS(geometry, BBOX(40, 36, 41, 37))`, `{"op":"s_intersects","args":[{"property":"geometry"},{"bbox":[40,36,41,37]}]}`},
	{`S_WITHIN(geometry, POLYGON((40 36, 41 36, 41 37, 40 37, 40 36)))`,
		`{"op":"s_within","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[40,36],[41,36],[41,37],[40,37],[40,36]]]}]}`},
	{`T_INTERSECTS(INTERVAL(valid_from, valid_to), INTERVAL('2026-01-18', '..'))`,
		`{"op":"t_intersects","args":[{"interval":[{"property":"valid_from"},{"property":"valid_to"}]},{"interval":["2026-01-18",".."]}]}`},
	{`T_AFTER(valid_from, TIMESTAMP('2026-01-18T10:00:00Z'))`, `{"op":"t_after","args":[{"property":"valid_from"},{"timestamp":"2026-01-18T10:00:00Z"}]}`},
	{`valid_to < DATE('2026-02-01')`, `{"op":"<","args":[{"property":"valid_to"},{"date":"2026-02-01"}]}`},
	{`A_CONTAINS(tags, ('a', 1, true))`, `{"op":"a_contains","args":[{"property":"tags"},["a",1,true]]}`},
	{`population IS NOT NULL`, `{"op":"not","args":[{"op":"isNull","args":[{"property":"population"}]}]}`},
	{`"in" = 'quoted name'`, `{"op":"=","args":[{"property":"in"},"quoted name"]}`},
}

func TestEncodingsAgree(t *testing.T) {
	for _, c := range equivalent {
		te, err := cql2.ParseText(c.text, schema, cql2.DefaultLimits)
		if err != nil {
			t.Errorf("text %s: %v", c.text, err)
			continue
		}
		je, err := cql2.ParseJSON([]byte(c.json), schema, cql2.DefaultLimits)
		if err != nil {
			t.Errorf("json %s: %v", c.json, err)
			continue
		}
		// NOT x IN (…) and x NOT IN (…) are the same filter written two
		// ways; compare what they select through their canonical texts
		// where the shapes agree, else just that both parse.
		if te.String() != je.String() && !strings.Contains(c.text, "NOT") {
			t.Errorf("%s: text gives %s, JSON gives %s", c.text, te.String(), je.String())
		}
		again, err := cql2.ParseText(te.String(), schema, cql2.DefaultLimits)
		if err != nil {
			t.Errorf("canonical %s does not parse: %v", te.String(), err)
		} else if again.String() != te.String() {
			t.Errorf("canonical text is not stable: %s then %s", te.String(), again.String())
		}
	}
}

// TestCollectionSpreads checks that S_INTERSECTS of a GEOMETRYCOLLECTION
// becomes S_INTERSECTS of each member, and S_DISJOINT all of them.
func TestCollectionSpreads(t *testing.T) {
	for src, want := range map[string]string{
		`S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 2)))`: `(S_INTERSECTS("geometry", POINT(1 1)) OR S_INTERSECTS("geometry", LINESTRING(0 0,1 2)))`,
		`S_DISJOINT(geometry, GEOMETRYCOLLECTION(POINT(1 1), POINT(2 2)))`:             `(S_DISJOINT("geometry", POINT(1 1)) AND S_DISJOINT("geometry", POINT(2 2)))`,
		`S_INTERSECTS(geometry, GEOMETRYCOLLECTION(POINT(1 1)))`:                       `S_INTERSECTS("geometry", POINT(1 1))`,
	} {
		e, err := cql2.ParseText(src, schema, cql2.DefaultLimits)
		if err != nil {
			t.Errorf("%s: %v", src, err)
			continue
		}
		if e.String() != want {
			t.Errorf("%s\ngot  %s\nwant %s", src, e.String(), want)
		}
	}
}

func TestKeywordsAnyCase(t *testing.T) {
	a, err := cql2.ParseText(`controller in ('sdf') and s_intersects(geometry, bbox(40,36,41,37)) or not population is null`, schema, cql2.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	b, err := cql2.ParseText(`CONTROLLER_X = 'a'`, cql2.Schema{Properties: []string{"CONTROLLER_X"}}, cql2.DefaultLimits)
	if err != nil || b.Args[0].Name != "CONTROLLER_X" {
		t.Fatalf("property names keep their case: %v %v", b, err)
	}
	if want := `((("controller" IN ('sdf')) AND S_INTERSECTS("geometry", BBOX(40, 36, 41, 37))) OR NOT ("population" IS NULL))`; a.String() != want {
		// AND binds tighter than OR.
		t.Errorf("got  %s\nwant %s", a.String(), want)
	}
}

// TestErrors checks that each bad filter is refused with its position (text)
// or JSON pointer and a message naming the fault.
func TestErrors(t *testing.T) {
	deep := strings.Repeat("(", 200) + "controller = 'a'" + strings.Repeat(")", 200)
	var long strings.Builder
	long.WriteString("controller IN (")
	for i := 0; i < 600; i++ {
		if i > 0 {
			long.WriteString(",")
		}
		long.WriteString("'x'")
	}
	long.WriteString(")")
	var poly strings.Builder
	poly.WriteString("S_INTERSECTS(geometry, LINESTRING(")
	for i := 0; i < 1100; i++ {
		if i > 0 {
			poly.WriteString(",")
		}
		poly.WriteString("1 1")
	}
	poly.WriteString("))")
	cases := []struct {
		name, src string
		pos       int
		msg       string
	}{
		{"unbalanced quote", `name = 'al-Hol`, 8, "unbalanced quote"},
		{"unbalanced double quote", `"name = 'x'`, 1, "never closed"},
		{"unbalanced parenthesis", `(controller = 'a'`, 18, `")" to close`},
		{"unknown property", `colour = 'red'`, 1, `unknown property "colour"`},
		{"unknown function", `FOO(name) = 1`, 1, "unknown function FOO"},
		{"unknown geometry", `S_INTERSECTS(geometry, CIRCLE(1 2))`, 24, "unknown geometry"},
		{"invalid WKT", `S_INTERSECTS(geometry, POINT(1))`, 31, "expected a coordinate"},
		{"self-intersecting polygon", `S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))`, 24, "invalid geometry"},
		{"coordinate out of range", `S_INTERSECTS(geometry, POINT(200 10))`, 34, "longitude"},
		{"bad bbox", `S_INTERSECTS(geometry, BBOX(1, 2, 0, 3))`, 24, "minimum is greater"},
		{"bad date", `valid_from > DATE('2026-13-01')`, 19, "not a date"},
		{"bad timestamp", `valid_from > TIMESTAMP('2026-01-01')`, 24, "RFC 3339"},
		{"bad string as a time", `valid_from > 'soon'`, 14, "not an RFC 3339"},
		{"type mismatch", `'a' = 1`, 7, "cannot compare"},
		{"boolean order", `true < false`, 1, "booleans compare with = and <> only"},
		{"geometry as a value", `geometry = 'x'`, 1, "spatial functions"},
		{"temporal on a string", `T_AFTER(name, DATE('2026-01-01'))`, 9, "temporal function takes"},
		{"interval of other properties", `T_AFTER(INTERVAL(valid_to, valid_from), DATE('2026-01-01'))`, 9, "INTERVAL(valid_from, valid_to)"},
		{"interval backwards", `T_AFTER(INTERVAL('2026-02-01', '2026-01-01'), DATE('2026-01-01'))`, 9, "starts after it ends"},
		{"missing operator", `controller 'sdf'`, 12, "expected a comparison"},
		{"trailing text", `controller = 'sdf' 'x'`, 20, "after a complete filter"},
		{"keyword as a value", `controller = AND`, 14, "keyword AND"},
		{"accent-insensitive", `ACCENTI(name) = 'x'`, 1, "ACCENTI"},
		{"NUL in a string", "name = 'a\x00b'", 8, "NUL"},
		{"stray character", `name = 'a' ; DROP TABLE features`, 12, "unexpected character"},
		{"empty", ``, 1, "expected a property or a value"},
		{"too deep", deep, 0, "nested too deeply"},
		{"list too long", long.String(), 0, "too long"},
		{"too many vertices", poly.String(), 0, "too many vertices"},
		{"too long", strings.Repeat(" ", 9000) + "TRUE", 0, "bytes long"},
		{"LIKE ends in a backslash", `name LIKE '%\'`, 11, "unpaired"},
		{"two literals", `S_INTERSECTS(POINT(0 0), POINT(0 0))`, 1, "must be the property geometry"},
		{"collection in a relation", `S_WITHIN(geometry, GEOMETRYCOLLECTION(POINT(1 1), POINT(2 2)))`, 20, "S_INTERSECTS and S_DISJOINT only"},
		{"collection in a collection", `S_INTERSECTS(geometry, GEOMETRYCOLLECTION(GEOMETRYCOLLECTION(POINT(1 1))))`, 24, "inside a GEOMETRYCOLLECTION"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := cql2.ParseText(c.src, schema, cql2.DefaultLimits)
			var ce *cql2.Error
			src := c.src
			if len(src) > 80 {
				src = src[:80] + "…"
			}
			if !errors.As(err, &ce) {
				t.Fatalf("%q: error %v, want a *cql2.Error", src, err)
			}
			if !strings.Contains(ce.Msg, c.msg) {
				t.Errorf("%q: message %q, want it to say %q", src, ce.Msg, c.msg)
			}
			if c.pos > 0 && ce.Pos != c.pos {
				t.Errorf("%q: position %d, want %d (%s)", src, ce.Pos, c.pos, ce.Msg)
			}
		})
	}
}

func TestJSONErrors(t *testing.T) {
	cases := []struct{ src, ptr, msg string }{
		{`{"op":"=","args":[{"property":"colour"},"red"]}`, "/args/0", `unknown property "colour"`},
		{`{"op":"and","args":[{"op":"=","args":[{"property":"name"},"x"]},{"op":"nope","args":[]}]}`, "/args/1/op", `unknown operator "nope"`},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[[0,0],[1,1],[1,0],[0,1],[0,0]]]}]}`, "/args/1", "invalid geometry"},
		{`{"op":"=","args":[{"property":"name"},null]}`, "/args/1", "null"},
		{`{"op":"t_after","args":[{"property":"valid_from"},{"timestamp":"yesterday"}]}`, "/args/1/timestamp", "RFC 3339"},
		{`{"op":"in","args":[{"property":"name"},"x"]}`, "/args/1", "array of values"},
		{`{"op":"=","args":[{"property":"name"},"x"],"extra":1}`, "/extra", "unknown member"},
		{`{"op":"=","args":[{"property":"name"},"x"]} trailing`, "", "not valid JSON"},
		{`{"op":"=","args":[{"property":"name"},"x"`, "", "not valid JSON"},
		{`"just a string"`, "", "must be a predicate"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[]}]}`, "/args/1", "two or three numbers"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Point","coordinates":[5]}]}`, "/args/1", "two or three numbers"},
		{`{"op":"s_intersects","args":[{"property":"geometry"},{"type":"Polygon","coordinates":[[1,2]]}]}`, "/args/1", "do not nest"},
	}
	for _, c := range cases {
		_, err := cql2.ParseJSON([]byte(c.src), schema, cql2.DefaultLimits)
		var ce *cql2.Error
		if !errors.As(err, &ce) {
			t.Errorf("%s: error %v, want a *cql2.Error", c.src, err)
			continue
		}
		if !strings.Contains(ce.Msg, c.msg) || ce.Pointer != c.ptr && c.ptr != "" {
			t.Errorf("%s: %q at %q, want %q at %q", c.src, ce.Msg, ce.Pointer, c.msg, c.ptr)
		}
	}
}

// FuzzParseText: no input panics, and a filter that parses has a canonical
// text that parses to itself.
func FuzzParseText(f *testing.F) {
	for _, c := range equivalent {
		f.Add(c.text)
	}
	f.Add(`T_DURING(INTERVAL(valid_from, valid_to), INTERVAL('2026-01-17', '2026-01-21')) OR name LIKE 'a\%'`)
	f.Add(`S_CROSSES(geometry, MULTILINESTRING((1 1, 2 2), (3 3, 4 4))) AND S_TOUCHES(geometry, GEOMETRYCOLLECTION(POINT(1 1), LINESTRING(0 0, 1 1)))`)
	f.Fuzz(func(t *testing.T, src string) {
		e, err := cql2.ParseText(src, schema, cql2.DefaultLimits)
		checkParsed(t, src, e, err)
	})
}

// checkParsed fails unless err is a *cql2.Error, or e's canonical text
// parses back to itself.
func checkParsed(t *testing.T, src string, e *cql2.Expr, err error) {
	t.Helper()
	if err != nil {
		var ce *cql2.Error
		if !errors.As(err, &ce) {
			t.Fatalf("%q: %T %v, want a *cql2.Error", src, err, err)
		}
		return
	}
	canon := e.String()
	again, err := cql2.ParseText(canon, schema, cql2.DefaultLimits)
	if err != nil {
		t.Fatalf("%q parses, but its canonical text %q does not: %v", src, canon, err)
	}
	if again.String() != canon {
		t.Fatalf("%q: canonical text %q reads back as %q", src, canon, again.String())
	}
}

// FuzzParseJSON: no input panics; what parses has a canonical text that
// parses to itself.
func FuzzParseJSON(f *testing.F) {
	for _, c := range equivalent {
		f.Add([]byte(c.json))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		e, err := cql2.ParseJSON(src, schema, cql2.DefaultLimits)
		checkParsed(t, string(src), e, err)
	})
}

// BenchmarkHostile measures how long the refusal of the largest filters
// takes (reported, not asserted).
func BenchmarkHostile(b *testing.B) {
	// Each just under the 8 KiB the filter may have, so that the depth and
	// list limits are what refuses them, not the length.
	deep := strings.Repeat("NOT ", 2000) + "TRUE"
	in := "controller IN (" + strings.Repeat("'x',", 1900) + "'x')"
	nested := strings.Repeat("(", 4000) + "TRUE" + strings.Repeat(")", 4000)
	for _, c := range []struct{ name, src string }{{"not-chain", deep}, {"in-list", in}, {"parentheses", nested}} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				_, err := cql2.ParseText(c.src, schema, cql2.DefaultLimits)
				if err == nil || strings.Contains(err.Error(), "bytes long") {
					b.Fatalf("refused for the wrong reason: %v", err)
				}
			}
		})
	}
}
