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
	// Values closes properties to a list of values: property name -> the
	// values allowed (claim_status: confirmed, reported, …). A feature with
	// another value is a problem naming it; whether the property must be
	// present is Required's business.
	Values map[string][]string `json:"values,omitempty"`
	// Inside is the rule that a dated point's property (its controller)
	// agrees with the area it lies in, or a status explains why not.
	Inside *InsideRule `json:"inside,omitempty"`
	// MaxPrecision, in degrees, is the finest grid any position of the
	// collection is published on (0: no cap). A feature may declare a
	// coarser one with the property max_precision.
	MaxPrecision float64 `json:"max_precision,omitempty"`
	// PrecisionByConfidence maps the confidence of an estimated point
	// (low, medium, high) to the grid, in degrees, it is published on. The
	// catalogue's own map is merged in (the collection's entries win).
	PrecisionByConfidence map[string]float64 `json:"precision_by_confidence,omitempty"`

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

// InsideRule says that a dated point of the collection whose Property
// differs from the Property of an area of the collection Areas it lies in, on
// overlapping dates, must have a Status property with one of the Explaining
// values (besieged, enclave, unknown…): a site held by one side inside the
// other's territory is a claim that needs its own explanation.
type InsideRule struct {
	Areas      string   `json:"areas"`
	Property   string   `json:"property"`
	Status     string   `json:"status"`
	Explaining []string `json:"explaining"`
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
	// PrecisionByConfidence is shared by every collection (see
	// Collection.PrecisionByConfidence).
	PrecisionByConfidence map[string]float64 `json:"precision_by_confidence,omitempty"`
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
