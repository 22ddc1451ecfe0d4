package geo

import (
	"bytes"
	"encoding/json"
)

// positionDepth is how deeply positions nest in the coordinates of each
// GeoJSON geometry type: 0 for a single position.
var positionDepth = map[string]int{
	"Point":           0,
	"MultiPoint":      1,
	"LineString":      1,
	"MultiLineString": 2,
	"Polygon":         2,
	"MultiPolygon":    3,
}

// checkRawGeometry checks the shape of a GeoJSON geometry object before orb
// decodes it, because orb reads missing or short positions as zeros (a point
// with "coordinates": null lands at 0,0) and panics on a null member of a
// GeometryCollection. A null or absent geometry passes; it is reported later.
// It returns the number of positions, counted in the text before anything is
// decoded: more than maxPositions is an error.
func checkRawGeometry(raw json.RawMessage, maxPositions int) (int, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return 0, nil
	}
	var g struct {
		Type        string            `json:"type"`
		Coordinates json.RawMessage   `json:"coordinates"`
		Geometries  []json.RawMessage `json:"geometries"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return 0, errorf("geometry is not a GeoJSON geometry object: %s", err)
	}
	if g.Type == "GeometryCollection" {
		if len(g.Geometries) == 0 {
			return 0, errorf("empty GeometryCollection")
		}
		total := 0
		for i, m := range g.Geometries {
			if bytes.Equal(bytes.TrimSpace(m), []byte("null")) {
				return total, errorf("GeometryCollection member %d is null", i)
			}
			n, err := checkRawGeometry(m, maxPositions-total)
			total += n
			if err != nil {
				if total > maxPositions {
					return total, tooManyPositions(total, maxPositions)
				}
				return total, err
			}
		}
		return total, nil
	}
	depth, ok := positionDepth[g.Type]
	if !ok {
		return 0, errorf("unknown geometry type %q", g.Type)
	}
	n := countPositions(g.Coordinates, depth)
	if n > maxPositions {
		return n, tooManyPositions(n, maxPositions)
	}
	var coords any
	if err := json.Unmarshal(g.Coordinates, &coords); err != nil || coords == nil {
		return n, errorf("%s has no coordinates", g.Type)
	}
	return n, checkPositions(g.Type, coords, depth)
}

// checkPositions checks that v is an array nested depth deep whose leaves are
// positions of two or three numbers.
func checkPositions(typ string, v any, depth int) error {
	arr, ok := v.([]any)
	if !ok {
		return errorf("%s coordinates are not nested arrays of positions", typ)
	}
	if depth == 0 {
		if len(arr) < 2 || len(arr) > 3 {
			return errorf("%s position has %d numbers, want 2 (lon, lat) or 3", typ, len(arr))
		}
		for _, n := range arr {
			if _, ok := n.(float64); !ok {
				return errorf("%s position %v holds a non-number", typ, arr)
			}
		}
		return nil
	}
	for _, e := range arr {
		if err := checkPositions(typ, e, depth-1); err != nil {
			return err
		}
	}
	return nil
}
