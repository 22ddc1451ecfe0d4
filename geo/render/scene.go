package render

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"github.com/controlmap/controlmap/geo"
)

// Limits of a picture. Every picture is at most MaxSide by MaxSide CSS
// pixels and at most MaxPixels raster pixels (width × height × scale²), so
// that no request allocates more than about 23 MB of image or draws for
// long; it draws at most MaxFeatures features.
const (
	MinWidth    = 240
	MinHeight   = 160
	MaxSide     = 2400
	MaxScale    = 2
	MaxPixels   = MaxSide * MaxSide
	MaxFeatures = 5000
	// DefaultWidth and DefaultHeight are the size of a social card (16:9).
	DefaultWidth  = 1200
	DefaultHeight = 675
)

// Scene is what one picture shows. The handler fills it from the store;
// Render only draws it.
type Scene struct {
	// Width and Height are the size in CSS pixels; Scale the raster pixels
	// per CSS pixel of a PNG (1 or 2).
	Width, Height, Scale int
	// View is the box that must be seen, in longitude and latitude: the
	// picture fits it in Web Mercator and keeps its own aspect ratio, so
	// more is shown along one axis.
	View orb.Bound
	// Title and Date (in words) head the picture.
	Title, Date string
	// At is the instant shown: events up to it are drawn, those of the last
	// RecentDays days larger.
	At time.Time
	// Layers are drawn bottom first; each with the features to draw.
	Layers []Layer
	// Highlight is the feature drawn as selected, if any.
	Highlight Selection
	// Changes, when not nil, is the change view drawn over the areas.
	Changes *Changes
	// Attribution credits the data; Licenses names the licences of the
	// layers drawn.
	Attribution string
	Licenses    []string
}

// Layer is a collection and its features to draw.
type Layer struct {
	Collection geo.Collection
	Features   []geo.Feature
	// Dots says that the map draws the layer from vector tiles (its
	// collection has more than TileThreshold features): its points are
	// drawn as the tiles draw them, small dots without symbols or labels,
	// and a PNG may draw up to MaxDots of them (drawDots).
	Dots bool
	// Load, when not nil, reads the features of a dot layer (Features is
	// then empty). A PNG calls it at most once, in a goroutine of its own,
	// and draws the layers below while it reads (a date's 50,000 points
	// take a database longer than everything else); an SVG or a PDF calls
	// it before drawing anything, once the other layers passed Check. A
	// picture that fails first (a limit, its context) does not call it:
	// what stands behind it must never wait to hand its features over. The
	// context Load is given is done once the picture has failed (another
	// layer too large or unread, the picture's own context): Load should
	// then return soon, and its error is not the picture's. Its features
	// are checked against the limits when they come (Check leaves them
	// out); any other error it returns is the picture's.
	Load func(ctx context.Context) ([]geo.Feature, error)
}

// Selection names a thing: a collection and the value of its group key
// (or the feature's id where the collection has none), as the map's sel=.
type Selection struct {
	Collection, Key string
}

// Changes is what changed between Since and the date shown, drawn as the
// map's change view: regions hatched in the colour of the side that gained
// them and outlined in that of the side that lost them, rings around the
// sites that changed.
type Changes struct {
	// Since is the earlier date, in words.
	Since string
	// Areas is the polygon collection the regions come from, whose style
	// gives their colours; Sites the collection of the sites.
	Areas, Sites geo.Collection
	Regions      []geo.ChangeRegion
	SiteChanges  []SiteChange
}

// SiteChange is a site whose controller changed.
type SiteChange struct {
	At       orb.Point
	From, To string
}

// RecentDays: events this many days old or newer are drawn larger, with a
// halo (static/js/layers.js RECENT_DAYS).
const RecentDays = 3

// key is the thing a feature is a version of, as the map's featureKey.
func key(f geo.Feature) string {
	if f.Thing != "" {
		return f.Thing
	}
	return f.ID
}
