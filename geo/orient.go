package geo

import (
	"math"
	"math/big"

	"github.com/paulmach/orb"
)

// orientErrBound bounds the rounding error of orientation's floating-point
// determinant relative to the sum of its two products' magnitudes: the
// bound of J. R. Shewchuk's orient2d filter, (3 + 16ε)ε with ε = 2⁻⁵³.
const orientErrBound = (3 + 16*0x1p-53) * 0x1p-53

// orientTiny is the magnitude below which orientation does not trust the
// filter nor the floating-point expansion (a product could underflow) and
// computes with rationals. No two positions of lon/lat data are that close
// to collinear at that scale, so it costs nothing in practice.
const orientTiny = 0x1p-900

// orientation reports where c lies from the line through a and b: 1 to the
// left (a, b, c turn counter-clockwise), -1 to the right, 0 on the line. The
// answer is exact for every pair of finite float64 coordinates in lon/lat
// range, so that the sweep in selfIntersection sees one consistent plane: a
// floating-point filter decides almost every call; the rest are computed
// exactly.
func orientation(a, b, c orb.Point) int {
	// The conversions round each product, so that the compiler cannot fuse
	// the subtraction into it (the error bound assumes it does not).
	detL := float64((b[0] - a[0]) * (c[1] - a[1]))
	detR := float64((b[1] - a[1]) * (c[0] - a[0]))
	det := detL - detR
	if sum := math.Abs(detL) + math.Abs(detR); sum > orientTiny {
		bound := orientErrBound * sum
		switch {
		case det > bound:
			return 1
		case det < -bound:
			return -1
		}
	}
	return orientationExact(a, b, c)
}

// orientationExact is orientation in exact arithmetic: the determinant
// expanded into six products of coordinates, each split into two float64s
// with a fused multiply-add, summed without rounding into a floating-point
// expansion (Shewchuk's Grow-Expansion) whose largest component has the sign
// of the sum. When a product could underflow, rationals decide instead.
func orientationExact(a, b, c orb.Point) int {
	// det = bx·cy − by·cx − ax·cy + ay·cx + ax·by − ay·bx
	products := [6][2]float64{
		{b[0], c[1]}, {-b[1], c[0]}, {-a[0], c[1]},
		{a[1], c[0]}, {a[0], b[1]}, {-a[1], b[0]},
	}
	var buf [12]float64
	e := buf[:0]
	for _, m := range products {
		p := float64(m[0] * m[1])
		if m[0] != 0 && m[1] != 0 && math.Abs(p) < orientTiny {
			return orientationRat(a, b, c)
		}
		e = growExpansion(e, p)
		e = growExpansion(e, math.FMA(m[0], m[1], -p))
	}
	for i := len(e) - 1; i >= 0; i-- {
		switch {
		case e[i] > 0:
			return 1
		case e[i] < 0:
			return -1
		}
	}
	return 0
}

// growExpansion adds x to the nonoverlapping expansion e (components in
// increasing magnitude, zeros allowed) without rounding, in place.
func growExpansion(e []float64, x float64) []float64 {
	q := x
	for i, ei := range e {
		q, e[i] = twoSum(q, ei)
	}
	return append(e, q)
}

// twoSum returns a+b rounded and its rounding error, exactly (Knuth).
func twoSum(a, b float64) (sum, err float64) {
	sum = a + b
	bv := sum - a
	av := sum - bv
	return sum, (a - av) + (b - bv)
}

// orientationRat is orientation in rational arithmetic, for the rare
// coordinates whose products underflow.
func orientationRat(a, b, c orb.Point) int {
	r := func(v float64) *big.Rat { return new(big.Rat).SetFloat64(v) }
	sub := func(x, y float64) *big.Rat { return new(big.Rat).Sub(r(x), r(y)) }
	left := new(big.Rat).Mul(sub(b[0], a[0]), sub(c[1], a[1]))
	right := new(big.Rat).Mul(sub(b[1], a[1]), sub(c[0], a[0]))
	return left.Cmp(right)
}
