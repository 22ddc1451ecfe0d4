package geo

import (
	"regexp"

	"github.com/paulmach/orb"
)

// Collection is a layer: its description from the catalogue plus the extent
// and property names computed from its features.
type Collection struct {
	ID           string   `json:"id"`
	Title        string   `json:"title"`
	Description  string   `json:"description"`
	GeometryType string   `json:"geometry_type"`
	Dated        bool     `json:"dated"`
	GroupKey     string   `json:"group_key"`
	Required     []string `json:"required"`
	Style        Style    `json:"style"`
	Attribution  string   `json:"attribution"`
	License      string   `json:"license"`
	LicenseURL   string   `json:"license_url"`

	// Computed from the data; not read from the catalogue.
	Extent     Extent   `json:"-"`
	Count      int      `json:"-"`
	Properties []string `json:"-"`
}

// Style is a collection's default map style: a colour per value of one
// property, with a default colour for other values.
type Style struct {
	Property     string            `json:"property"`
	Colors       map[string]string `json:"colors"`
	DefaultColor string            `json:"default_color"`
	Label        string            `json:"label,omitempty"`
}

// Extent is the spatial and temporal extent of a collection's features.
// Bound is the zero orb.Bound when the collection is empty. Time has zero ends
// where some feature's validity is open at that end.
type Extent struct {
	Bound orb.Bound
	Empty bool
	Time  Interval
}

var slugRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

// ValidSlug reports whether s can be a collection id.
func ValidSlug(s string) bool { return slugRE.MatchString(s) }

// Catalog is the parsed catalog.json of a dataset.
type Catalog struct {
	Collections []Collection `json:"collections"`
}

// Lookup returns the collection with the given id.
func (c Catalog) Lookup(id string) (Collection, bool) {
	for _, col := range c.Collections {
		if col.ID == id {
			return col, true
		}
	}
	return Collection{}, false
}
