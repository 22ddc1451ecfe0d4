// Package static holds the Leaflet frontend: the map page, the embeddable
// widget and their scripts and styles, embedded into the binary.
package static

import "embed"

// FS holds every frontend file. lib/ holds Leaflet and
// Leaflet.VectorGrid, committed as the npm packages pinned in
// package-lock.json ship them (scripts/vendor-web.sh checks and refreshes
// the copy; lib_test.go checks it in `make test`).
//
//go:embed all:*
var FS embed.FS
