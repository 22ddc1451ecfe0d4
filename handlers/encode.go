package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/internal/propjson"
)

// This file writes RFC 7946 GeoJSON by hand so that the output is
// deterministic: members in a fixed order, properties in the canonical form
// of internal/propjson (sorted by key at every level, numbers written the
// same way whatever their Go type), and coordinates rounded to the requested
// number of decimals. Two stores holding the same data therefore give
// byte-identical bodies.

// link is an OGC API link object.
type link struct {
	Href  string `json:"href"`
	Rel   string `json:"rel"`
	Type  string `json:"type,omitempty"`
	Title string `json:"title,omitempty"`
}

// featureCollection is what a FeatureCollection carries: its features
// (for writeFeatureCollection) and the members around them.
type featureCollection struct {
	features      []geo.Feature
	properties    []string // nil: all
	precision     int
	numberMatched int
	timeStamp     time.Time // zero: no timeStamp member
	links         []link    // nil: no links member
}

// featureCollectionBody returns fc as a GeoJSON FeatureCollection with
// numberMatched, numberReturned, timeStamp and links, followed by a newline.
func featureCollectionBody(fc featureCollection) ([]byte, error) {
	sec, err := encodeFeatures(fc.features, func(b *bytes.Buffer, f geo.Feature) error {
		return writeFeature(b, f, fc.properties, fc.precision, nil)
	})
	if err != nil {
		return nil, err
	}
	return collectionBody(sec, fc)
}

// collectionStart is how every FeatureCollection answer begins.
const collectionStart = `{"type":"FeatureCollection","features":[`

// collectionEndRoom is the room a section keeps after its features for the
// members that close the answer (the counts, the time stamp and the links:
// under a kilobyte with the longest URLs the limits allow, usually).
const collectionEndRoom = 2048

// encodeFeatures encodes features with write, separated by commas: the
// inside of a FeatureCollection's features array, after collectionStart and
// with room for the rest (collectionBody).
func encodeFeatures(features []geo.Feature, write func(*bytes.Buffer, geo.Feature) error) (*featuresSection, error) {
	var buf bytes.Buffer
	buf.WriteString(collectionStart)
	for i, f := range features {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := write(&buf, f); err != nil {
			return nil, err
		}
		if i == 0 && len(features) > 1 {
			// Size the buffer once from the first feature rather than
			// doubling it (and clearing and copying everything) a dozen
			// times.
			buf.Grow(sizeAfterFirst(features, buf.Len()-len(collectionStart)) + collectionEndRoom)
		}
	}
	if len(features) <= 1 {
		buf.Grow(collectionEndRoom)
	}
	return &featuresSection{body: buf.Bytes(), returned: len(features)}, nil
}

// sizeAfterFirst estimates the bytes of features[1:] from the first
// feature's n bytes: in proportion to their positions when they have any
// (features of 200 and of 2,000 vertices share a page of polygons), as many
// bytes each otherwise, with a sixteenth more for the spread.
func sizeAfterFirst(features []geo.Feature, n int) int {
	est := n * (len(features) - 1)
	if first := positions(features[0].Geometry); first > 0 {
		rest := 0
		for _, f := range features[1:] {
			rest += positions(f.Geometry)
		}
		est = int(float64(n) * float64(rest) / float64(first))
	}
	return est + est/16
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
		n := 0
		for _, l := range g {
			n += len(l)
		}
		return n
	case orb.Polygon:
		n := 0
		for _, r := range g {
			n += len(r)
		}
		return n
	case orb.MultiPolygon:
		n := 0
		for _, p := range g {
			n += positions(p)
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

// collectionBody returns the FeatureCollection of the encoded features sec
// with fc's other members (its features are not read), and a newline: the
// one envelope of items, downloads and the timeline's events. The first
// answer made of a section writes those members into the section's own room
// after its features and is the section's bytes, so the features are not
// copied (a 2 MB page of polygons was, into a buffer allocated and cleared
// for it); later answers of the same section copy them.
func collectionBody(sec *featuresSection, fc featureCollection) ([]byte, error) {
	var buf *bytes.Buffer
	if sec.endTaken.CompareAndSwap(false, true) {
		// Only this answer writes past len(sec.body); every reader of the
		// section reads up to it.
		buf = bytes.NewBuffer(sec.body)
	} else {
		buf = bytes.NewBuffer(make([]byte, 0, len(sec.body)+collectionEndRoom))
		buf.Write(sec.body)
	}
	if err := writeCollectionEnd(buf, sec, fc); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeCollectionEnd writes what follows the features of a
// FeatureCollection: the counts, the time stamp and the links.
func writeCollectionEnd(buf *bytes.Buffer, sec *featuresSection, fc featureCollection) error {
	buf.WriteString(`],"numberMatched":`)
	buf.WriteString(strconv.Itoa(fc.numberMatched))
	buf.WriteString(`,"numberReturned":`)
	buf.WriteString(strconv.Itoa(sec.returned))
	if !fc.timeStamp.IsZero() {
		buf.WriteString(`,"timeStamp":`)
		propjson.WriteString(buf, fc.timeStamp.UTC().Format(time.RFC3339))
	}
	if fc.links != nil {
		buf.WriteString(`,"links":`)
		if err := writeJSON(buf, fc.links); err != nil {
			return err
		}
	}
	buf.WriteString("}\n")
	return nil
}

// writeFeature writes one GeoJSON Feature. properties selects the
// properties written (nil: all, copied from f.PropertiesJSON when the store
// encoded them, else written from the values); links, when not nil, adds a
// links member.
func writeFeature(buf *bytes.Buffer, f geo.Feature, properties []string, precision int, links []link) error {
	buf.WriteString(`{"type":"Feature","id":`)
	propjson.WriteString(buf, f.ID)
	buf.WriteString(`,"geometry":`)
	if err := writeGeometry(buf, f.Geometry, precision); err != nil {
		return fmt.Errorf("handlers: feature %s: %w", f.ID, err)
	}
	buf.WriteString(`,"properties":`)
	if properties == nil && f.PropertiesJSON != nil {
		buf.Write(f.PropertiesJSON) // every property, encoded by the store
	} else if err := propjson.Write(buf, f, properties); err != nil {
		return fmt.Errorf("handlers: feature %s: %w", f.ID, err)
	}
	if links != nil {
		buf.WriteString(`,"links":`)
		if err := writeJSON(buf, links); err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

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
		buf.WriteString(`{"type":"GeometryCollection","geometries":[`)
		for i, c := range g {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := writeGeometry(buf, c, precision); err != nil {
				return err
			}
		}
		buf.WriteString("]}")
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

// writeJSON writes v with encoding/json without HTML escaping (for the
// server's own structs, whose member order is fixed by their fields).
func writeJSON(buf *bytes.Buffer, v any) error {
	enc := json.NewEncoder(buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("handlers: encode %T: %w", v, err)
	}
	buf.Truncate(buf.Len() - 1) // the newline Encode adds
	return nil
}

// jsonBody encodes one of the server's own documents, followed by a newline.
func jsonBody(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, v); err != nil {
		return nil, err
	}
	buf.WriteByte('\n')
	return buf.Bytes(), nil
}
