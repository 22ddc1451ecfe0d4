// Package render draws a dated view of the map as one picture — PNG, SVG or
// PDF from the same drawing — the way the Leaflet map (static/js) draws it:
// the offline basemap, areas in their controllers' colours with dashed
// edges where they are approximate, lines, point symbols by controller and
// kind, the change view's hatching, labels that never overlap, a title, the
// date in words, a legend of exactly the values drawn, a scale bar, the
// attribution and licences, and a note where areas are schematic.
//
// It uses github.com/tdewolff/canvas (pure Go) and the Go fonts
// (golang.org/x/image/font/gofont, BSD licence; FONT-LICENSE), which cover
// Latin, Greek and Cyrillic: text the fonts cannot draw (Arabic names) is
// left out of the picture rather than drawn as empty boxes.
//
// A Renderer is safe for concurrent use: it draws at most as many pictures
// at once as it was made with (each holds its own copy of the fonts, which
// are not safe for concurrent use), and the rest wait their turn.
package render
