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
	// Role says what the server and the map use the collection for
	// (RoleEvents, RoleSites); "" for an ordinary layer.
	Role string `json:"role,omitempty"`
	// Terms are the words for the values of the collection's properties:
	// property name -> value -> Term (how each controller is named, what a
	// status means). The catalogue's own Terms are merged in.
	Terms map[string]map[string]Term `json:"terms,omitempty"`

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
	// Order lists values of Property in the order legends and summaries
	// give them; values not listed come after, as they come.
	Order []string `json:"order,omitempty"`
}

// Roles of a collection.
const (
	// RoleEvents marks the collection of dated events the timeline lists.
	RoleEvents = "events"
	// RoleSites marks the collection of sites whose controllers the map's
	// text summary names ("On 21 January the SDF controlled ...").
	RoleSites = "sites"
)

// Term is the words for one value of a property.
type Term struct {
	// Label names the value in a legend or a panel; LabelAr in Arabic.
	Label   string `json:"label"`
	LabelAr string `json:"label_ar,omitempty"`
	// Subject names it as the subject of a sentence ("the SDF").
	Subject string `json:"subject,omitempty"`
	// Note is what the summary adds after a site's name ("besieged").
	Note string `json:"note,omitempty"`
	// State marks a value of the controller that is a state rather than a
	// party: the summary says "X was contested", not "contested controlled X".
	State bool `json:"state,omitempty"`
}

// Term returns the term for value of property, if the collection has one.
func (c Collection) Term(property, value string) (Term, bool) {
	t, ok := c.Terms[property][value]
	return t, ok
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
	// Terms are words shared by every collection (see Collection.Terms);
	// ParseCatalog merges them into each collection, whose own win.
	Terms map[string]map[string]Term `json:"terms,omitempty"`
}

// ByRole returns the collection with the given role.
func (c Catalog) ByRole(role string) (Collection, bool) {
	return ByRole(c.Collections, role)
}

// ByRole returns the collection of cols with the given role.
func ByRole(cols []Collection, role string) (Collection, bool) {
	for _, col := range cols {
		if col.Role == role {
			return col, true
		}
	}
	return Collection{}, false
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
