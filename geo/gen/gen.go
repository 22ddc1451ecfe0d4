package gen

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"

	"github.com/controlmap/controlmap/geo"
	"github.com/paulmach/orb"
)

// version is part of the digest: bump it when the same seed and options
// would give different data.
const version = 1

// Streams of the PCG generator, one per collection, so that changing how
// many features one collection has leaves the others as they were.
const (
	streamDates uint64 = 0x64617465 + iota
	streamFacilities
	streamAreas
	streamPoints
	streamEvents
)

// Scale generates the scale dataset for seed and opts (zero fields take
// DefaultOptions). The result is deterministic, valid by the rules geo.LoadDir
// enforces, with each collection's features sorted by id. It panics if opts
// fail Validate.
func Scale(seed int64, opts Options) *geo.Dataset {
	if err := opts.Validate(); err != nil {
		panic(err)
	}
	o := opts.withDefaults()
	g := generator{seed: seed, o: o}
	g.changes = changeDates(g.rng(streamDates), o)

	feats := map[string][]geo.Feature{
		Facilities: g.facilities(),
		Areas:      g.areas(),
		Points:     g.points(),
		Events:     g.events(),
	}
	ds := &geo.Dataset{Features: feats}
	for _, col := range catalog() {
		fs := feats[col.ID]
		sort.Slice(fs, func(i, j int) bool { return fs[i].ID < fs[j].ID })
		col.Extent, col.Count, col.Properties = geo.Summarize(fs)
		ds.Collections = append(ds.Collections, col)
	}
	sum := sha256.Sum256(fmt.Appendf(nil, "controlmap/gen v%d seed %d options %+v", version, seed, o))
	ds.Digest = hex.EncodeToString(sum[:])[:16]
	return ds
}

// generator holds what every collection's generation shares.
type generator struct {
	seed    int64
	o       Options
	changes []time.Time // sorted days strictly inside the period
}

func (g generator) rng(stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.seed), stream))
}

// changeDates picks o.ChangeDates distinct days strictly inside the period.
func changeDates(r *rand.Rand, o Options) []time.Time {
	days := int(o.End.Sub(o.Start).Hours() / 24)
	picks := r.Perm(days - 1)[:o.ChangeDates]
	sort.Ints(picks)
	out := make([]time.Time, len(picks))
	for i, d := range picks {
		out[i] = o.Start.AddDate(0, 0, d+1)
	}
	return out
}

// versions splits the period into n contiguous, non-overlapping intervals
// [Start, b1), [b1, b2), …, [bn-1, End) with boundaries among the change
// dates. n is capped by the number of change dates plus one.
func (g generator) versions(r *rand.Rand, n int) []geo.Interval {
	n = min(n, len(g.changes)+1)
	idx := r.Perm(len(g.changes))[:n-1]
	sort.Ints(idx)
	out := make([]geo.Interval, 0, n)
	from := g.o.Start
	for _, i := range idx {
		out = append(out, geo.Interval{Start: from, End: g.changes[i]})
		from = g.changes[i]
	}
	return append(out, geo.Interval{Start: from, End: g.o.End})
}

// sources cites the generator for a version starting at from.
func (g generator) sources(from time.Time) []geo.Source {
	return []geo.Source{{
		Publisher: Publisher,
		Title:     fmt.Sprintf("synthetic scale dataset, seed %d", g.seed),
		Date:      from.Format(time.DateOnly),
	}}
}

// nextController returns a controller other than prev (any if prev is "").
func nextController(r *rand.Rand, prev string) string {
	for {
		c := controllers[r.IntN(len(controllers))]
		if c != prev {
			return c
		}
	}
}

var statuses = []string{"normal", "contested", "besieged", "handed_over"}

// versionID is the id of a thing's version: the thing and its first day.
func versionID(thing string, iv geo.Interval) string {
	return thing + "-" + iv.Start.Format(time.DateOnly)
}

// thingVersions makes features of group-keyed things until total features
// exist: thing i gets 1..MaxVersions versions (the last thing fewer, to hit
// total exactly), each with its own controller; build makes the geometry and
// extra properties of one version (the caller sets the group key, controller and status).
func (g generator) thingVersions(r *rand.Rand, total int, collection, key, prefix string,
	build func(r *rand.Rand, thing, version int) (orb.Geometry, map[string]any),
) []geo.Feature {
	feats := make([]geo.Feature, 0, total)
	for thing := 1; len(feats) < total; thing++ {
		n := min(1+r.IntN(g.o.MaxVersions), total-len(feats))
		name := fmt.Sprintf("%s%06d", prefix, thing)
		prev := ""
		for v, iv := range g.versions(r, n) {
			geom, props := build(r, thing, v)
			ctrl := nextController(r, prev)
			prev = ctrl
			props[key] = name
			props["controller"] = ctrl
			props["status"] = statuses[r.IntN(len(statuses))]
			feats = append(feats, geo.Feature{
				ID: versionID(name, iv), Collection: collection, Thing: name,
				Geometry: geom, Properties: props, Valid: iv, Sources: g.sources(iv.Start),
			})
		}
	}
	return feats
}

// facilities makes o.Facilities sites, each with versions covering the period.
func (g generator) facilities() []geo.Feature {
	r := g.rng(streamFacilities)
	kinds := []string{"prison", "camp", "hospital"}
	var feats []geo.Feature
	for site := 1; site <= g.o.Facilities; site++ {
		name := fmt.Sprintf("facility-%06d", site)
		pos := g.point(r)
		kind := kinds[r.IntN(len(kinds))]
		prev := ""
		for _, iv := range g.versions(r, 1+r.IntN(g.o.MaxVersions)) {
			ctrl := nextController(r, prev)
			prev = ctrl
			feats = append(feats, geo.Feature{
				ID: versionID(name, iv), Collection: Facilities, Thing: name, Geometry: pos,
				Properties: map[string]any{
					"site": name, "name": fmt.Sprintf("Facility %d", site), "kind": kind,
					"controller": ctrl, "status": statuses[r.IntN(len(statuses))],
				},
				Valid: iv, Sources: g.sources(iv.Start),
			})
		}
	}
	return feats
}

// areas makes o.Polygons dated polygon features; versions of an area share
// a centre but each has its own outline and vertex count.
func (g generator) areas() []geo.Feature {
	r := g.rng(streamAreas)
	var centre orb.Point
	var radius float64
	return g.thingVersions(r, g.o.Polygons, Areas, "area", "area-", func(r *rand.Rand, thing, v int) (orb.Geometry, map[string]any) {
		if v == 0 {
			// Large enough that the version with the most vertices, shrunk
			// by 0.8, still keeps its vertices apart.
			radius = max(0.05+0.3*r.Float64(), minRadius(g.o.MaxVertices)/0.8)
			centre = g.centre(r, radius*maxStretch)
		}
		n := g.o.MinVertices + r.IntN(g.o.MaxVertices-g.o.MinVertices+1)
		poly := starPolygon(r, centre, radius*(0.8+0.4*r.Float64()), n)
		return poly, map[string]any{"name": fmt.Sprintf("Area %d", thing)}
	})
}

// points makes o.Points dated point features; a site does not move between
// versions.
func (g generator) points() []geo.Feature {
	r := g.rng(streamPoints)
	var pos orb.Point
	return g.thingVersions(r, g.o.Points, Points, "site", "point-", func(r *rand.Rand, thing, v int) (orb.Geometry, map[string]any) {
		if v == 0 {
			pos = g.point(r)
		}
		return pos, map[string]any{"name": fmt.Sprintf("Point %d", thing)}
	})
}

// events makes o.Events instants, each at a random hour of a change date.
func (g generator) events() []geo.Feature {
	r := g.rng(streamEvents)
	kinds := []string{"offensive", "agreement", "transfer"}
	feats := make([]geo.Feature, 0, g.o.Events)
	for i := 1; i <= g.o.Events; i++ {
		day := g.changes[r.IntN(len(g.changes))]
		at := day.Add(time.Duration(r.IntN(24)) * time.Hour)
		pos := g.point(r)
		kind := kinds[r.IntN(len(kinds))]
		feats = append(feats, geo.Feature{
			ID: fmt.Sprintf("event-%06d", i), Collection: Events, Geometry: pos,
			Properties: map[string]any{
				"name":        fmt.Sprintf("Event %d", i),
				"description": fmt.Sprintf("Synthetic %s event %d.", kind, i),
				"kind":        kind,
				"date":        day.Format(time.DateOnly),
				"place":       fmt.Sprintf("Place %d", i),
				"estimated":   false,
			},
			Valid: geo.Instant(at), Sources: g.sources(day),
		})
	}
	return feats
}

// point returns a uniformly random position in the bound, rounded.
func (g generator) point(r *rand.Rand) orb.Point {
	b := g.o.Bound
	return orb.Point{
		round(b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0])),
		round(b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])),
	}
}

// centre returns a random point at least margin degrees of latitude (and the
// matching longitude, see lonScale) inside the bound, or the bound's centre
// on an axis too small for the margin.
func (g generator) centre(r *rand.Rand, margin float64) orb.Point {
	b := g.o.Bound
	pick := func(lo, hi, m float64) float64 {
		if hi-lo <= 2*m {
			return (lo + hi) / 2
		}
		return lo + m + r.Float64()*(hi-lo-2*m)
	}
	lat := pick(b.Min[1], b.Max[1], margin)
	return orb.Point{pick(b.Min[0], b.Max[0], margin*lonScale(math.Abs(lat)+margin)), lat}
}

// lonScale is how many degrees of longitude make the distance of one degree
// of latitude at lat, so outlines look round on the map.
func lonScale(lat float64) float64 {
	return 1 / math.Max(math.Cos(lat*math.Pi/180), 0.1)
}

// Decimals is the number of decimal places of every generated coordinate
// (1e-5 degrees is about a metre).
const Decimals = 5

func round(v float64) float64 {
	const scale = 1e5
	return math.Round(v*scale) / scale
}
