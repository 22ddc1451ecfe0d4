package geo

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// Territory analytics: how much area each side held at an instant, and
// which regions changed hands between two instants. Both stores compute
// them, the PostGIS store in SQL (ST_Union, ST_Intersection, geography
// area), the memory store in Go (UnionArea for areas, simplefeatures'
// overlay for changes);
// the contract suite (storetest.RunAnalytics) checks that they agree.

// MinChangeKM2 is the smallest region of change reported, in km²: below it
// a difference is a sliver where two schematic outlines do not quite meet,
// not territory that changed hands.
const MinChangeKM2 = 1.0

// AreaAt is the area, in km², of the union of the polygons held by each
// value of a property at one instant (overlaps counted once).
type AreaAt struct {
	At  time.Time
	KM2 map[string]float64
}

// ChangeRegion is where the property's value was From (and not To) at the
// first instant and To (and not From) at the second: land both claimed at
// both instants did not change hands. FromIDs and ToIDs are the versions
// whose polygons meet the region, in id order: those valid at From's
// instant and not To's, and the other way round (a version valid at both
// is held at both, so never overlaps a region of change).
type ChangeRegion struct {
	From, To       string
	Geometry       orb.MultiPolygon
	KM2            float64
	FromIDs, ToIDs []string
}

// AnalyticsStore is a store that computes territory analytics over the
// polygons of a collection, grouped by the text of a scalar property
// (features without it are left out). The instants are exact: a version
// valid from t counts at t, one valid to t does not.
type AnalyticsStore interface {
	// Areas returns one AreaAt per instant, in the order given.
	Areas(ctx context.Context, collection, property string, at []time.Time) ([]AreaAt, error)
	// RegionChanges returns the regions of at least MinChangeKM2 whose value
	// differs between from and to, ordered by From then To.
	RegionChanges(ctx context.Context, collection, property string, from, to time.Time) ([]ChangeRegion, error)
}
