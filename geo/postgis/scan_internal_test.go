package postgis

import (
	"encoding/hex"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/encoding/wkb"
)

// fakeRow is a row of a statement read by newSelectedReader: its values
// are scanned into the reader's targets as pgx would.
type fakeRow struct {
	id     string
	values [][]byte // nil: SQL NULL
	from   time.Time
}

func (r fakeRow) Scan(dest ...any) error {
	*dest[0].(*string) = r.id
	*dest[1].(*pgtype.Text) = pgtype.Text{String: "thing-" + r.id, Valid: true}
	b, err := wkb.Marshal(orb.Point{39, 35})
	if err != nil {
		return err
	}
	if err := dest[2].(pgtype.BytesScanner).ScanBytes(b); err != nil {
		return err
	}
	for i, v := range r.values {
		*dest[3+i].(*[]byte) = v
	}
	n := 3 + len(r.values)
	*dest[n].(*pgtype.Timestamptz) = pgtype.Timestamptz{Time: r.from, Valid: true}
	*dest[n+1].(*pgtype.Timestamptz) = pgtype.Timestamptz{}
	*dest[n+2].(*[]byte) = nil
	return nil
}

// TestSelectedReader: the named properties of each row, without the NULL
// ones (no such property) and the JSON nulls; rows with the same values
// share one map, rows with other values do not (NULL, "null", "" apart);
// a value that is not JSON names the property; at most maxShared maps are
// kept, and rows beyond still read right.
func TestSelectedReader(t *testing.T) {
	names := []string{"controller", "status"}
	from := time.Date(2026, 1, 15, 0, 0, 0, 0, time.UTC)
	r := newSelectedReader("points", names)
	read := func(id string, values ...[]byte) map[string]any {
		t.Helper()
		f, err := r.read(fakeRow{id: id, values: values, from: from})
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if f.ID != id || f.Thing != "thing-"+id || f.Geometry != (orb.Point{39, 35}) || !f.Valid.Start.Equal(from) || f.Sources != nil {
			t.Fatalf("%s: feature %+v", id, f)
		}
		return f.Properties
	}
	a := read("a", []byte(`"sdf"`), []byte(`"held"`))
	b := read("b", []byte(`"sdf"`), []byte(`"held"`))
	if !reflect.DeepEqual(a, map[string]any{"controller": "sdf", "status": "held"}) {
		t.Errorf("a: %v", a)
	}
	if reflect.ValueOf(a).Pointer() != reflect.ValueOf(b).Pointer() {
		t.Error("rows with the same values got two maps")
	}
	null := read("c", []byte(`"sdf"`), nil)
	jsonNull := read("d", []byte(`"sdf"`), []byte(`null`))
	empty := read("e", []byte(`"sdf"`), []byte(`""`))
	for name, p := range map[string]map[string]any{"NULL": null, "null": jsonNull} {
		if !reflect.DeepEqual(p, map[string]any{"controller": "sdf"}) {
			t.Errorf("%s status: %v", name, p)
		}
	}
	if !reflect.DeepEqual(empty, map[string]any{"controller": "sdf", "status": ""}) {
		t.Errorf(`"" status: %v`, empty)
	}
	// Values whose bytes run into each other must not make one key: 1,23
	// against 12,3, and NULL,"x" against "x",NULL; nor NULL and "null"
	// (the same properties, but two keys).
	x := read("x", []byte(`1`), []byte(`23`))
	y := read("y", []byte(`12`), []byte(`3`))
	if x["controller"] != 1.0 || x["status"] != 23.0 || y["controller"] != 12.0 || y["status"] != 3.0 {
		t.Errorf("x %v, y %v", x, y)
	}
	u := read("u", nil, []byte(`"x"`))
	v := read("v", []byte(`"x"`), nil)
	if !reflect.DeepEqual(u, map[string]any{"status": "x"}) || !reflect.DeepEqual(v, map[string]any{"controller": "x"}) {
		t.Errorf("u %v, v %v", u, v)
	}
	if reflect.ValueOf(null).Pointer() == reflect.ValueOf(jsonNull).Pointer() {
		t.Error("NULL and null made one key")
	}
	nums := read("n", []byte(`1.5`), []byte(`{"a":null,"b":[true,2]}`))
	if !reflect.DeepEqual(nums, map[string]any{"controller": 1.5, "status": map[string]any{"a": nil, "b": []any{true, 2.0}}}) {
		t.Errorf("numbers and objects: %v", nums)
	}

	if _, err := r.read(fakeRow{id: "bad", values: [][]byte{[]byte(`"sdf"`), []byte(`{oops`)}, from: from}); err == nil ||
		!strings.Contains(err.Error(), `"status"`) || !strings.Contains(err.Error(), `"bad"`) {
		t.Errorf("not JSON: %v", err)
	}

	r = newSelectedReader("points", names)
	for i := range maxShared + 10 {
		v := []byte(`"v` + strings.Repeat("x", i) + `"`)
		p := read("m", v, nil)
		if p["controller"] != string(v[1:len(v)-1]) {
			t.Fatalf("row %d: %v", i, p)
		}
	}
	if len(r.shared) != maxShared {
		t.Errorf("%d maps kept, want %d", len(r.shared), maxShared)
	}
}

// TestGeomScanner scans a geometry column as pgx does (pgtype.Map.Scan, in
// both formats a bytea can come in, and NULL): the geometry is decoded
// from the bytes pgx hands over, keeps nothing of them once pgx reuses its
// read buffer (binary: pgx hands over that buffer itself; text is decoded
// into a new slice first), and bytes that are not WKB are an error.
func TestGeomScanner(t *testing.T) {
	m := pgtype.NewMap()
	poly := orb.Polygon{{{39, 35}, {40, 35}, {40, 36}, {39, 35}}}
	b, err := wkb.Marshal(poly)
	if err != nil {
		t.Fatal(err)
	}
	text := []byte(`\x` + hex.EncodeToString(b))
	for _, tc := range []struct {
		name   string
		format int16
		src    []byte
	}{{"binary", pgtype.BinaryFormatCode, b}, {"text", pgtype.TextFormatCode, text}} {
		var s geomScanner
		if err := m.Scan(pgtype.ByteaOID, tc.format, tc.src, &s); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if tc.format == pgtype.BinaryFormatCode {
			for i := range tc.src {
				tc.src[i] = 0 // pgx reads the next row into the buffer it handed over
			}
		}
		if !s.valid || !orb.Equal(s.g, poly) {
			t.Errorf("%s: scanned %v (valid %v), want %v", tc.name, s.g, s.valid, poly)
		}
	}
	s := geomScanner{g: poly, valid: true}
	if err := m.Scan(pgtype.ByteaOID, pgtype.BinaryFormatCode, nil, &s); err != nil || s.valid || s.g != nil {
		t.Errorf("NULL: %v (valid %v), %v; want no geometry", s.g, s.valid, err)
	}
	if err := m.Scan(pgtype.ByteaOID, pgtype.BinaryFormatCode, []byte{1, 2, 3}, &s); err == nil {
		t.Errorf("3 bytes that are not WKB scanned as %v", s.g)
	}
}
