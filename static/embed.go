// Package static holds the Leaflet frontend: the map page, the embeddable
// widget and their scripts and styles, embedded into the binary.
package static

import "embed"

// FS holds every frontend file. vendor/ is filled from npm by
// scripts/vendor-web.sh (Leaflet, pinned in package-lock.json).
//
//go:embed all:*
var FS embed.FS
