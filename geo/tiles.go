package geo

import (
	"context"
	"fmt"
	"iter"
	"slices"
	"strconv"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"
)

// Vector tiles are Mapbox Vector Tiles (MVT) of the WebMercatorQuad tile
// matrix set: tile (z, x, y) with y counted from the north, as in OGC API –
// Tiles and in Leaflet's {z}/{x}/{y} templates. Each tile holds one layer,
// named after the collection, with the collection's features valid for the
// query's time, clipped to the tile plus a buffer and in tile coordinates of
// TileExtent units.
const (
	// TileExtent is the number of units across a tile.
	TileExtent = 4096
	// TileBuffer is how many units beyond each edge of the tile geometries
	// are kept, so that lines and outlines join without seams.
	TileBuffer = 64
	// MaxTileZoom is the deepest zoom level served.
	MaxTileZoom = 22
	// TileMatrixSet is the id of the only tile matrix set served.
	TileMatrixSet = "WebMercatorQuad"
)

// TileStore is implemented by stores that render vector tiles themselves
// (an optional interface next to Store, so that Store stays small).
type TileStore interface {
	// Tile returns the MVT bytes (not compressed) of the collection's
	// features in tile t that match q's time and property filters; q.BBox,
	// Limit and Offset are ignored. A tile without features is empty (no
	// bytes) and not an error. A missing collection is ErrNotFound.
	Tile(ctx context.Context, collection string, t maptile.Tile, q Query) ([]byte, error)
}

// ParseTile parses the zoom level, column and row of a tile. Bad values
// give a *ParamError naming z, x or y: each must be a whole number, z at
// most MaxTileZoom, and x and y below 2^z.
func ParseTile(z, x, y string) (maptile.Tile, error) {
	zoom, err := tileNumber("z", z, MaxTileZoom)
	if err != nil {
		return maptile.Tile{}, err
	}
	limit := uint64(1)<<zoom - 1
	col, err := tileNumber("x", x, limit)
	if err != nil {
		return maptile.Tile{}, err
	}
	row, err := tileNumber("y", y, limit)
	if err != nil {
		return maptile.Tile{}, err
	}
	return maptile.New(uint32(col), uint32(row), maptile.Zoom(zoom)), nil
}

func tileNumber(name, s string, max uint64) (uint64, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || len(s) > 1 && s[0] == '0' {
		return 0, paramErr(name, s, "want a whole number from 0 to %d", max)
	}
	if n > max {
		if name == "z" {
			return 0, paramErr(name, s, "the deepest zoom level is %d", max)
		}
		return 0, paramErr(name, s, "want a whole number from 0 to %d at this zoom level", max)
	}
	return n, nil
}

// TileBound is the area whose features a tile draws: the tile's bound in
// longitude and latitude, widened by TileBuffer units on every side.
func TileBound(t maptile.Tile) orb.Bound {
	b := t.Bound()
	dx := (b.Max[0] - b.Min[0]) * TileBuffer / TileExtent
	dy := (b.Max[1] - b.Min[1]) * TileBuffer / TileExtent
	return orb.Bound{Min: orb.Point{b.Min[0] - dx, b.Min[1] - dy}, Max: orb.Point{b.Max[0] + dx, b.Max[1] + dy}}
}

// TileProperty names a feature's id in its tile properties: MVT ids are
// integers, and feature ids here are text.
const TileProperty = "id"

// TileProperties returns the properties a feature carries in a tile: its id
// (as TileProperty), valid_from and valid_to when set (RFC 3339, as in
// GeoJSON), and every property whose value is a string, number or boolean.
// Objects, arrays, nulls and sources are left out: MVT values are scalars.
// The map styles and filters tiles by these, as it does GeoJSON features.
func TileProperties(f Feature) map[string]any {
	out := make(map[string]any, len(f.Properties)+3)
	for k, v := range EachTileProperty(f) {
		out[k] = v.Any()
	}
	return out
}

// TileValue is the value of a tile property, by kind: a string, a number or
// a boolean. Tile properties are yielded as TileValues rather than as
// `any`, which would box the id and the validity of every feature of a tile
// (more than half the allocations of a cold tile of points).
type TileValue struct {
	Kind TileKind
	// Distinct says that no other value of the tile is equal to this one,
	// so that an encoder, which writes equal values once, need not look
	// for one: a feature's id (ids being distinct) from a store that knows
	// that no property or validity of the collection holds the text of an
	// id. It changes no tile's bytes, only the time to write them. (Next to
	// Kind, it takes no room of its own.)
	Distinct bool
	S        string  // a string
	F        float64 // a number; 1 for true and 0 for false
}

// TileKind is the kind of a TileValue.
type TileKind uint8

// The kinds of TileValue.
const (
	TileString TileKind = iota + 1
	TileNumber
	TileBool
)

// Any is v as a Go value: a string, a float64 or a bool.
func (v TileValue) Any() any {
	switch v.Kind {
	case TileString:
		return v.S
	case TileBool:
		return v.F != 0
	}
	return v.F
}

// tileValue is the TileValue of a property's value, and false for a value
// a tile does not carry (objects, arrays, null).
func tileValue(v any) (TileValue, bool) {
	switch x := v.(type) {
	case string:
		return TileValue{Kind: TileString, S: x}, true
	case float64:
		return TileValue{Kind: TileNumber, F: x}, true
	case bool:
		if x {
			return TileValue{Kind: TileBool, F: 1}, true
		}
		return TileValue{Kind: TileBool}, true
	case int:
		return TileValue{Kind: TileNumber, F: float64(x)}, true
	case int64:
		return TileValue{Kind: TileNumber, F: float64(x)}, true
	}
	return TileValue{}, false
}

// EachTileProperty yields the properties of TileProperties without building
// a map, each name once: the feature's own in key order, then id, valid_from
// and valid_to. The order is fixed so that a tile's bytes are too (its ETag
// is strong).
func EachTileProperty(f Feature) iter.Seq2[string, TileValue] {
	own := func(yield func(string, any) bool) {
		var scratch [16]string
		keys := scratch[:0]
		for k := range f.Properties {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if !yield(k, f.Properties[k]) {
				return
			}
		}
	}
	var from, to string
	if !f.Valid.Start.IsZero() {
		from = FormatTime(f.Valid.Start)
	}
	if !f.Valid.End.IsZero() {
		to = FormatTime(f.Valid.End)
	}
	return TilePropertiesOf(f.ID, false, from, to, own)
}

// TilePropertiesOf yields what EachTileProperty yields for a feature with
// this id, valid_from and valid_to (FormatTime of each end, "" for an open
// one) and own properties, which own must yield in key order: a store that
// keeps properties in order and validity ends formatted writes tiles without
// sorting or formatting per feature. Own properties named id, valid_from or
// valid_to, and values that are not scalars, are left out. The id's value is
// TileValue.Distinct when distinctID is true.
func TilePropertiesOf(id string, distinctID bool, validFrom, validTo string, own iter.Seq2[string, any]) iter.Seq2[string, TileValue] {
	return func(yield func(string, TileValue) bool) {
		for k, v := range own {
			if ownTileKey(k) {
				if tv, ok := tileValue(v); ok && !yield(k, tv) {
					return
				}
			}
		}
		tileOwnEnd(id, distinctID, validFrom, validTo, yield)
	}
}

// TileValuesOf is TilePropertiesOf for own properties already reduced to
// tile values (a store that reads them from JSON text does not box each
// value to hand it over): own must yield them in key order; those named id,
// valid_from or valid_to are left out.
func TileValuesOf(id string, distinctID bool, validFrom, validTo string, own iter.Seq2[string, TileValue]) iter.Seq2[string, TileValue] {
	return func(yield func(string, TileValue) bool) {
		for k, v := range own {
			if ownTileKey(k) && !yield(k, v) {
				return
			}
		}
		tileOwnEnd(id, distinctID, validFrom, validTo, yield)
	}
}

// ownTileKey says whether an own property named k goes into a tile: id,
// valid_from and valid_to are written from the feature itself.
func ownTileKey(k string) bool {
	return k != TileProperty && k != PropValidFrom && k != PropValidTo
}

// tileOwnEnd yields the id, valid_from and valid_to (those set) after a
// feature's own properties.
func tileOwnEnd(id string, distinctID bool, validFrom, validTo string, yield func(string, TileValue) bool) {
	if !yield(TileProperty, TileValue{Kind: TileString, S: id, Distinct: distinctID}) {
		return
	}
	if validFrom != "" && !yield(PropValidFrom, TileValue{Kind: TileString, S: validFrom}) {
		return
	}
	if validTo != "" {
		yield(PropValidTo, TileValue{Kind: TileString, S: validTo})
	}
}

// TileKey returns a text that identifies the tile, for cache keys and logs:
// "z/x/y".
func TileKey(t maptile.Tile) string { return fmt.Sprintf("%d/%d/%d", t.Z, t.X, t.Y) }
