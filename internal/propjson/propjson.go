// Package propjson writes a feature's GeoJSON properties object in the one
// canonical form every answer of the server uses: the feature's own
// properties with valid_from, valid_to and sources, keys sorted at every
// level, strings escaped as encoding/json escapes them with HTML escaping
// off, and numbers in encoding/json's forms whatever their Go type. Two
// stores holding the same data therefore give byte-identical bodies.
//
// It is the only writer of properties: the handlers call it for every
// answer that selects properties or whose features carry no encoding, and
// the stores call it (Encode) once per feature when they take the data in,
// for geo.Feature.PropertiesJSON (and PropertiesJSONTail, where a store
// splits the bytes to share their end). The functions are safe for concurrent use.
package propjson

import (
	"bytes"
	"slices"
	"time"

	"github.com/controlmap/controlmap/geo"
)

// Encode returns f's whole properties object (every property, valid_from,
// valid_to and sources): the bytes of geo.Feature.PropertiesJSON followed
// by PropertiesJSONTail. It ignores both.
func Encode(f geo.Feature) ([]byte, error) {
	var buf bytes.Buffer
	if err := Write(&buf, f, nil); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Write writes f's properties as a JSON object: its own properties plus
// valid_from, valid_to and sources, keys sorted; only the names in names
// when it is not nil. It encodes from f's values and ignores
// f.PropertiesJSON.
func Write(buf *bytes.Buffer, f geo.Feature, names []string) error {
	var keys []string
	if names == nil {
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
		keys = make([]string, 0, len(names))
		for _, k := range names {
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
		WriteString(buf, k)
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
			err = WriteValue(buf, f.Properties[k])
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
	buf.Write(AppendString(b[:0], geo.FormatTime(t)))
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
		WriteString(buf, s.Publisher)
		if s.Title != "" {
			buf.WriteString(`,"title":`)
			WriteString(buf, s.Title)
		}
		if s.URL != "" {
			buf.WriteString(`,"url":`)
			WriteString(buf, s.URL)
		}
		if s.Date != "" {
			buf.WriteString(`,"date":`)
			WriteString(buf, s.Date)
		}
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
}
