package geo

import (
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// Reserved property names that the domain maps to typed fields of Feature.
const (
	PropValidFrom = "valid_from"
	PropValidTo   = "valid_to"
	PropSources   = "sources"
)

// Source is where a claim comes from.
type Source struct {
	Publisher string `json:"publisher"`
	Title     string `json:"title,omitempty"`
	URL       string `json:"url,omitempty"`
	Date      string `json:"date,omitempty"`
}

// Feature is one version of a real-world thing in a collection.
//
// ID is unique and stable within the collection. Thing is the value of the
// collection's group key (for example "al-hol") shared by all versions of the
// same thing; it is empty where the collection has no group key. Properties
// hold everything but validity and sources, including the group key property.
type Feature struct {
	ID         string
	Collection string
	Thing      string
	Geometry   orb.Geometry
	Properties map[string]any
	Valid      Interval
	Sources    []Source

	// PropertiesJSON, when not nil, is the feature's whole GeoJSON
	// properties object (Properties with valid_from, valid_to and sources),
	// or its beginning when PropertiesJSONTail is set, exactly as the
	// server's property writer (internal/propjson) writes it for this
	// feature, encoded once by the store that returned the feature, when it
	// took the data in, so that an answer with every property copies it
	// instead of encoding the values again. It is valid only while the
	// feature is unchanged: whatever changes Properties, Valid or Sources
	// must set it and PropertiesJSONTail to nil. Stores share it between
	// answers: it must not be modified. A dataset given to a store need not
	// set it; stores ignore it on input.
	PropertiesJSON []byte
	// PropertiesJSONTail, when not nil, is the rest of that object: the
	// properties object is PropertiesJSON followed by PropertiesJSONTail,
	// and whoever writes one writes both. A store that holds many features
	// with the same sources and validity shares their common end this way
	// (the embedded store does, from the key "sources" on: the sources, the
	// validity and any property whose name sorts after "sources"). It is
	// set only with PropertiesJSON, follows the same rules, and is shared
	// too.
	PropertiesJSONTail []byte
}

// GeoJSON returns the feature as RFC 7946 GeoJSON. valid_from and valid_to
// (RFC 3339, or null for an open end) and sources are written as properties,
// so any GIS tool can use them. Undated features carry null for both ends.
func (f Feature) GeoJSON() *geojson.Feature {
	props := make(geojson.Properties, len(f.Properties)+3)
	for k, v := range f.Properties {
		props[k] = v
	}
	props[PropValidFrom] = timeOrNil(f.Valid.Start)
	props[PropValidTo] = timeOrNil(f.Valid.End)
	srcs := f.Sources
	if srcs == nil {
		srcs = []Source{}
	}
	props[PropSources] = srcs
	return &geojson.Feature{Type: "Feature", ID: f.ID, Geometry: f.Geometry, Properties: props}
}

// Select returns a copy of the feature whose GeoJSON holds only the named
// properties. valid_from, valid_to and sources are kept only if named too;
// a nil names keeps everything.
func (f Feature) Select(names []string) *geojson.Feature {
	gf := f.GeoJSON()
	if names == nil {
		return gf
	}
	keep := make(geojson.Properties, len(names))
	for _, n := range names {
		if v, ok := gf.Properties[n]; ok {
			keep[n] = v
		}
	}
	gf.Properties = keep
	return gf
}

func timeOrNil(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return FormatTime(t)
}
