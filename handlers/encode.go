package handlers

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"

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
// (for featureCollectionBody) and the members around them.
type featureCollection struct {
	features      []geo.Feature
	properties    []string // nil: all
	precision     int
	numberMatched int
	timeStamp     string // RFC 3339 (the data state's stampText); empty: no timeStamp member
	links         []link // nil: no links member
}

// featureCollectionBody returns fc as a GeoJSON FeatureCollection with
// numberMatched, numberReturned, timeStamp and links, followed by a newline.
func featureCollectionBody(fc featureCollection) ([]byte, error) {
	sec, err := encodeFeatures(fc.features, fc.precision, nil, func(b *bytes.Buffer, f geo.Feature) error {
		return writeFeature(b, f, fc.properties, fc.precision, nil)
	})
	if err != nil {
		return nil, err
	}
	return collectionBody(sec, fc), nil
}

// collectionStart is how every FeatureCollection answer begins.
const collectionStart = `{"type":"FeatureCollection","features":[`

// collectionEndRoom is the room a section keeps after its features for the
// members that close the answer (the counts, the time stamp and the links:
// under a kilobyte with the longest URLs the limits allow, usually).
const collectionEndRoom = 2048

// encodeFeatures encodes features with write, separated by commas: the
// inside of a FeatureCollection's features array, after collectionStart and
// with room for the rest (collectionBody). precision is the one write
// writes coordinates at, and encoded (nil: none) the bytes of the features
// write writes from encodings kept before, by id (-1: not one of them), for
// the buffer's size.
func encodeFeatures(features []geo.Feature, precision int, encoded func(id string) int, write func(*bytes.Buffer, geo.Feature) error) (*featuresSection, error) {
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
			buf.Grow(sizeAfterFirst(features, buf.Len()-len(collectionStart), precision, encoded) + collectionEndRoom)
		}
	}
	if len(features) <= 1 {
		buf.Grow(collectionEndRoom)
	}
	body := buf.Bytes()
	if slack := cap(body) - len(body) - collectionEndRoom; slack > len(body)/4 {
		// Estimated far over (or grown by doubling): a section is kept,
		// and counted, by its capacity.
		body = append(make([]byte, 0, len(body)+collectionEndRoom), body...)
	}
	return &featuresSection{body: body, returned: len(features)}, nil
}

// sizeAfterFirst estimates the bytes of features[1:] from the first
// feature's n bytes: the same bytes each for what is not positions, and its
// bytes per position for their positions (features of 200 and of 2,000
// vertices share a page of polygons), with a sixteenth more for the spread.
// A position is taken as at most positionBytes(precision), so that a first
// feature with few positions and long properties (a point before polygons)
// does not size the buffer for polygons of such positions; what the
// estimate misses the buffer grows by. A feature written from an encoding
// kept before counts as its bytes (encoded, when not nil, tells them by id,
// or -1); after a first that is one of those, which says nothing of the
// positions, the others are estimated each from its own parts (featureSize:
// its id, positions and encoded properties).
func sizeAfterFirst(features []geo.Feature, n, precision int, encoded func(id string) int) int {
	first := positions(features[0].Geometry)
	firstKept := encoded != nil && encoded(features[0].ID) >= 0
	perPos := 0
	if first > 0 {
		perPos = min(n/first, positionBytes(precision))
	}
	est := 0
	for _, f := range features[1:] {
		if encoded != nil {
			if m := encoded(f.ID); m >= 0 {
				est += m
				continue
			}
		}
		if firstKept {
			est += featureSize(f, nil, precision)
			continue
		}
		est += n - perPos*first + perPos*positions(f.Geometry)
	}
	return est + est/16
}

// positionBytes is the most a position takes at prec decimal places, with
// its comma: 13 bytes and the decimals of both numbers; 25 at the default
// precision: [-179.999999,-89.999999],
func positionBytes(prec int) int { return 13 + 2*prec }

// collectionBody returns the FeatureCollection of the encoded features sec
// with fc's other members (its features are not read), and a newline: the
// one envelope of items, downloads and the timeline's events. The first
// answer made of a section writes those members into the section's own room
// after its features and is the section's bytes, so the features are not
// copied (a 2 MB page of polygons was, into a buffer allocated and cleared
// for it); later answers of the same section copy them. The cache then counts
// those bytes twice, once for the section and once for the answer: an
// overcount, so it holds less than its budget, never more.
func collectionBody(sec *featuresSection, fc featureCollection) []byte {
	var buf *bytes.Buffer
	if sec.endTaken.CompareAndSwap(false, true) {
		// Only this answer writes past len(sec.body); every reader of the
		// section reads up to it.
		buf = bytes.NewBuffer(sec.body)
	} else {
		buf = bytes.NewBuffer(make([]byte, 0, len(sec.body)+collectionEndRoom))
		buf.Write(sec.body)
	}
	writeCollectionEnd(buf, sec, fc)
	return buf.Bytes()
}

// writeCollectionEnd writes what follows the features of a
// FeatureCollection: the counts, the time stamp and the links.
func writeCollectionEnd(buf *bytes.Buffer, sec *featuresSection, fc featureCollection) {
	buf.WriteString(`],"numberMatched":`)
	buf.WriteString(strconv.Itoa(fc.numberMatched))
	buf.WriteString(`,"numberReturned":`)
	buf.WriteString(strconv.Itoa(sec.returned))
	if fc.timeStamp != "" {
		buf.WriteString(`,"timeStamp":`)
		propjson.WriteString(buf, fc.timeStamp)
	}
	if fc.links != nil {
		buf.WriteString(`,"links":`)
		writeLinks(buf, fc.links)
	}
	buf.WriteString("}\n")
}

// writeLinks writes links as a JSON array, the bytes encoding/json writes
// for them with HTML escaping off (TestWriteLinksAsEncodingJSON), without
// its reflection: every page and feature answer carries links (callers
// leave the member out when there are none).
func writeLinks(buf *bytes.Buffer, links []link) {
	buf.WriteByte('[')
	for i, l := range links {
		if i > 0 {
			buf.WriteByte(',')
		}
		buf.WriteString(`{"href":`)
		propjson.WriteString(buf, l.Href)
		buf.WriteString(`,"rel":`)
		propjson.WriteString(buf, l.Rel)
		if l.Type != "" {
			buf.WriteString(`,"type":`)
			propjson.WriteString(buf, l.Type)
		}
		if l.Title != "" {
			buf.WriteString(`,"title":`)
			propjson.WriteString(buf, l.Title)
		}
		buf.WriteByte('}')
	}
	buf.WriteByte(']')
}

// writeFeature writes one GeoJSON Feature. properties selects the
// properties written (nil: all, copied from f.PropertiesJSON and
// f.PropertiesJSONTail when the store
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
		buf.Write(f.PropertiesJSONTail)
	} else if err := propjson.Write(buf, f, properties); err != nil {
		return fmt.Errorf("handlers: feature %s: %w", f.ID, err)
	}
	if links != nil {
		buf.WriteString(`,"links":`)
		writeLinks(buf, links)
	}
	buf.WriteByte('}')
	return nil
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
