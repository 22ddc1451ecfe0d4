package handlers_test

import (
	"bytes"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/controlmap/controlmap/geo"
	"github.com/controlmap/controlmap/geo/memory"
	"github.com/controlmap/controlmap/geo/mvt/mvttest"
	"github.com/controlmap/controlmap/geo/storetest"
)

// plainStore hides the memory store's optional interfaces, so that the
// handlers draw tiles themselves from items queries.
type plainStore struct{ geo.Store }

// tileIDs returns the sorted feature ids of a tile answer.
func tileIDs(t *testing.T, rec []byte, c mvttest.Case) []string {
	t.Helper()
	var ids []string
	for id := range mvttest.Decode(t, rec, c.Tile, c.Collection) {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

func tileTargets(c mvttest.Case) (ogc, xyz string) {
	q := ""
	if c.Datetime != "" {
		q = "datetime=" + c.Datetime
	}
	for k, v := range c.Filters {
		if q != "" {
			q += "&"
		}
		q += k + "=" + v
	}
	if q != "" {
		q = "?" + q
	}
	ogc = fmt.Sprintf("/collections/%s/tiles/WebMercatorQuad/%d/%d/%d%s", c.Collection, c.Tile.Z, c.Tile.Y, c.Tile.X, q)
	xyz = fmt.Sprintf("/collections/%s/tiles/%d/%d/%d.mvt%s", c.Collection, c.Tile.Z, c.Tile.X, c.Tile.Y, q)
	return ogc, xyz
}

// TestTiles serves the tile cases of mvttest through the router, from both
// stores and from a store that cannot draw tiles, at both paths.
func TestTiles(t *testing.T) {
	check := func(t *testing.T, e *echo.Echo) {
		for _, c := range mvttest.Cases() {
			ogc, xyz := tileTargets(c)
			rec := get(t, e, ogc, http.StatusOK)
			if ct := rec.Header().Get("Content-Type"); ct != "application/vnd.mapbox-vector-tile" {
				t.Errorf("%s: Content-Type %q", ogc, ct)
			}
			if got := tileIDs(t, rec.Body.Bytes(), c); !slices.Equal(got, c.Want) {
				t.Errorf("%s (%s): %v, want %v", ogc, c.Name, got, c.Want)
			}
			if other := get(t, e, xyz, http.StatusOK); !bytes.Equal(other.Body.Bytes(), rec.Body.Bytes()) {
				t.Errorf("%s and %s differ", ogc, xyz)
			}
		}
	}
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) { check(t, e) })
	t.Run("drawn by the handlers", func(t *testing.T) {
		check(t, newServer(t, plainStore{memory.New(storetest.Fixture())}))
	})
}

func TestTileErrors(t *testing.T) {
	e := newServer(t, memory.New(storetest.Fixture()))
	tests := []struct {
		target string
		status int
		param  string
	}{
		{"/collections/facilities/tiles/WebMercatorQuad/23/0/0", http.StatusBadRequest, "z"},
		{"/collections/facilities/tiles/WebMercatorQuad/x/0/0", http.StatusBadRequest, "z"},
		{"/collections/facilities/tiles/WebMercatorQuad/2/0/4", http.StatusBadRequest, "x"},
		{"/collections/facilities/tiles/WebMercatorQuad/2/4/0", http.StatusBadRequest, "y"},
		{"/collections/facilities/tiles/WebMercatorQuad/2/-1/0", http.StatusBadRequest, "y"},
		{"/collections/facilities/tiles/2/1/1", http.StatusBadRequest, "y"},
		{"/collections/facilities/tiles/2/1/1.png", http.StatusBadRequest, "y"},
		{"/collections/facilities/tiles/2/9/1.mvt", http.StatusBadRequest, "x"},
		{"/collections/facilities/tiles/WebMercatorQuad/2/1/1?datetime=yesterday", http.StatusBadRequest, "datetime"},
		{"/collections/facilities/tiles/WebMercatorQuad/2/1/1?bbox=1,2,3,4", http.StatusBadRequest, "bbox"},
		{"/collections/facilities/tiles/WebMercatorQuad/2/1/1?colour=red", http.StatusBadRequest, "colour"},
		{"/collections/facilities/tiles/WebMercatorQuad?limit=3", http.StatusBadRequest, "limit"},
		{"/collections/nope/tiles/WebMercatorQuad/2/1/1", http.StatusNotFound, ""},
		{"/collections/nope/tiles/WebMercatorQuad", http.StatusNotFound, ""},
	}
	for _, tt := range tests {
		p := getProblem(t, e, tt.target, tt.status)
		if p.Parameter != tt.param {
			t.Errorf("%s: problem names parameter %q, want %q (%+v)", tt.target, p.Parameter, tt.param, p)
		}
	}
}

func TestTileJSON(t *testing.T) {
	eachStore(t, func(t *testing.T, e *echo.Echo, _ geo.Store) {
		var doc struct {
			TileJSON     string    `json:"tilejson"`
			Name         string    `json:"name"`
			Scheme       string    `json:"scheme"`
			Tiles        []string  `json:"tiles"`
			MinZoom      int       `json:"minzoom"`
			MaxZoom      int       `json:"maxzoom"`
			Bounds       []float64 `json:"bounds"`
			VectorLayers []struct {
				ID     string            `json:"id"`
				Fields map[string]string `json:"fields"`
			} `json:"vector_layers"`
			Links []struct {
				Href      string `json:"href"`
				Rel       string `json:"rel"`
				Templated bool   `json:"templated"`
			} `json:"links"`
		}
		getJSON(t, e, "/collections/facilities/tiles/WebMercatorQuad?datetime=2026-01-20&controller=sdf", &doc)
		want := "http://example.com/collections/facilities/tiles/WebMercatorQuad/{z}/{y}/{x}?controller=sdf&datetime=2026-01-20"
		if doc.TileJSON != "3.0.0" || doc.Scheme != "xyz" || len(doc.Tiles) != 1 || doc.Tiles[0] != want || doc.MaxZoom != geo.MaxTileZoom {
			t.Errorf("TileJSON %+v; want version 3.0.0 and the tile template %s", doc, want)
		}
		if len(doc.VectorLayers) != 1 || doc.VectorLayers[0].ID != "facilities" || doc.VectorLayers[0].Fields["controller"] == "" || doc.VectorLayers[0].Fields["id"] == "" {
			t.Errorf("vector_layers %+v", doc.VectorLayers)
		}
		if len(doc.Bounds) != 4 || doc.Bounds[0] != 40.73 || doc.Bounds[3] != 36.99 {
			t.Errorf("bounds %v, want the extent of the facilities", doc.Bounds)
		}
		var xyz string
		for _, l := range doc.Links {
			if l.Templated && strings.HasSuffix(strings.Split(l.Href, "?")[0], "{z}/{x}/{y}.mvt") {
				xyz = l.Href
			}
		}
		if xyz == "" {
			t.Errorf("no {z}/{x}/{y}.mvt template among the links %+v", doc.Links)
		}
		// The template gives the tile the OGC path gives.
		c := mvttest.Cases()[1]
		ogcPath, _ := tileTargets(c)
		path := strings.NewReplacer("{z}", fmt.Sprint(c.Tile.Z), "{x}", fmt.Sprint(c.Tile.X), "{y}", fmt.Sprint(c.Tile.Y)).Replace(pathOf(t, xyz))
		a := get(t, e, path, http.StatusOK).Body.Bytes()
		b := get(t, e, ogcPath+"&controller=sdf", http.StatusOK).Body.Bytes()
		if !bytes.Equal(a, b) {
			t.Errorf("%s and %s differ", path, ogcPath)
		}

		var sets struct {
			Tilesets []struct {
				DataType         string `json:"dataType"`
				TileMatrixSetURI string `json:"tileMatrixSetURI"`
			} `json:"tilesets"`
		}
		getJSON(t, e, "/collections/areas/tiles", &sets)
		if len(sets.Tilesets) != 1 || sets.Tilesets[0].DataType != "vector" || !strings.HasSuffix(sets.Tilesets[0].TileMatrixSetURI, "/WebMercatorQuad") {
			t.Errorf("tilesets %+v", sets)
		}
	})
}
