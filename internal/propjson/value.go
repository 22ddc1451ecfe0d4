package propjson

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"unicode/utf8"

	"github.com/controlmap/controlmap/geo"
)

// WriteValue writes a JSON value decoded from the data with object keys
// sorted and numbers in one canonical form, whatever the store's Go types.
func WriteValue(buf *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		buf.WriteString("null")
	case string:
		WriteString(buf, x)
	case bool:
		buf.WriteString(strconv.FormatBool(x))
	case float64:
		return writeNumber(buf, x)
	case float32:
		return writeNumber(buf, float64(x))
	case int:
		buf.WriteString(strconv.Itoa(x))
	case int32:
		buf.WriteString(strconv.FormatInt(int64(x), 10))
	case int64:
		buf.WriteString(strconv.FormatInt(x, 10))
	case json.Number:
		f, err := x.Float64()
		if err != nil {
			return fmt.Errorf("propjson: number %s: %w", x, err)
		}
		return writeNumber(buf, f)
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		buf.WriteByte('{')
		for i, k := range keys {
			if i > 0 {
				buf.WriteByte(',')
			}
			WriteString(buf, k)
			buf.WriteByte(':')
			if err := WriteValue(buf, x[k]); err != nil {
				return err
			}
		}
		buf.WriteByte('}')
	case []any:
		buf.WriteByte('[')
		for i, e := range x {
			if i > 0 {
				buf.WriteByte(',')
			}
			if err := WriteValue(buf, e); err != nil {
				return err
			}
		}
		buf.WriteByte(']')
	case []geo.Source:
		writeSources(buf, x)
	default:
		// Anything else (a struct or typed slice from a store) goes through
		// encoding/json and back, so its maps are sorted and its numbers
		// canonical too.
		b, err := json.Marshal(x)
		if err != nil {
			return fmt.Errorf("propjson: encode %T: %w", x, err)
		}
		var generic any
		if err := json.Unmarshal(b, &generic); err != nil {
			return fmt.Errorf("propjson: encode %T: %w", x, err)
		}
		return WriteValue(buf, generic)
	}
	return nil
}

// writeNumber writes f as encoding/json does (integers without a fraction,
// exponent form for very large or small values).
func writeNumber(buf *bytes.Buffer, f float64) error {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return fmt.Errorf("propjson: number %v: not finite", f)
	}
	buf.Grow(32)
	buf.Write(AppendFloat(buf.AvailableBuffer(), f))
	return nil
}

// WriteString writes s as a JSON string. Like all output of the server it
// leaves <, > and & unescaped: answers are JSON types served with nosniff,
// never HTML.
func WriteString(buf *bytes.Buffer, s string) {
	buf.Grow(len(s) + 2)
	buf.Write(AppendString(buf.AvailableBuffer(), s))
}

// AppendString appends s as encoding/json writes a string with HTML
// escaping off: quotes, backslashes and control characters escaped (\b, \f,
// \n, \r and \t by name), invalid UTF-8 as \ufffd, and U+2028 and U+2029
// escaped for JavaScript.
func AppendString(dst []byte, s string) []byte {
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

// AppendFloat appends f as encoding/json writes a float64: the shortest
// decimal, in exponent form below 1e-6 and from 1e21, with a one-digit
// negative exponent not zero-padded. f must be finite.
func AppendFloat(dst []byte, f float64) []byte {
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
