package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// The date every dated case asks for, and the places the cases look at.
const (
	benchDate = "2026-01-15"
	bboxB     = "38,35,39,36"     // 1°×1°, polygons
	bboxC     = "39,35,39.5,35.5" // 0.5°×0.5°, points
)

// tileCentres are where the hot tile cases look: the middle of each box.
var (
	polygonCentre = orb.Point{38.5, 35.5}
	pointCentre   = orb.Point{39.25, 35.25}
	// coldTileArea is the box whose tiles the cold tile cases go through:
	// where the scale dataset lies.
	coldTileArea = orb.Bound{Min: orb.Point{35.5, 32.3}, Max: orb.Point{42.5, 37.4}}
)

// reference is what issue 6 measured for the reference servers on this kind
// of machine (requests per second, and the response size it quotes).
type reference struct {
	RPS   float64
	Bytes string
}

// benchCase is one row of the table: a request (hot) or a list of distinct
// requests (cold) sent for the run's duration.
type benchCase struct {
	ID    string
	Title string
	Ref   reference
	// Ratio is the target as a multiple of Ref.RPS (0: none); P99Fifth adds
	// the target p99 ≤ 1/5 of the reference's (see p99Target).
	Ratio    float64
	P99Fifth bool
	Path     string   // a hot case: the same path every time
	Paths    []string // a cold case: distinct paths, none asked twice while the list lasts
}

// cold reports whether the case goes through distinct requests.
func (c benchCase) cold() bool { return len(c.Paths) > 0 }

// discovery is what the cases need to know about the served data.
type discovery struct {
	dates      []string // the timeline's dates of change
	polygonID  string   // a polygon of case (b)
	pointID    string   // a point of case (c)
	pointIDs   []string // many point ids, for the cold by-id case
	tilesReady bool     // the server answers tile requests
}

// discover asks the server what the cases need.
func discover(ctx context.Context, base string) (discovery, error) {
	var d discovery
	var tl struct {
		Dates []string `json:"dates"`
	}
	if err := getJSON(ctx, base+"/timeline", &tl); err != nil {
		return d, err
	}
	d.dates = tl.Dates
	var fc struct {
		Features []struct {
			ID string `json:"id"`
		} `json:"features"`
	}
	if err := getJSON(ctx, base+pathB(benchDate), &fc); err != nil {
		return d, err
	}
	if len(fc.Features) == 0 {
		return d, fmt.Errorf("bench: case (b) returns no feature")
	}
	d.polygonID = fc.Features[0].ID
	fc.Features = nil
	if err := getJSON(ctx, base+"/collections/points/items?limit=10000&properties=name", &fc); err != nil {
		return d, err
	}
	if len(fc.Features) == 0 {
		return d, fmt.Errorf("bench: no points")
	}
	for _, f := range fc.Features {
		d.pointIDs = append(d.pointIDs, f.ID)
	}
	fc.Features = nil
	if err := getJSON(ctx, base+pathC(0), &fc); err != nil {
		return d, err
	}
	if len(fc.Features) == 0 {
		return d, fmt.Errorf("bench: case (c) returns no feature")
	}
	d.pointID = fc.Features[0].ID
	status, _, err := fetch(ctx, base+tilePath("points", maptile.At(pointCentre, 10), benchDate))
	if err != nil {
		return d, err
	}
	d.tilesReady = status == http.StatusOK
	return d, nil
}

func getJSON(ctx context.Context, url string, v any) error {
	status, body, err := fetch(ctx, url)
	if err != nil {
		return err
	}
	if status != http.StatusOK {
		return fmt.Errorf("bench: GET %s: status %d: %.300s", url, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("bench: GET %s: %w", url, err)
	}
	return nil
}

func pathA() string { return "/collections/facilities/items?datetime=" + benchDate }

func pathB(date string) string {
	return "/collections/areas/items?bbox=" + bboxB + "&datetime=" + date + "&limit=100"
}

// pathC is case (c) with its box shifted east by shift degrees.
func pathC(shift float64) string {
	return "/collections/points/items?bbox=" + shifted(39, 35, 39.5, 35.5, shift) + "&limit=1000"
}

// shifted formats a bbox moved east by shift degrees, with 5 decimals.
func shifted(x0, y0, x1, y1, shift float64) string {
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }
	r := func(v float64) float64 { v, _ = strconv.ParseFloat(strconv.FormatFloat(v, 'f', 5, 64), 64); return v }
	return f(r(x0+shift)) + "," + f(y0) + "," + f(r(x1+shift)) + "," + f(y1)
}

func tilePath(collection string, t maptile.Tile, date string) string {
	return fmt.Sprintf("/collections/%s/tiles/WebMercatorQuad/%d/%d/%d?datetime=%s", collection, t.Z, t.Y, t.X, date)
}

// coldShifts is how many distinct boxes the cold bbox cases go through:
// more than the fastest of them can ask in a run.
const coldShifts = 60000

// cases returns the benchmark cases for what d found.
func cases(d discovery) []benchCase {
	cs := []benchCase{
		{ID: "a", Title: "facilities of a date (the whole layer, as the map asks)", Ref: reference{1800, "14 kB"}, Path: pathA()},
		{ID: "b", Title: "polygons in a 1°×1° bbox with a datetime, limit 100", Ref: reference{21, "3.1 MB"}, Ratio: 5, P99Fifth: true, Path: pathB(benchDate)},
		{ID: "c", Title: "points in a 0.5°×0.5° bbox, limit 1000", Ref: reference{190, "180 kB"}, Ratio: 5, P99Fifth: true, Path: pathC(0)},
		{ID: "d-point", Title: "one point by id", Ref: reference{11000, ""}, Ratio: 5, P99Fifth: true, Path: "/collections/points/items/" + d.pointID},
		{ID: "d-polygon", Title: "one polygon by id", Ref: reference{1500, ""}, Ratio: 5, P99Fifth: true, Path: "/collections/areas/items/" + d.polygonID},
	}
	var coldB, coldC []string
	for i := range coldShifts {
		shift := float64(i+1) * 1e-5
		coldB = append(coldB, "/collections/areas/items?bbox="+shifted(38, 35, 39, 36, shift)+"&datetime="+benchDate+"&limit=100")
		coldC = append(coldC, pathC(shift))
	}
	var coldD []string
	for _, id := range d.pointIDs {
		coldD = append(coldD, "/collections/points/items/"+id)
	}
	cs = append(cs,
		benchCase{ID: "b-cold", Title: "(b) with a different bbox each time (cache misses)", Ref: reference{21, "3.1 MB"}, Ratio: 5, P99Fifth: true, Paths: coldB},
		benchCase{ID: "c-cold", Title: "(c) with a different bbox each time (cache misses)", Ref: reference{190, "180 kB"}, Ratio: 5, P99Fifth: true, Paths: coldC},
		benchCase{ID: "d-cold", Title: "(d) a different point each time (cache misses)", Ref: reference{11000, ""}, Ratio: 5, P99Fifth: true, Paths: coldD},
	)
	if !d.tilesReady {
		return cs
	}
	tiles := []struct {
		collection string
		z          maptile.Zoom
		centre     orb.Point
		ref        float64
	}{
		{"areas", 7, polygonCentre, 5},
		{"areas", 10, polygonCentre, 100},
		{"points", 7, pointCentre, 24},
		{"points", 10, pointCentre, 880},
	}
	for _, t := range tiles {
		id := fmt.Sprintf("e-%s-z%d", t.collection, t.z)
		cs = append(cs, benchCase{ID: id, Title: fmt.Sprintf("MVT tile of %s at z%d with a datetime", t.collection, t.z),
			Ref: reference{t.ref, ""}, Ratio: 5, Path: tilePath(t.collection, maptile.At(t.centre, t.z), benchDate)})
	}
	for _, t := range tiles {
		var paths []string
		for _, date := range d.dates {
			for _, tile := range tilesIn(coldTileArea, t.z) {
				paths = append(paths, tilePath(t.collection, tile, date))
			}
		}
		id := fmt.Sprintf("e-%s-z%d-cold", t.collection, t.z)
		cs = append(cs, benchCase{ID: id, Title: fmt.Sprintf("tiles of %s at z%d, each tile and date once (cache misses)", t.collection, t.z),
			Ref: reference{t.ref, ""}, Ratio: 5, Paths: paths})
	}
	return cs
}

// tilesIn lists the tiles of zoom z that cover b, row by row.
func tilesIn(b orb.Bound, z maptile.Zoom) []maptile.Tile {
	nw := maptile.At(orb.Point{b.Min[0], b.Max[1]}, z)
	se := maptile.At(orb.Point{b.Max[0], b.Min[1]}, z)
	var out []maptile.Tile
	for y := nw.Y; y <= se.Y; y++ {
		for x := nw.X; x <= se.X; x++ {
			out = append(out, maptile.New(x, y, z))
		}
	}
	return out
}

// p99Target is the p99 (ms) a case must stay under: a fifth of the
// reference's. Issue 6 gives the reference's throughput but not its p99;
// with 32 connections each waiting for its answer, the reference's mean
// latency was 32/RPS, and its p99 at least that, so a fifth of 32/RPS is a
// bound at least as strict as the target.
func p99Target(c benchCase, connections int) float64 {
	if !c.P99Fifth || c.Ref.RPS == 0 {
		return 0
	}
	return float64(connections) / c.Ref.RPS * 1000 / 5
}
