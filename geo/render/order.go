package render

import (
	"slices"

	"github.com/controlmap/controlmap/geo"
)

// mapOrder is the map's drawing order of the shipped layers, bottom first
// (static/js/layers.js LAYER_ORDER), with the events below the sites and
// crossings as the map's panes put them.
var mapOrder = []string{"basemap", "control_areas", "front_lines", "border", "transfer_routes", "events", "crossings", "facilities"}

// Order returns ids in drawing order: the map's layers in its order, the
// collection with the events role just below the points of the map's
// layers, and other collections after them in the order given. roles maps
// ids to their roles.
func Order(ids []string, roles map[string]string) []string {
	rank := func(id string) int {
		if roles[id] == geo.RoleEvents {
			return slices.Index(mapOrder, "events")
		}
		if roles[id] == geo.RoleSites {
			return slices.Index(mapOrder, "facilities")
		}
		if i := slices.Index(mapOrder, id); i >= 0 {
			return i
		}
		return len(mapOrder)
	}
	out := slices.Clone(ids)
	slices.SortStableFunc(out, func(a, b string) int { return rank(a) - rank(b) })
	return out
}
