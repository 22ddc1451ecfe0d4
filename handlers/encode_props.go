package handlers

import (
	"bytes"
	"math"
	"slices"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/controlmap/controlmap/geo"
)

// This file writes a feature's properties straight from geo.Feature, without
// building the map geo.Feature.Select returns, and JSON strings and numbers
// without encoding/json. The bytes are those writeValue writes for the map
// (keys sorted, the same escaping and number forms): the encoder tests and
// the golden files hold both to it.

// writeProperties writes f's properties as a JSON object: its own
// properties plus valid_from, valid_to and sources, keys sorted; only the
// names in properties when it is not nil.
func writeProperties(buf *bytes.Buffer, f geo.Feature, properties []string) error {
	var keys []string
	if properties == nil {
		keys = make([]string, 0, len(f.Properties)+3)
		for k := range f.Properties {
			keys = append(keys, k)
		}
		for _, k := range []string{geo.PropValidFrom, geo.PropValidTo, geo.PropSources} {
			if _, ok := f.Properties[k]; !ok {
				keys = append(keys, k)
			}
		}
	} else {
		keys = make([]string, 0, len(properties))
		for _, k := range properties {
			if _, ok := f.Properties[k]; ok || k == geo.PropValidFrom || k == geo.PropValidTo || k == geo.PropSources {
				keys = append(keys, k)
			}
		}
		keys = slices.Compact(slices.Sorted(slices.Values(keys)))
	}
	if !slices.IsSorted(keys) {
		slices.Sort(keys)
	}
	buf.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			buf.WriteByte(',')
		}
		writeString(buf, k)
		buf.WriteByte(':')
		var err error
		switch k {
		case geo.PropValidFrom:
			writeTimeOrNull(buf, f.Valid.Start)
		case geo.PropValidTo:
			writeTimeOrNull(buf, f.Valid.End)
		case geo.PropSources:
			writeSources(buf, f.Sources)
		default:
			err = writeValue(buf, f.Properties[k])
		}
		if err != nil {
			return err
		}
	}
	buf.WriteByte('}')
	return nil
}

// writeTimeOrNull writes t as valid_from and valid_to are written (RFC 3339
// in UTC), or null for an open end.
func writeTimeOrNull(buf *bytes.Buffer, t time.Time) {
	if t.IsZero() {
		buf.WriteString("null")
		return
	}
	var b [40]byte
	buf.Write(appendJSONString(b[:0], geo.FormatTime(t)))
}

// writeSources writes sources as encoding/json writes []geo.Source: empty
// members left out (omitempty), [] for none.
func writeSources(buf *bytes.Buffer, srcs []geo.Source) {
	buf.WriteByte('[')
	for i, s := range srcs {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"publisher":`)
		writeString(buf, s.Publisher)
		if s.Title != "" {
			buf.WriteString(`,"title":`)
			writeString(buf, s.Title)
		}
		if s.URL != "" {
			buf.WriteString(`,"url":`)
			writeString(buf, s.URL)
		}
		if s.Date != "" {
			buf.WriteString(`,"date":`)
			writeString(buf, s.Date)
		}
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
}

// appendJSONString appends s as encoding/json writes a string with HTML
// escaping off: quotes, backslashes and control characters escaped (\b, \f,
// \n, \r and \t by name), invalid UTF-8 as \ufffd, and U+2028 and U+2029
// escaped for JavaScript.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"', '\\':
				dst = append(dst, '\\', c)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// appendJSONFloat appends f as encoding/json writes a float64: the shortest
// decimal, in exponent form below 1e-6 and from 1e21, with a one-digit
// negative exponent not zero-padded. f must be finite.
func appendJSONFloat(dst []byte, f float64) []byte {
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	dst = strconv.AppendFloat(dst, f, format, -1, 64)
	if format == 'e' {
		// 1e-07 becomes 1e-7, as encoding/json writes it.
		if n := len(dst); n >= 4 && dst[n-4] == 'e' && dst[n-3] == '-' && dst[n-2] == '0' {
			dst[n-2] = dst[n-1]
			dst = dst[:n-1]
		}
	}
	return dst
}
