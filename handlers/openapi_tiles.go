package handlers

import (
	"fmt"

	"github.com/controlmap/controlmap/geo"
)

// addTilePaths documents the tile routes (tiles.go).
func addTilePaths(doc *oaDoc) {
	datetime := oaParam{Ref: "#/components/parameters/" + paramDatetime}
	filter := refs(paramFilter, paramFilterLang, paramFilterCRS)
	z := oaParam{Name: "z", In: "path", Required: true, Description: "Zoom level (tile matrix), 0 to " + fmt.Sprint(geo.MaxTileZoom) + ".",
		Schema: &oaSchema{Type: "integer", Minimum: num(0), Maximum: num(geo.MaxTileZoom)}}
	x := oaParam{Name: "x", In: "path", Required: true, Description: "Column (tile col), 0 to 2^z - 1, from the west.",
		Schema: &oaSchema{Type: "integer", Minimum: num(0)}}
	y := oaParam{Name: "y", In: "path", Required: true, Description: "Row (tile row), 0 to 2^z - 1, from the north.",
		Schema: &oaSchema{Type: "integer", Minimum: num(0)}}
	yMVT := oaParam{Name: "y", In: "path", Required: true, Description: "Row from the north followed by .mvt (25.mvt).",
		Schema: &oaSchema{Type: "string"}}
	tileResponses := func() map[string]oaResponse {
		rs := okResponses(MediaMVT, "", true)
		rs["200"].Content[MediaMVT] = oaMedia{Schema: &oaSchema{Type: "string", Format: "binary"}}
		rs["200"] = oaResponse{Description: "The tile: one layer named after the collection (no body when no feature shows)",
			Content: rs["200"].Content, Headers: rs["200"].Headers}
		return rs
	}
	const filters = " Any property of the collection may also be given as an equality filter, as for items."
	doc.Paths["/collections/{collectionId}/tiles"] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Data"}, Summary: "The collection's vector tilesets (OGC API – Tiles)", OperationID: "getCollectionTileSets",
		Parameters: append(append(refs("collectionId"), fParam("json")), refs(prefixed("ignored-", ignoredParams())...)...),
		Responses:  okResponses(MediaJSON, "", true),
	}}
	doc.Paths["/collections/{collectionId}/tiles/"+geo.TileMatrixSet] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Data"}, Summary: "TileJSON 3.0.0 of the collection's vector tiles",
		Description: "datetime and property filters given here are carried into the tile URL templates." + filters,
		OperationID: "getCollectionTileJSON",
		Parameters:  append(append(refs("collectionId"), datetime), filter...),
		Responses:   okResponses(MediaJSON, "", true),
	}}
	doc.Paths["/collections/{collectionId}/tiles/"+geo.TileMatrixSet+"/{z}/{y}/{x}"] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Data"}, Summary: "A Mapbox Vector Tile of the collection's features (WebMercatorQuad)",
		Description: "Features valid at datetime, clipped to the tile with a buffer, in tile units of 4096, with their id, " +
			"valid_from, valid_to and scalar properties." + filters,
		OperationID: "getCollectionTile",
		Parameters:  append(append(refs("collectionId"), z, y, x, datetime), filter...),
		Responses:   tileResponses(),
	}}
	doc.Paths["/collections/{collectionId}/tiles/{z}/{x}/{y}"] = oaPathItem{Get: &oaOperation{
		Tags: []string{"Data"}, Summary: "The same tile as a {z}/{x}/{y}.mvt template (for Leaflet and other map libraries)",
		Description: "The last segment is the row followed by .mvt." + filters,
		OperationID: "getCollectionTileXYZ",
		Parameters:  append(append(refs("collectionId"), z, x, yMVT, datetime), filter...),
		Responses:   tileResponses(),
	}}
}
