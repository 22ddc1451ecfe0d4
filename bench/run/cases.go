package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo/gen"
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
	Paths    []string // a cold case: distinct paths, each asked once at most
	// Live is the same request to a reference server, measured in the same
	// run when its binary is given (empty Server: none).
	Live refCase
	// RefID is the case whose reference request this one repeats, when
	// not its own (the cache-off variant of a case): the one it is compared
	// with in results that measured the reference servers after the stores,
	// and whose nginx ceiling it has (ceilingCase). Interleaved runs measure
	// the reference again right after it, under its own id.
	RefID string
	// NoCache runs the case on a server started with --cache-bytes 0.
	NoCache bool
	// Header, when set, is one request header wrk sends ("Name: value").
	Header string
	// Check, for a cold case, is how many requests of its list (spread over
	// it) are asked again after the run to record their feature counts, which
	// the report compares with the reference's answers to the same requests.
	Check int
	// Slow marks a case whose answer takes seconds to build (the territory
	// analytics): a hot one is warmed by up to warmAttempts requests of up
	// to analyticsTimeout each before wrk runs, and its failures (no answer
	// to warm the cache, answers that are not 2xx) are recorded in the
	// report rather than stopping the run.
	Slow bool
	// Timed, with Paths, is a cold case asked one request at a time with a
	// Go client instead of wrk, each request timed (runTimed): for requests
	// that take seconds, where wrk's throughput would mean nothing.
	Timed bool
	// LatencyTarget is the most one request of a timed case may take (0:
	// none).
	LatencyTarget time.Duration
	// NoRef says why no reference server is asked (empty: see Live).
	NoRef string
	// Connections, Duration and WrkTimeout, when not 0, replace the run's
	// wrk connections (-c), duration (-d) and wrk's --timeout (10 s) for
	// this case (caseLoad).
	Connections int
	Duration    time.Duration
	WrkTimeout  time.Duration
	// WatchRSS measures the server's peak RSS during this case alone
	// (watchRSS), beside the store's peak over the whole run.
	WatchRSS bool
}

// caseLoad is how wrk drives c: the run's load with c's overrides.
func caseLoad(l load, c benchCase) load {
	if c.Connections > 0 {
		l.Connections = c.Connections
		l.Threads = min(l.Threads, l.Connections)
	}
	if c.Duration > 0 {
		l.Duration = c.Duration
	}
	if c.WrkTimeout > 0 {
		l.Timeout = c.WrkTimeout
	}
	return l
}

// browserAcceptEncoding is the Accept-Encoding a current browser sends.
const browserAcceptEncoding = "Accept-Encoding: gzip, deflate, br, zstd"

// refCase is a case's request to a reference server.
type refCase struct {
	Server string   // featureserv or tileserv
	Path   string   // hot
	Paths  []string // cold, one for each of the case's Paths
}

// cold reports whether the case goes through distinct requests.
func (c benchCase) cold() bool { return len(c.Paths) > 0 }

// discovery is what the cases need to know about the served data.
type discovery struct {
	dates      []string  // the timeline's dates of change
	end        string    // the timeline's end: the date the last validity ends (exclusive; "" when open)
	polygonID  string    // a polygon of case (b)
	pointID    string    // a point of case (c)
	pointIDs   []string  // every point id of the dataset (set by the caller), for the cold by-id case
	analyticsN int       // how many requests each timed analytics case asks (set by the caller; 0: defaultAnalyticsN)
	renderN    int       // how many requests i-render-cold asks (set by the caller; 0: defaultRenderN)
	renderView orb.Bound // the extent of the areas: the default view of a picture
	tilesReady bool      // the server answers tile requests
}

// discover asks the server what the cases need.
func discover(ctx context.Context, base string) (discovery, error) {
	var d discovery
	var tl struct {
		Dates []string `json:"dates"`
		End   *string  `json:"end"`
	}
	if err := getJSON(ctx, base+"/timeline", &tl); err != nil {
		return d, err
	}
	d.dates = tl.Dates
	if tl.End != nil {
		d.end = *tl.End
	}
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
	if err := getJSON(ctx, base+pathC(0), &fc); err != nil {
		return d, err
	}
	if len(fc.Features) == 0 {
		return d, fmt.Errorf("bench: case (c) returns no feature")
	}
	d.pointID = fc.Features[0].ID
	var col struct {
		Extent struct {
			Spatial struct {
				BBox [][4]float64 `json:"bbox"`
			} `json:"spatial"`
		} `json:"extent"`
	}
	if err := getJSON(ctx, base+"/collections/"+gen.Areas, &col); err != nil {
		return d, err
	}
	if bb := col.Extent.Spatial.BBox; len(bb) > 0 {
		d.renderView = orb.Bound{Min: orb.Point{bb[0][0], bb[0][1]}, Max: orb.Point{bb[0][2], bb[0][3]}}
	}
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

// coldTilesMax bounds the list of a cold tile case (each tile of the region
// at each date of change, in that order): z13 has half a million.
const coldTilesMax = 60000

// bboxCases are the hot and cold cases of a bbox query of collection with
// limit, for date ("" for none), from controlmap and pg_featureserv.
func bboxCases(id, title, collection string, box [4]float64, limit int, date string) (hot, cold benchCase) {
	cm := func(bbox string) string {
		p := "/collections/" + collection + "/items?bbox=" + bbox
		if date != "" {
			p += "&datetime=" + date
		}
		return p + "&limit=" + strconv.Itoa(limit)
	}
	bbox0 := shifted(box[0], box[1], box[2], box[3], 0)
	hot = benchCase{ID: id, Title: title, Path: cm(bbox0),
		Live: refCase{Server: featureserv, Path: refItemsPath(collection, bbox0, limit, date)}}
	cold = benchCase{ID: id + "-cold", Title: "(" + id + ") with a different bbox each time (cache misses)",
		Live: refCase{Server: featureserv}}
	for i := range coldShifts {
		b := shifted(box[0], box[1], box[2], box[3], float64(i+1)*1e-5)
		cold.Paths = append(cold.Paths, cm(b))
		cold.Live.Paths = append(cold.Live.Paths, refItemsPath(collection, b, limit, date))
	}
	return hot, cold
}

// cqlBox is the box of the CQL2 cases: the 0.5°×0.5° box of case (c).
var cqlBox = [4]float64{39, 35, 39.5, 35.5}

// cqlChecks is how many requests of a cold CQL2 list are asked again after
// the run, on each server, to compare their feature counts.
const cqlChecks = 24

// cqlFilter is controlmap's CQL2 text for the points of bbox (x0,y0,x1,y1)
// valid at some time of the UTC day date: DATE is the whole day, and the
// validity [valid_from, valid_to) meets it as datetime=date does.
func cqlFilter(bbox, date string) string {
	return "S_INTERSECTS(geometry, BBOX(" + bbox + ")) AND T_INTERSECTS(INTERVAL(valid_from, valid_to), DATE('" + date + "'))"
}

// cqlPath is controlmap's items of collection with the CQL2 filter of bbox
// and date (cql2-text, the default filter-lang), no bbox or datetime
// parameter, and limit.
func cqlPath(collection, bbox, date string, limit int) string {
	return "/collections/" + collection + "/items?filter=" + queryEscape(cqlFilter(bbox, date)) + "&limit=" + strconv.Itoa(limit)
}

// queryEscape is url.QueryEscape with the characters a filter is made of
// that a query may carry as they are ( ( ) , ' : ) left so, for readable
// paths in the report; both servers decode either form the same.
func queryEscape(s string) string {
	return strings.NewReplacer("%28", "(", "%29", ")", "%2C", ",", "%27", "'", "%3A", ":").Replace(url.QueryEscape(s))
}

// cqlCases are the spatial and temporal CQL2 cases: the points of a
// 0.5°×0.5° box valid on a day, asked with filter alone. Hot asks the box
// of case (c) on benchDate; cold goes through the boxes of the other cold
// bbox cases (shifted by 0.00001° each time) with the dates of change in
// turn, so that box and date both change at every request; cold-nocache is
// cold on a server with the cache off. pg_featureserv is asked the same
// question through its own CQL filter (refCQLPath).
func cqlCases(dates []string) (hot, cold, noCache benchCase) {
	const limit = 1000
	bbox0 := shifted(cqlBox[0], cqlBox[1], cqlBox[2], cqlBox[3], 0)
	hot = benchCase{ID: "g-cql2", Title: "points of a 0.5°×0.5° box valid on a day, as a CQL2 filter (S_INTERSECTS and T_INTERSECTS), limit 1000",
		Path: cqlPath("points", bbox0, benchDate, limit),
		Live: refCase{Server: featureserv, Path: refCQLPath("points", bbox0, benchDate, limit)}}
	cold = benchCase{ID: "g-cql2-cold", Title: "(g-cql2) with a different box and date each time (cache misses)",
		Live: refCase{Server: featureserv}, Check: cqlChecks}
	if len(dates) == 0 {
		dates = []string{benchDate}
	}
	for i := range coldShifts {
		b := shifted(cqlBox[0], cqlBox[1], cqlBox[2], cqlBox[3], float64(i+1)*1e-5)
		date := dates[i%len(dates)]
		cold.Paths = append(cold.Paths, cqlPath("points", b, date, limit))
		cold.Live.Paths = append(cold.Live.Paths, refCQLPath("points", b, date, limit))
	}
	noCache = cold
	noCache.ID, noCache.Title, noCache.RefID, noCache.NoCache = "g-cql2-cold-nocache", "(g-cql2-cold) with controlmap's cache off (--cache-bytes 0)", "g-cql2-cold", true
	return hot, cold, noCache
}

// The territory analytics cases (issue 13), on the scale dataset's
// polygons. There is no reference: neither pg_featureserv nor pg_tileserv
// computes areas or changes.
const (
	analyticsCollection = "areas"
	// areaTarget is the target for a cold area at one date.
	areaTarget = 2 * time.Second
	// defaultAnalyticsN is how many requests a timed analytics case asks
	// (-analytics-n).
	defaultAnalyticsN = 8
	// analyticsTimeout bounds one analytics request: longer than the
	// server's write timeout (handlers.WriteTimeout, 60 s), so that what
	// the server does with a slower answer shows.
	analyticsTimeout = 90 * time.Second
	// warmAttempts is how many requests may warm a hot analytics case: an
	// answer built after the server's write timeout is lost to its client
	// but cached, and the next request is then a hit.
	warmAttempts   = 2
	noAnalyticsRef = "none: pg_featureserv and pg_tileserv have no territory analytics"
)

// areaPath is the area held by each controller at date (or, for "", at
// every date of change: the whole series).
func areaPath(date string) string {
	p := "/analytics/area?collection=" + analyticsCollection
	if date != "" {
		p += "&datetime=" + date
	}
	return p
}

// changePath is the regions that changed controller between from and to.
func changePath(from, to string) string {
	return "/analytics/change?collection=" + analyticsCollection + "&from=" + from + "&to=" + to
}

// analyticsDates are the dates of change at which something is valid: the
// timeline's dates before its end (at the end nothing is, and an answer
// there would cost nothing).
func analyticsDates(dates []string, end string) []string {
	var out []string
	for _, d := range dates {
		if end == "" || d < end {
			out = append(out, d)
		}
	}
	if len(out) == 0 {
		out = []string{benchDate}
	}
	return out
}

// analyticsCases are the territory analytics cases: h-area (the area at
// benchDate) and h-change (what changed from the date of change before
// benchDate to benchDate: the map's change view on that date) hot, with
// wrk; h-area-cold (n dates of change, each asked once), h-change-cold (n
// pairs of consecutive dates of change), h-change-cold-far (n pairs a
// quarter of the list apart) and h-area-series (the whole series, once) on
// the server with the cache off, one request at a time.
func analyticsCases(dates []string, end string, n int) []benchCase {
	if n <= 0 {
		n = defaultAnalyticsN
	}
	ds := analyticsDates(dates, end)
	area := benchCase{ID: "h-area", Title: "area held by each controller at one date (territory analytics), hot",
		Path: areaPath(benchDate), Slow: true, NoRef: noAnalyticsRef}
	change := benchCase{ID: "h-change", Title: "regions that changed controller since the date of change before, hot",
		Path: changePath(ds[0], benchDate), Slow: true, NoRef: noAnalyticsRef}
	for _, d := range ds {
		if d < benchDate {
			change.Path = changePath(d, benchDate)
		}
	}
	if ds[0] >= benchDate {
		change.Path = changePath(ds[0], ds[len(ds)-1])
	}
	areaCold := benchCase{ID: "h-area-cold", Title: "(h-area) at a different date of change each request, cache off, one request at a time",
		Slow: true, Timed: true, NoCache: true, LatencyTarget: areaTarget, NoRef: noAnalyticsRef}
	for _, i := range checkIndexes(len(ds), n) {
		areaCold.Paths = append(areaCold.Paths, areaPath(ds[i]))
	}
	// pairs are n pairs of dates of change gap apart.
	pairs := func(gap int) []string {
		if len(ds) <= gap {
			return []string{changePath(ds[0], ds[0])}
		}
		var out []string
		for _, i := range checkIndexes(len(ds)-gap, n) {
			out = append(out, changePath(ds[i], ds[i+gap]))
		}
		return out
	}
	changeCold := benchCase{ID: "h-change-cold", Title: "(h-change) since the date of change before, a different date each request, cache off, one request at a time",
		Paths: pairs(1), Slow: true, Timed: true, NoCache: true, NoRef: noAnalyticsRef}
	changeFar := benchCase{ID: "h-change-cold-far", Title: "(h-change-cold) between dates of change a quarter of the list apart, cache off, one request at a time",
		Paths: pairs(max(2, len(ds)/4)), Slow: true, Timed: true, NoCache: true, NoRef: noAnalyticsRef}
	series := benchCase{ID: "h-area-series", Title: "the whole area series (the first date and every date of change), cache off, once",
		Paths: []string{areaPath("")}, Slow: true, Timed: true, NoCache: true, NoRef: noAnalyticsRef}
	return []benchCase{area, change, areaCold, changeCold, changeFar, series}
}

// The picture cases (issue 14): /render.png of the default view (no
// bbox: the extent of the areas, as the map opens; the default size,
// 1200×675) on the scale dataset. There is no reference: neither
// pg_featureserv nor pg_tileserv draws pictures.
const (
	// renderTarget is the target for a cold render.
	renderTarget = 300 * time.Millisecond
	// defaultRenderN is how many requests i-render-cold asks (-render-n).
	defaultRenderN = 8
	// renderConnections are the "64 concurrent cold renders".
	renderConnections = 64
	// renderRPSDuration is how long i-render-cold-rps runs, whatever -d: a
	// cold render of the scale dataset takes seconds, and at most as many
	// are drawn at once as the server has processors.
	renderRPSDuration = 30 * time.Second
	// renderWrkTimeout is wrk's --timeout for i-render-cold-rps: the
	// server's write timeout (60 s), so that a render that waited for a
	// free slot is counted in the latencies rather than as a timeout.
	renderWrkTimeout = 60 * time.Second
	// renderColdList is the length of i-render-cold-rps's list: more than
	// it could ask in its time even at the target's speed.
	renderColdList = 6000
	noRenderRef    = "none: pg_featureserv and pg_tileserv draw no pictures"
)

// renderLayers are the layers i-render, i-render-cold and
// i-render-cold-rps draw: every collection of the scale dataset but its
// 100,000 points, as the picture cases were first measured (the server
// refused the points then: more than 5,000 features). i-render-cold-all
// draws every layer (renderAllPath), the points as dots, as the map draws
// them from vector tiles.
var renderLayers = strings.Join([]string{gen.Areas, gen.Facilities, gen.Events}, ",")

// renderPath is the PNG of renderLayers at date, in bbox ("": the default
// view), at the default size.
func renderPath(date, bbox string) string {
	p := "/render.png?date=" + date + "&layers=" + renderLayers
	if bbox != "" {
		p += "&bbox=" + bbox
	}
	return p
}

// renderAllPath is the default picture of benchDate as the map opens: every
// layer.
func renderAllPath() string { return renderAllPathAt(benchDate) }

// renderAllPathAt is the default picture of date as the map opens.
func renderAllPathAt(date string) string { return "/render.png?date=" + date }

// renderCases are the picture cases: i-render (the default view at
// benchDate, hot: warmed by one render, then wrk on the cached answer),
// i-render-cold (the default view at n dates of change, each drawn once,
// one request at a time, on the server with the cache off, against the
// 300 ms target), i-render-cold-rps (renders per second with 64
// connections on that server, each request a different date of change and
// a box shifted by 0.00001°, with the server's peak RSS during it) and
// i-render-cold-all (i-render-cold with every layer, as the map opens).
// view is the default view (empty: coldTileArea, where the dataset lies).
func renderCases(dates []string, end string, n int, view orb.Bound) []benchCase {
	if n <= 0 {
		n = defaultRenderN
	}
	if view.Max[0] <= view.Min[0] || view.Max[1] <= view.Min[1] {
		view = coldTileArea
	}
	ds := analyticsDates(dates, end)
	hot := benchCase{ID: "i-render", Title: "PNG of the default view (the areas' extent, 1200×675; every layer but the points), hot",
		Path: renderPath(benchDate, ""), Slow: true, NoRef: noRenderRef}
	cold := benchCase{ID: "i-render-cold", Title: "(i-render) at a different date of change each request, cache off, one request at a time",
		Slow: true, Timed: true, NoCache: true, LatencyTarget: renderTarget, WatchRSS: true, NoRef: noRenderRef}
	all := benchCase{ID: "i-render-cold-all", Title: "the default picture as the map opens (every layer: the 100,000 points as dots) at a different date of change each request, cache off, one request at a time",
		Slow: true, Timed: true, NoCache: true, LatencyTarget: renderTarget, WatchRSS: true, NoRef: noRenderRef}
	for _, i := range checkIndexes(len(ds), n) {
		cold.Paths = append(cold.Paths, renderPath(ds[i], ""))
		all.Paths = append(all.Paths, renderAllPathAt(ds[i]))
	}
	rps := benchCase{ID: "i-render-cold-rps",
		Title: fmt.Sprintf("(i-render) with its box shifted by 0.00001° and the next date of change each request, cache off, %d connections", renderConnections),
		Slow:  true, NoCache: true, Connections: renderConnections, Duration: renderRPSDuration, WrkTimeout: renderWrkTimeout,
		WatchRSS: true, NoRef: noRenderRef}
	for i := range renderColdList {
		b := shifted(view.Min[0], view.Min[1], view.Max[0], view.Max[1], float64(i+1)*1e-5)
		rps.Paths = append(rps.Paths, renderPath(ds[i%len(ds)], b))
	}
	return []benchCase{hot, cold, rps, all}
}

// checkIndexes are the indexes of the n requests of a list of length
// that a case with Check n asks again: the first, then evenly spread
// (distinct; fewer when length < n).
func checkIndexes(length, n int) []int {
	if n > length {
		n = length
	}
	out := make([]int, 0, n)
	for k := range n {
		out = append(out, k*length/n)
	}
	return out
}

// idCases are the cold by-id cases: every point of the dataset in a fixed
// random order (more answers than the default cache holds), with the cache
// and without it.
func idCases(ids []string) []benchCase {
	ids = slices.Clone(ids)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	c := benchCase{ID: "d-cold", Title: "(d) a different point each time (cache misses)", Ref: reference{11000, ""}, Ratio: 5, P99Fifth: true,
		Live: refCase{Server: featureserv}}
	for _, id := range ids {
		c.Paths = append(c.Paths, "/collections/points/items/"+url.PathEscape(id))
		c.Live.Paths = append(c.Live.Paths, refItemPath("points", id))
	}
	nc := c
	nc.ID, nc.Title, nc.RefID, nc.NoCache = "d-cold-nocache", "(d-cold) with controlmap's cache off (--cache-bytes 0)", "d-cold", true
	return []benchCase{c, nc}
}

// tileCase is a tile case of collection at z: hot (the tile at centre at
// benchDate) or cold (every tile of the region at every date of change,
// at most coldTilesMax), from controlmap and pg_tileserv.
func tileCase(collection string, z maptile.Zoom, centre orb.Point, ref float64, dates []string, cold bool) benchCase {
	id := fmt.Sprintf("e-%s-z%d", collection, z)
	if !cold {
		t := maptile.At(centre, z)
		return benchCase{ID: id, Title: fmt.Sprintf("MVT tile of %s at z%d with a datetime", collection, z),
			Ref: reference{ref, ""}, Ratio: 5, Path: tilePath(collection, t, benchDate),
			Live: refCase{Server: tileserv, Path: refTilePath(collection, t, benchDate)}}
	}
	c := benchCase{ID: id + "-cold", Title: fmt.Sprintf("tiles of %s at z%d, each tile and date once (cache misses)", collection, z),
		Ref: reference{ref, ""}, Live: refCase{Server: tileserv}}
	if ref > 0 {
		c.Ratio = 5
	}
	tiles := tilesIn(coldTileArea, z)
	for _, date := range dates {
		for _, t := range tiles {
			if len(c.Paths) == coldTilesMax {
				return c
			}
			c.Paths = append(c.Paths, tilePath(collection, t, date))
			c.Live.Paths = append(c.Live.Paths, refTilePath(collection, t, date))
		}
	}
	return c
}

// cases returns the benchmark cases for what d found.
func cases(d discovery) []benchCase {
	b, bCold := bboxCases("b", "polygons in a 1°×1° bbox with a datetime, limit 100", "areas", [4]float64{38, 35, 39, 36}, 100, benchDate)
	b.Ref, b.Ratio, b.P99Fifth = reference{21, "3.1 MB"}, 5, true
	bCold.Ref, bCold.Ratio, bCold.P99Fifth = reference{21, "3.1 MB"}, 5, true
	bn, bnCold := bboxCases("b-nodate", "polygons in a 1°×1° bbox without a datetime (every version), limit 100", "areas", [4]float64{38, 35, 39, 36}, 100, "")
	c, cCold := bboxCases("c", "points in a 0.5°×0.5° bbox, limit 1000", "points", [4]float64{39, 35, 39.5, 35.5}, 1000, "")
	c.Ref, c.Ratio, c.P99Fifth = reference{190, "180 kB"}, 5, true
	cCold.Ref, cCold.Ratio, cCold.P99Fifth = reference{190, "180 kB"}, 5, true
	cs := []benchCase{
		{ID: "a", Title: "facilities of a date (the whole layer, as the map asks)", Ref: reference{1800, "14 kB"}, Path: pathA(),
			Live: refCase{Server: featureserv, Path: refItemsPath("facilities", "", 1000, benchDate)}},
		{ID: "a-browser", Title: "(a) with Accept-Encoding as browsers send it (gzip, deflate, br, zstd)", Path: pathA(), Header: browserAcceptEncoding},
		b, bn, c,
		{ID: "d-point", Title: "one point by id", Ref: reference{11000, ""}, Ratio: 5, P99Fifth: true, Path: "/collections/points/items/" + d.pointID,
			Live: refCase{Server: featureserv, Path: refItemPath("points", d.pointID)}},
		{ID: "d-polygon", Title: "one polygon by id", Ref: reference{1500, ""}, Ratio: 5, P99Fifth: true, Path: "/collections/areas/items/" + d.polygonID,
			Live: refCase{Server: featureserv, Path: refItemPath("areas", d.polygonID)}},
		bCold, bnCold, cCold,
	}
	cs = append(cs, idCases(d.pointIDs)...)
	g, gCold, gNoCache := cqlCases(d.dates)
	cs = append(cs, g, gCold, gNoCache)
	cs = append(cs, analyticsCases(d.dates, d.end, d.analyticsN)...)
	cs = append(cs, renderCases(d.dates, d.end, d.renderN, d.renderView)...)
	if !d.tilesReady {
		return cs
	}
	tiles := []struct {
		collection string
		z          maptile.Zoom
		centre     orb.Point
		ref        float64
		hot        bool
	}{
		{"areas", 7, polygonCentre, 5, true},
		{"areas", 10, polygonCentre, 100, true},
		{"areas", 11, polygonCentre, 0, false},
		{"points", 7, pointCentre, 24, true},
		{"points", 10, pointCentre, 880, true},
		{"points", 13, pointCentre, 0, false},
	}
	for _, t := range tiles {
		if t.hot {
			cs = append(cs, tileCase(t.collection, t.z, t.centre, t.ref, d.dates, false))
		}
	}
	for _, t := range tiles {
		cs = append(cs, tileCase(t.collection, t.z, t.centre, t.ref, d.dates, true))
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
