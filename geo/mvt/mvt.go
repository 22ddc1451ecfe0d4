// Package mvt renders features of a collection as a Mapbox Vector Tile
// (MVT, version 2) of the WebMercatorQuad tile matrix set, the way a store
// without a tile engine of its own serves geo.TileStore: clipped to the tile
// and its buffer (geo.TileBuffer), projected to tile units (geo.TileExtent),
// snapped to whole units, simplified by a unit, with polygon rings wound as
// the specification asks, and carrying geo.TileProperties.
//
// It clips polygons as orb's clip does (clip.go) and other geometries
// with orb's clip, simplifies as orb's simplify does, and writes the protocol buffer itself
// (proto.go; orb's encoding/mvt decodes it in the tests). Encode is safe for
// concurrent use and never modifies the features it is given.
package mvt

import (
	"iter"
	"math"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/maptile"

	"github.com/controlmap/controlmap/geo"
)

// MediaType is the media type of an MVT tile.
const MediaType = "application/vnd.mapbox-vector-tile"

// Encode returns the tile t of one layer named layer holding feats (in the
// order given), or no bytes when none of them shows in the tile.
func Encode(layer string, t maptile.Tile, feats []geo.Feature) ([]byte, error) {
	l := NewLayer(layer, t)
	defer l.Release()
	for _, f := range feats {
		if f.Geometry != nil {
			l.Add(f.Geometry, geo.BoundOf(f.Geometry), geo.EachTileProperty(f))
		}
	}
	return l.Tile(), nil
}

// Layer builds the tile of one layer feature by feature, for stores that
// keep features in a form of their own: Encode is NewLayer, Add for each
// feature and Tile. A Layer is not safe for concurrent use; it never
// modifies the geometries it is given.
type Layer struct {
	p       projector
	bound   orb.Bound
	dp      *simplifier
	clipper clipper
	w       *layerWriter
	// released says that Release gave the layer back (a second Release
	// does nothing: the pool must not hold it twice).
	released bool
}

// layerPool keeps the layers given back by Release, whose tables and
// buffers, grown to a tile's size, the next layer reuses: grown anew for
// each tile, they were most of what a cold tile of points allocated.
var layerPool = sync.Pool{New: func() any {
	return &Layer{dp: &simplifier{}, w: newLayerWriter("")}
}}

// maxPooledBytes and maxPooledStrings bound the encoded features and the
// table of strings a layer given back may have grown to and still be kept,
// so that the pool does not hold the buffers of the largest tiles. A z7
// tile of the scale dataset's points (some 3,000 features and 9,000
// strings) is kept: leaving it out made such tiles 5–20% slower.
const (
	maxPooledBytes   = 1 << 20
	maxPooledStrings = 1 << 16
)

// maxPooledPoints bounds the scratch space of points (projected, clipped,
// simplified) a layer given back keeps: one polygon of many vertices in a
// small tile leaves large buffers that the tile's bytes do not show.
const maxPooledPoints = 1 << 16

// bigTable is the size from which a table of strings barely used by the
// tile given back (an eighth of it) is dropped rather than cleared and
// kept: a small tile after a large one clears the large table once, not
// every later small tile.
const bigTable = 1 << 12

// KeepTable reports whether a pooled table (a map) that has grown to hold
// room entries, of which the tile given back used used, is worth clearing
// and keeping for the next tile, rather than dropped (bigTable). The pool
// of a store's rows read for tiles follows the same rule.
func KeepTable(used, room int) bool { return room <= bigTable || used >= room/8 }

// NewLayer starts the layer named name of tile t.
func NewLayer(name string, t maptile.Tile) *Layer {
	l := layerPool.Get().(*Layer)
	buf := l.p.buf
	l.p = newProjector(t)
	l.p.buf = buf[:0]
	l.bound = geo.TileBound(t)
	l.dp.threshold = 1
	l.w.name = name
	l.released = false
	return l
}

// Release gives the layer's tables and buffers back for later layers to
// reuse. The layer must not be used after it; the bytes Tile returned, and
// what Draw returned, are not the layer's and stay valid. Calling it is
// optional: a layer not released is collected as any value.
func (l *Layer) Release() {
	if l.released {
		return
	}
	l.released = true
	w := l.w
	room := max(w.room, len(w.strIdx)) // what the map of strings has grown to hold
	if cap(w.features) > maxPooledBytes || cap(w.layer) > maxPooledBytes || room > maxPooledStrings {
		return
	}
	if !KeepTable(len(w.strIdx), room) {
		w.strIdx, room = map[string]uint32{}, 0
	}
	clear(w.keyIdx)
	clear(w.strIdx)
	clear(w.numIdx)
	clear(w.keys)
	clear(w.values) // the strings of this tile
	*w = layerWriter{features: w.features[:0], keys: w.keys[:0], keyIdx: w.keyIdx, values: w.values[:0],
		strIdx: w.strIdx, numIdx: w.numIdx, room: room, tags: w.tags[:0], geom: w.geom[:0], buf: w.buf[:0], layer: w.layer[:0]}
	if cap(w.geom) > maxPooledPoints {
		w.geom = nil
	}
	l.p.buf = smallPoints(l.p.buf)
	l.clipper.a, l.clipper.b, l.clipper.out = smallPoints(l.clipper.a), smallPoints(l.clipper.b), smallPoints(l.clipper.out)
	if cap(l.dp.keep) > maxPooledPoints || cap(l.dp.spans) > maxPooledPoints {
		l.dp.keep, l.dp.spans = nil, nil
	}
	layerPool.Put(l)
}

// smallPoints is ps emptied, or nil when it holds room for more than
// maxPooledPoints points.
func smallPoints(ps []orb.Point) []orb.Point {
	if cap(ps) > maxPooledPoints {
		return nil
	}
	return ps[:0]
}

// Expect tells the layer about how many features will be added, and about
// how many distinct string values they bring that it looks up: all but
// those marked geo.TileValue.Distinct (without those, each feature brings
// at least its id), so that its tables are sized once rather than grown.
// They are hints, best upper bounds (the index's candidates before the time
// filter); more or fewer may come.
func (l *Layer) Expect(features, strings int) { l.w.expect(features, strings) }

// Add draws g, whose bound is gb (geo.BoundOf(g)), with the properties props
// yields (geo.EachTileProperty or geo.TilePropertiesOf), if any of it shows
// in the tile.
func (l *Layer) Add(g orb.Geometry, gb orb.Bound, props iter.Seq2[string, geo.TileValue]) {
	if g == nil || !gb.Intersects(l.bound) {
		return
	}
	if pt, ok := g.(orb.Point); ok {
		// The common case of a layer of points, without the copies that
		// projecting and tidying any geometry makes.
		l.w.add(l.p.point(pt), props)
		return
	}
	if d := l.shape(g, gb); d != nil {
		l.w.add(d, props)
	}
}

// Drawn is a feature's geometry as its tile draws it (Layer.Draw):
// clipped, projected to tile units, snapped and simplified. It shares
// nothing with the layer or the geometry it was drawn from.
type Drawn struct {
	point bool
	p     orb.Point    // the point, when point
	g     orb.Geometry // anything else
}

// Draw returns g, whose bound is gb, as the layer draws it, and false when
// none of it shows in the tile. With AddDrawn it lets a store that reads
// features in another order than the tile's (id order) draw each as it
// comes and keep only what the tile will hold, not the whole geometries,
// until it writes them in order: Draw then AddDrawn write what Add writes.
func (l *Layer) Draw(g orb.Geometry, gb orb.Bound) (Drawn, bool) {
	if g == nil || !gb.Intersects(l.bound) {
		return Drawn{}, false
	}
	if pt, ok := g.(orb.Point); ok {
		return Drawn{point: true, p: l.p.point(pt)}, true
	}
	d := l.shape(g, gb)
	if d == nil {
		return Drawn{}, false
	}
	if c := orb.Clone(d); c != nil {
		d = c
	} // else an empty geometry, which shares nothing: Add writes it as it is
	return Drawn{g: d}, true
}

// AddDrawn writes a geometry Draw returned with the properties props yields.
func (l *Layer) AddDrawn(d Drawn, props iter.Seq2[string, geo.TileValue]) {
	if d.point {
		l.w.add(d.p, props)
		return
	}
	l.w.add(d.g, props)
}

// shape clips, projects and tidies a geometry other than a point whose
// bound gb meets the tile's: nil when nothing of it is left. What it
// returns may share the layer's buffers (valid until the next call).
func (l *Layer) shape(g orb.Geometry, gb orb.Bound) orb.Geometry {
	if !contains(l.bound, gb) {
		// Clip in longitude and latitude first, so that only what shows
		// is projected: polygons into the clipper's buffers (valid until
		// the next Add; projecting copies them), anything else with orb's
		// clip, which uses its input as scratch space.
		l.clipper.reset()
		clipped, ok := l.clipper.geometry(l.bound, g)
		if !ok {
			clipped = clip.Geometry(l.bound, orb.Clone(g))
		}
		if clipped == nil {
			return nil
		}
		g = clipped
	}
	l.p.reset()
	return tidy(l.p.geometry(g), l.dp)
}

// Tile returns the encoded tile, or no bytes when nothing added shows in it.
func (l *Layer) Tile() []byte {
	if l.w.n == 0 {
		return nil
	}
	return l.w.tile()
}

func contains(outer, inner orb.Bound) bool {
	return outer.Min[0] <= inner.Min[0] && outer.Min[1] <= inner.Min[1] &&
		inner.Max[0] <= outer.Max[0] && inner.Max[1] <= outer.Max[1]
}

// projector maps longitude and latitude to whole tile units of one tile.
type projector struct {
	scale  float64 // tile units across the world at the tile's zoom
	x0, y0 float64 // the tile's top-left corner in world tile units
	// buf holds the projected points of a feature: the copies geometry
	// returns are valid until reset (Layer.Add, for each feature, once the
	// last was written).
	buf []orb.Point
}

// reset lets the projector reuse the space of the points it projected.
func (p *projector) reset() { p.buf = p.buf[:0] }

func newProjector(t maptile.Tile) projector {
	scale := float64(uint64(1)<<t.Z) * geo.TileExtent
	return projector{scale: scale, x0: float64(t.X) * geo.TileExtent, y0: float64(t.Y) * geo.TileExtent}
}

// point projects to Web Mercator and snaps to the unit grid.
func (p *projector) point(q orb.Point) orb.Point {
	x := (q[0]/360 + 0.5) * p.scale
	s := math.Sin(q[1] * math.Pi / 180)
	s = math.Max(-0.9999, math.Min(0.9999, s)) // the poles lie at infinity
	y := (0.5 - math.Log((1+s)/(1-s))/(4*math.Pi)) * p.scale
	return orb.Point{math.Round(x - p.x0), math.Round(y - p.y0)}
}

func (p *projector) points(ps []orb.Point) []orb.Point {
	start := len(p.buf)
	for _, q := range ps {
		p.buf = append(p.buf, p.point(q))
	}
	// Capped, so that nothing appended to it reaches the next one.
	return p.buf[start:len(p.buf):len(p.buf)]
}

// geometry returns a projected copy of g, its points in p.buf.
func (p *projector) geometry(g orb.Geometry) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return p.point(g)
	case orb.MultiPoint:
		return orb.MultiPoint(p.points(g))
	case orb.LineString:
		return orb.LineString(p.points(g))
	case orb.MultiLineString:
		out := make(orb.MultiLineString, len(g))
		for i, ls := range g {
			out[i] = orb.LineString(p.points(ls))
		}
		return out
	case orb.Ring:
		return orb.Polygon{orb.Ring(p.points(g))}
	case orb.Polygon:
		out := make(orb.Polygon, len(g))
		for i, r := range g {
			out[i] = orb.Ring(p.points(r))
		}
		return out
	case orb.MultiPolygon:
		out := make(orb.MultiPolygon, len(g))
		for i, poly := range g {
			out[i] = p.geometry(poly).(orb.Polygon)
		}
		return out
	case orb.Bound:
		return p.geometry(g.ToPolygon())
	case orb.Collection:
		out := make(orb.Collection, 0, len(g))
		for _, c := range g {
			out = append(out, p.geometry(c))
		}
		return out
	}
	return nil
}

// tidy removes repeated points, simplifies lines and rings by dp, drops
// parts that collapse, and winds polygon rings as MVT 2 requires: exterior
// rings with a positive area in tile coordinates (y down), holes negative.
// It returns nil when nothing is left.
func tidy(g orb.Geometry, dp *simplifier) orb.Geometry {
	switch g := g.(type) {
	case orb.Point:
		return g
	case orb.MultiPoint:
		out := dedupe(g)
		if len(out) == 1 {
			return out[0]
		}
		return orb.MultiPoint(out)
	case orb.LineString:
		ls := orb.LineString(dp.simplify(dedupe(g)))
		if len(ls) < 2 {
			return nil
		}
		return ls
	case orb.MultiLineString:
		var out orb.MultiLineString
		for _, ls := range g {
			if ls, ok := tidy(ls, dp).(orb.LineString); ok {
				out = append(out, ls)
			}
		}
		return oneOrMany(out)
	case orb.Polygon:
		var out orb.Polygon
		for i, r := range g {
			r = orb.Ring(dp.simplify(dedupe(r)))
			if len(r) < 4 || math.Abs(area(r)) < 0.5 {
				if i == 0 {
					return nil // the exterior collapsed: so did the holes
				}
				continue
			}
			if (area(r) > 0) != (i == 0) {
				r.Reverse()
			}
			out = append(out, r)
		}
		return out
	case orb.MultiPolygon:
		var out orb.MultiPolygon
		for _, p := range g {
			if p, ok := tidy(p, dp).(orb.Polygon); ok {
				out = append(out, p)
			}
		}
		switch len(out) {
		case 0:
			return nil
		case 1:
			return out[0]
		}
		return out
	case orb.Collection:
		// MVT has no collections: keep the first member that shows.
		for _, c := range g {
			if t := tidy(c, dp); t != nil {
				return t
			}
		}
	}
	return nil
}

func oneOrMany(mls orb.MultiLineString) orb.Geometry {
	switch len(mls) {
	case 0:
		return nil
	case 1:
		return mls[0]
	}
	return mls
}

// dedupe drops points equal to the one before, in place.
func dedupe[T ~[]orb.Point](ps T) T {
	if len(ps) < 2 {
		return ps
	}
	out := ps[:1]
	for _, p := range ps[1:] {
		if p != out[len(out)-1] {
			out = append(out, p)
		}
	}
	return out
}

// area is the signed area of a ring by the surveyor's formula in tile
// coordinates: positive for what the MVT specification calls exterior.
func area(r orb.Ring) float64 {
	var s float64
	for i := 0; i+1 < len(r); i++ {
		s += r[i][0]*r[i+1][1] - r[i+1][0]*r[i][1]
	}
	return s / 2
}
