package handlers

import (
	"bytes"
	"fmt"
	"math"
	"strconv"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/internal/propjson"
)

// This file writes GeoJSON geometries (encode.go the features and
// collections around them): coordinates rounded to the requested number of
// decimals, written without allocating, the inner loop of every answer with
// lines or polygons.

// writeGeometry writes g as a GeoJSON geometry with coordinates rounded to
// precision decimals; a nil geometry is null.
func writeGeometry(buf *bytes.Buffer, g orb.Geometry, precision int) error {
	if g == nil {
		buf.WriteString("null")
		return nil
	}
	typ := g.GeoJSONType()
	switch g := g.(type) {
	case orb.Ring:
		return writeGeometry(buf, orb.Polygon{g}, precision)
	case orb.Bound:
		return writeGeometry(buf, g.ToPolygon(), precision)
	case orb.Collection:
		buf.WriteString(`{"type":"GeometryCollection","geometries":`)
		if err := writeList(buf, len(g), func(i int) error { return writeGeometry(buf, g[i], precision) }); err != nil {
			return err
		}
		buf.WriteByte('}')
		return nil
	}
	buf.WriteString(`{"type":`)
	propjson.WriteString(buf, typ)
	buf.WriteString(`,"coordinates":`)
	if err := writeCoords(buf, g, precision); err != nil {
		return err
	}
	buf.WriteByte('}')
	return nil
}

func writeCoords(buf *bytes.Buffer, g orb.Geometry, precision int) error {
	switch g := g.(type) {
	case orb.Point:
		return writePoint(buf, g, precision)
	case orb.MultiPoint:
		return writePoints(buf, g, precision)
	case orb.LineString:
		return writePoints(buf, g, precision)
	case orb.MultiLineString:
		return writeList(buf, len(g), func(i int) error { return writePoints(buf, g[i], precision) })
	case orb.Polygon:
		return writeList(buf, len(g), func(i int) error { return writePoints(buf, g[i], precision) })
	case orb.MultiPolygon:
		return writeList(buf, len(g), func(i int) error { return writeCoords(buf, g[i], precision) })
	}
	return fmt.Errorf("handlers: cannot write geometry %s", g.GeoJSONType())
}

func writeList(buf *bytes.Buffer, n int, item func(i int) error) error {
	buf.WriteByte('[')
	for i := 0; i < n; i++ {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := item(i); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

// writePoints writes a list of positions: the inner loop of every line and
// polygon, so it appends to the buffer's free space without allocating.
func writePoints[T ~[]orb.Point](buf *bytes.Buffer, ps T, precision int) error {
	buf.WriteByte('[')
	for i, p := range ps {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := writePoint(buf, p, precision); err != nil {
			return err
		}
	}
	buf.WriteByte(']')
	return nil
}

func writePoint(buf *bytes.Buffer, p orb.Point, precision int) error {
	for _, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("handlers: coordinate %v is not finite", v)
		}
	}
	buf.Grow(64)
	b := buf.AvailableBuffer()
	b = append(b, '[')
	b = appendCoord(b, p[0], precision)
	b = append(b, ',')
	b = appendCoord(b, p[1], precision)
	b = append(b, ']')
	buf.Write(b)
	return nil
}

// appendCoord appends v rounded to precision decimals, without trailing
// zeros, and never as "-0". A value already written with no more decimals
// than precision (41.1486 at precision 6) is written as its shortest form, so
// a high precision does not expose binary noise (41.148600000000002).
//
// It is the inner loop of every answer with lines or polygons, so the usual
// case takes a path of integer arithmetic (appendCoordFast) and only what
// that path cannot decide goes through strconv (appendCoordExact); the two
// write the same bytes (TestAppendCoordFastMatchesExact, FuzzAppendCoord).
func appendCoord(dst []byte, v float64, precision int) []byte {
	if out, ok := appendCoordFast(dst, v, precision); ok {
		return out
	}
	return appendCoordExact(dst, v, precision)
}

// pow10u holds 10^p for every precision appendCoordFast takes.
var pow10u = [...]uint64{1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15}

// fastScaled bounds |v|·10^precision on the fast path: 2^40, so the product's
// rounding error (at most 2^-13) and the distance between v and a decimal of
// precision places that names it (at most half an ulp of v times
// 10^precision, 2^-13) stay far below the 2^-12 margin the path keeps from a
// half.
const fastScaled = 1 << 40

// appendCoordFast writes v as appendCoordExact does when it can decide the
// digits from d, the integer nearest to v·10^precision: if d/10^precision is
// v itself, v has a decimal form of at most precision places, which is then
// its shortest form (any other such decimal lies at least 10^-precision away,
// far more than v's ulp); otherwise the answer is v rounded to precision
// places, which is d unless v·10^precision lies within 2^-12 of a half, where
// it reports false (as for a v or precision out of its bounds).
func appendCoordFast(dst []byte, v float64, precision int) ([]byte, bool) {
	if precision < 0 || precision >= len(pow10u) {
		return dst, false
	}
	scale := float64(pow10u[precision])
	m := v * scale
	if !(math.Abs(m) < fastScaled) { // NaN and ±Inf too
		return dst, false
	}
	d := math.Round(m)
	if d/scale != v {
		if frac := math.Abs(m - math.Trunc(m)); math.Abs(frac-0.5) < 1.0/(1<<12) {
			return dst, false
		}
	}
	u := uint64(math.Abs(d))
	if u == 0 {
		return append(dst, '0'), true
	}
	if d < 0 {
		dst = append(dst, '-')
	}
	ip, fp := u/pow10u[precision], u%pow10u[precision]
	dst = strconv.AppendUint(dst, ip, 10)
	if fp == 0 {
		return dst, true
	}
	n := precision
	for fp%10 == 0 {
		fp /= 10
		n--
	}
	dst = append(dst, '.')
	for i := n; i > 0; i-- { // n digits, zeros in front included
		dst = append(dst, '0')
	}
	for i := len(dst) - 1; fp > 0; i-- {
		dst[i] = byte('0' + fp%10)
		fp /= 10
	}
	return dst, true
}

// appendCoordExact is appendCoord by strconv: the shortest form of v, or v
// rounded to precision places when that form has more.
func appendCoordExact(dst []byte, v float64, precision int) []byte {
	start := len(dst)
	dst = strconv.AppendFloat(dst, v, 'f', -1, 64)
	if dot := bytes.IndexByte(dst[start:], '.'); dot >= 0 && len(dst)-start-dot-1 > precision {
		dst = strconv.AppendFloat(dst[:start], v, 'f', precision, 64)
		if bytes.IndexByte(dst[start:], '.') >= 0 {
			for dst[len(dst)-1] == '0' {
				dst = dst[:len(dst)-1]
			}
			if dst[len(dst)-1] == '.' {
				dst = dst[:len(dst)-1]
			}
		}
	}
	if dst[start] == '-' && isZero(dst[start+1:]) {
		dst = append(dst[:start], dst[start+1:]...) // -0, -0.0 after rounding
	}
	return dst
}

// isZero reports whether b holds only zeros and dots.
func isZero(b []byte) bool {
	for _, c := range b {
		if c != '0' && c != '.' {
			return false
		}
	}
	return true
}

// positions counts g's positions without reading them.
func positions(g orb.Geometry) int {
	switch g := g.(type) {
	case orb.Point:
		return 1
	case orb.MultiPoint:
		return len(g)
	case orb.LineString:
		return len(g)
	case orb.Ring:
		return len(g)
	case orb.MultiLineString:
		return lengths(g)
	case orb.Polygon:
		return lengths(g)
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += lengths(p)
		}
		return n
	case orb.Collection:
		n := 0
		for _, c := range g {
			n += positions(c)
		}
		return n
	}
	return 0
}

// lengths sums the lengths of a geometry's lines or rings.
func lengths[T ~[]L, L ~[]orb.Point](parts T) int {
	n := 0
	for _, l := range parts {
		n += len(l)
	}
	return n
}
