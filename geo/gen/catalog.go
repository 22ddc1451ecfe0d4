package gen

import "github.com/controlmap/controlmap/geo"

// The generated collections, in catalogue order.
const (
	Facilities = "facilities"
	Areas      = "areas"
	Points     = "points"
	Events     = "events"
)

// Publisher is the source every generated feature cites.
const Publisher = "controlmap generator"

const (
	license    = "CC0-1.0"
	licenseURL = "https://creativecommons.org/publicdomain/zero/1.0/"
	attrib     = "controlmap scale dataset (synthetic, generated from a seed; not real data)"
)

// controllers are the values of the controller property, with the map
// colours of the shipped dataset.
var controllers = []string{"sdf", "government", "contested", "turkey_sna", "us", "iraq"}

func controllerStyle() geo.Style {
	return geo.Style{
		Property: "controller",
		Colors: map[string]string{
			"sdf": "#e3b505", "government": "#c0392b", "contested": "#8e44ad",
			"turkey_sna": "#2e86c1", "us": "#16a085", "iraq": "#7f8c8d",
		},
		DefaultColor: "#555555",
		Label:        "name",
	}
}

// catalog returns the catalogue entries of the generated collections.
func catalog() []geo.Collection {
	return []geo.Collection{
		{
			ID: Facilities, Title: "Facilities (synthetic)", GeometryType: "Point", Dated: true, GroupKey: "site", Role: geo.RoleSites,
			Description: "Synthetic facilities: every site has versions covering the whole period, so each date shows every site once.",
			Required:    []string{"site", "name", "kind", "controller", "status"},
			Style:       controllerStyle(), Attribution: attrib, License: license, LicenseURL: licenseURL,
		},
		{
			ID: Areas, Title: "Areas (synthetic)", GeometryType: "Polygon", Dated: true, GroupKey: "area",
			Description: "Synthetic dated polygons of hundreds to thousands of vertices (star-shaped, so always simple).",
			Required:    []string{"area", "name", "controller", "status"},
			Style:       controllerStyle(), Attribution: attrib, License: license, LicenseURL: licenseURL,
		},
		{
			ID: Points, Title: "Points (synthetic)", GeometryType: "Point", Dated: true, GroupKey: "site",
			Description: "Synthetic dated points spread evenly over the area.",
			Required:    []string{"site", "name", "controller", "status"},
			Style:       controllerStyle(), Attribution: attrib, License: license, LicenseURL: licenseURL,
		},
		{
			ID: Events, Title: "Events (synthetic)", GeometryType: "Point", Dated: true, Role: geo.RoleEvents,
			Description: "Synthetic events, each an instant on a day the other layers change.",
			Required:    []string{"name", "description", "kind", "date", "place", "estimated"},
			Style: geo.Style{
				Property: "kind", Colors: map[string]string{"offensive": "#c0392b", "agreement": "#16a085", "transfer": "#2e86c1"},
				DefaultColor: "#333333", Label: "name",
			},
			Attribution: attrib, License: license, LicenseURL: licenseURL,
		},
	}
}
