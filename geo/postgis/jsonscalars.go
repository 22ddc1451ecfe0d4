package postgis

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/controlmap/controlmap/geo"
)

// errNotObject is the error of scalars on text that is not a JSON object.
var errNotObject = errors.New("not a JSON object")

// scalars appends to out the members of the JSON object text b whose
// values a tile carries (strings, numbers and booleans; objects, arrays
// and nulls are skipped), in the order written, with their values as
// encoding/json would decode them (TestScalarsAsEncodingJSON); a number
// beyond a float64, which encoding/json refuses, is skipped. The text is
// PostgreSQL's or the server's own encoding of an object, so it is
// trusted: text that is not an object is an error, but the values skipped
// and the digits of numbers are not checked as a JSON parser would.
func (r *tileRows) scalars(out []ownValue, b []byte) ([]ownValue, error) {
	s := jsonText{b: b}
	s.space()
	if !s.byte('{') {
		return out, errNotObject
	}
	s.space()
	if s.byte('}') {
		return out, s.end()
	}
	for {
		s.space()
		k, ok := s.string(r)
		if !ok {
			return out, errNotObject
		}
		s.space()
		if !s.byte(':') {
			return out, errNotObject
		}
		s.space()
		v, scalar, ok := s.value(r)
		if !ok {
			return out, errNotObject
		}
		if scalar {
			out = append(out, ownValue{k: k, v: v})
		}
		s.space()
		if s.byte('}') {
			return out, s.end()
		}
		if !s.byte(',') {
			return out, errNotObject
		}
	}
}

// jsonText reads JSON text from b[i:].
type jsonText struct {
	b []byte
	i int
}

func (s *jsonText) space() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// byte reads c if it comes next.
func (s *jsonText) byte(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// end says whether only white space is left.
func (s *jsonText) end() error {
	s.space()
	if s.i != len(s.b) {
		return errNotObject
	}
	return nil
}

// rawString reads a string and returns the text between its quotes and
// whether it holds an escape.
func (s *jsonText) rawString() (raw []byte, escaped, ok bool) {
	if !s.byte('"') {
		return nil, false, false
	}
	start := s.i
	for j := start; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\':
			escaped = true
			j++
		case c == '"':
			s.i = j + 1
			return s.b[start:j], escaped, true
		case c < 0x20:
			return nil, false, false
		}
	}
	return nil, false, false
}

// string reads a string, unescaped; r keeps it once.
func (s *jsonText) string(r *tileRows) (string, bool) {
	start := s.i
	raw, escaped, ok := s.rawString()
	if !ok {
		return "", false
	}
	if !escaped {
		return r.str(raw), true
	}
	var v string
	if json.Unmarshal(s.b[start:s.i], &v) != nil {
		return "", false
	}
	return r.str([]byte(v)), true
}

// value reads a value: a string, number or boolean as a tile value
// (scalar true), anything else skipped.
func (s *jsonText) value(r *tileRows) (v geo.TileValue, scalar, ok bool) {
	if s.i >= len(s.b) {
		return v, false, false
	}
	switch c := s.b[s.i]; {
	case c == '"':
		str, ok := s.string(r)
		return geo.TileValue{Kind: geo.TileString, S: str}, true, ok
	case c == '{' || c == '[':
		return v, false, s.skip()
	case c == 't':
		return geo.TileValue{Kind: geo.TileBool, F: 1}, true, s.word("true")
	case c == 'f':
		return geo.TileValue{Kind: geo.TileBool}, true, s.word("false")
	case c == 'n':
		return v, false, s.word("null")
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		for s.i < len(s.b) && strings.IndexByte("+-.0123456789eE", s.b[s.i]) >= 0 {
			s.i++
		}
		f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
		if errors.Is(err, strconv.ErrRange) {
			return v, false, true // beyond a float64 (jsonb's numeric holds it; no tile value can)
		}
		if err != nil {
			return v, false, false
		}
		return geo.TileValue{Kind: geo.TileNumber, F: f}, true, true
	}
	return v, false, false
}

// word reads the literal w.
func (s *jsonText) word(w string) bool {
	if len(s.b)-s.i < len(w) || string(s.b[s.i:s.i+len(w)]) != w {
		return false
	}
	s.i += len(w)
	return true
}

// skip reads an object or array, whatever it holds.
func (s *jsonText) skip() bool {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if _, _, ok := s.rawString(); !ok {
				return false
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				s.i++
				return true
			}
		}
		s.i++
	}
	return false
}
