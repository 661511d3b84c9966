package kmeans

import (
	"math"
	"math/big"
	"math/bits"
)

// Int128 is a signed 128-bit integer in two's complement, the exact
// accumulator of the fixed-point sums. Integer addition is associative, so a
// sum of Int128 values is the same in every order and grouping.
type Int128 struct {
	Hi int64
	Lo uint64
}

// addInt64 adds v to a.
func (a *Int128) addInt64(v int64) {
	lo, c := bits.Add64(a.Lo, uint64(v), 0)
	a.Lo = lo
	a.Hi += int64(c) + (v >> 63)
}

// Add returns a + b.
func (a Int128) Add(b Int128) Int128 {
	lo, c := bits.Add64(a.Lo, b.Lo, 0)
	return Int128{Hi: a.Hi + b.Hi + int64(c), Lo: lo}
}

// Sub returns a - b.
func (a Int128) Sub(b Int128) Int128 {
	lo, c := bits.Sub64(a.Lo, b.Lo, 0)
	return Int128{Hi: a.Hi - b.Hi - int64(c), Lo: lo}
}

// Big returns a as a big.Int.
func (a Int128) Big() *big.Int {
	z := new(big.Int).SetInt64(a.Hi)
	z.Lsh(z, 64)
	return z.Add(z, new(big.Int).SetUint64(a.Lo))
}

// fixedBits is the magnitude bound of one quantized term: |q| < 2^fixedBits.
// Blocks of up to 2^(63-fixedBits) terms are summed in int64 without
// overflow and flushed into 128-bit accumulators, which have room for
// 2^(127-fixedBits) terms. A value |v| <= bound is quantized with an error
// below 2^-fixedBits·2·bound, i.e. at most half an ulp of the bound.
const fixedBits = 54

// blockRows is the number of rows whose quantized values are summed in
// int64 before being flushed into the Int128 sums.
const blockRows = 1 << (63 - fixedBits)

// Bounds holds, per column, the largest absolute value of the data (a global
// bound over every partition). It fixes the fixed-point scale of each column
// so that every partition quantizes a value the same way. Bounds of two
// partitions merge by element-wise maximum.
type Bounds []float64

// ComputeBounds returns the bounds of the rows of x.
func ComputeBounds(x Matrix) Bounds {
	b := make(Bounds, x.Cols)
	for k, v := range x.Data {
		if a := math.Abs(v); a > b[k%x.Cols] {
			b[k%x.Cols] = a
		}
	}
	return b
}

// Merge returns the element-wise maximum of b and o; either may be nil.
func (b Bounds) Merge(o Bounds) Bounds {
	if len(b) == 0 {
		return append(Bounds(nil), o...)
	}
	out := append(Bounds(nil), b...)
	for i, v := range o {
		if i < len(out) && v > out[i] {
			out[i] = v
		}
	}
	return out
}

// scaleExp returns the exponent e such that |v|·2^e < 2^(fixedBits) for
// every |v| <= bound, as large as the float64 range allows.
func scaleExp(bound float64, headroom int) int {
	if bound == 0 || math.IsInf(bound, 0) || math.IsNaN(bound) {
		return 0
	}
	_, exp := math.Frexp(bound) // bound < 2^exp
	e := fixedBits - headroom - exp
	return min(max(e, -1022), 1023)
}

// quantize returns v·2^e truncated toward zero; scale is 2^e.
func quantize(v, scale float64) int64 {
	return int64(v * scale)
}

// meanOf returns the correctly rounded float64 nearest to sum·2^-e / count.
func meanOf(sum Int128, count int64, e int) float64 {
	if count == 0 {
		return 0
	}
	num := new(big.Float).SetInt(sum.Big())
	q := new(big.Float).SetPrec(53).SetMode(big.ToNearestEven)
	q.Quo(num, new(big.Float).SetInt64(count))
	q.SetMantExp(q, -e)
	f, _ := q.Float64()
	return f
}

// fixedValue returns sum·2^-e rounded to the nearest float64.
func fixedValue(sum Int128, e int) float64 {
	return meanOf(sum, 1, e)
}

// pow2 returns 2^e for e in the float64 normal range.
func pow2(e int) float64 {
	return math.Ldexp(1, e)
}
