package handlers

import (
	"fmt"

	"github.com/controlmap/controlmap/geo/render"
)

// addRenderPaths documents the pictures (render.go).
func addRenderPaths(doc *oaDoc) {
	date := func(name, desc string) oaParam {
		return oaParam{Name: name, In: "query", Description: desc, Schema: &oaSchema{Type: "string"}}
	}
	size := func(name string, def, lo int) oaParam {
		return oaParam{Name: name, In: "query",
			Description: fmt.Sprintf("The picture's %s in CSS pixels, %d to %d; with scale 2 width × height is at most %d.", name, lo, render.MaxSide, render.MaxPixels/4),
			Schema:      &oaSchema{Type: "integer", Minimum: num(float64(lo)), Maximum: num(render.MaxSide), Default: def}}
	}
	f := false
	params := []oaParam{
		date(paramDate, "The date drawn (YYYY-MM-DD), as the map's date; an RFC 3339 date-time draws that instant. Required unless the data is undated."),
		date(paramSince, "The change view: what changed hands between this earlier date and date, hatched in the colour of the side that gained it."),
		{Name: paramBBox, In: "query", Style: "form", Explode: &f,
			Description: "The box to show, minLon,minLat,maxLon,maxLat (CRS84); the picture fits it in Web Mercator keeping its own aspect ratio. Default: the extent of the areas.",
			Schema:      &oaSchema{Type: "array", MinItems: intp(4), MaxItems: intp(6), Items: &oaSchema{Type: "number"}}},
		{Ref: "#/components/parameters/" + paramBBoxCRS},
		{Name: paramLayers, In: "query", Style: "form", Explode: &f,
			Description: "The collections to draw, comma-separated (drawn in the map's order); default every collection, as the map shows at first; empty: none.",
			Schema:      &oaSchema{Type: "array", Items: &oaSchema{Type: "string"}}},
		{Name: paramFeature, In: "query", Description: "A feature to draw as selected: collection:key, as the map's sel (facilities:al-hol); its collection must be drawn.",
			Schema: &oaSchema{Type: "string"}},
		size(paramWidth, render.DefaultWidth, render.MinWidth),
		size(paramHeight, render.DefaultHeight, render.MinHeight),
		{Name: paramScale, In: "query", Description: "Raster pixels per CSS pixel of the PNG (2 for high-density screens); the SVG and PDF are the same at both.",
			Schema: &oaSchema{Type: "integer", Minimum: num(1), Maximum: num(render.MaxScale), Default: 1}},
	}
	desc := "What the map draws for the date, the box and the layers, drawn by the server from its data (never from outside tiles): " +
		"the basemap, the areas in their controllers' colours (dashed edges where approximate), lines, point symbols by controller and kind, " +
		"labels where they fit, a title with the date in words, a legend of exactly the values drawn, a scale bar, the attribution and licences, " +
		"and a note where areas are schematic. Arabic names are not drawn (the embedded fonts cannot shape them). " +
		fmt.Sprintf("At most %d features; more is a 400 naming bbox. Cached per data version and parameters.", render.MaxFeatures)
	for _, r := range []struct{ path, media, summary, id string }{
		{routeRenderPNG, render.PNG.MediaType(), "A picture of the map on a date (PNG)", "getRenderPNG"},
		{routeRenderSVG, render.SVG.MediaType(), "A picture of the map on a date (SVG)", "getRenderSVG"},
		{routeRenderPDF, render.PDF.MediaType(), "A picture of the map on a date (PDF, for print)", "getRenderPDF"},
	} {
		rs := okResponses(r.media, "", false)
		rs["200"] = oaResponse{Description: "The picture", Content: map[string]oaMedia{r.media: {Schema: &oaSchema{Type: "string", Format: "binary"}}}, Headers: rs["200"].Headers}
		doc.Paths[r.path] = oaPathItem{Get: &oaOperation{Tags: []string{"Data"}, Summary: r.summary, Description: desc, OperationID: r.id, Parameters: params, Responses: rs}}
	}
}
