package geo

import (
	"math"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
)

// ParseBBox parses the OGC `bbox` parameter: four comma-separated numbers,
// min lon, min lat, max lon, max lat, in CRS84 degrees. Six numbers (with
// heights) are accepted and the heights ignored. Bad values give a
// *ParamError naming the `bbox` parameter.
func ParseBBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 && len(parts) != 6 {
		return orb.Bound{}, paramErr("bbox", s, "want 4 numbers: minLon,minLat,maxLon,maxLat")
	}
	nums := make([]float64, len(parts))
	for i, p := range parts {
		v, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return orb.Bound{}, paramErr("bbox", s, "%q is not a finite number", p)
		}
		nums[i] = v
	}
	if len(nums) == 6 {
		nums = []float64{nums[0], nums[1], nums[3], nums[4]}
	}
	b := orb.Bound{Min: orb.Point{nums[0], nums[1]}, Max: orb.Point{nums[2], nums[3]}}
	for _, lon := range []float64{b.Min[0], b.Max[0]} {
		if lon < -180 || lon > 180 {
			return orb.Bound{}, paramErr("bbox", s, "longitude %v is outside -180..180", lon)
		}
	}
	for _, lat := range []float64{b.Min[1], b.Max[1]} {
		if lat < -90 || lat > 90 {
			return orb.Bound{}, paramErr("bbox", s, "latitude %v is outside -90..90", lat)
		}
	}
	if b.Min[1] > b.Max[1] {
		return orb.Bound{}, paramErr("bbox", s, "min latitude is above max latitude")
	}
	if b.Min[0] > b.Max[0] {
		return orb.Bound{}, paramErr("bbox", s, "min longitude is above max longitude (boxes across the antimeridian are not supported)")
	}
	return b, nil
}
