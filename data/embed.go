// Package data holds controlmap's shipped dataset: catalog.json and one
// GeoJSON file per collection, embedded into the binary. See README.md in
// this folder for every collection, field and source, and
// docs/data-format.md for the format.
package data

import "embed"

// FS holds catalog.json and the *.geojson files at its root, in the shape
// geo.LoadDir reads. It is read-only and safe for concurrent use.
//
//go:embed catalog.json *.geojson
var FS embed.FS
