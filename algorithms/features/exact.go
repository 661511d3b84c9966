package features

import (
	"math"
	"math/big"
	"math/bits"
)

// The exact accumulator keeps a sum of float64 values, or of their exact
// squares, as a fixed-point integer: the value times 2^exactOffset, in
// base-2^32 limbs held in int64s so that additions need no carries until
// normalisation. Every finite float64 and every square of one is an integer
// multiple of 2^-exactOffset and below 2^2048, so no addition ever rounds.
const (
	exactOffset = 2148                            // -(2 × the smallest float64 exponent)
	exactLimbs  = (exactOffset+2048+64+31)/32 + 6 // value bits plus headroom for 2^63 terms
	exactBatch  = 1 << 30                         // additions between normalisations
	mask32      = 1<<32 - 1
)

// exactSum is an exact sum of float64 terms or of their squares.
type exactSum struct {
	limbs   [exactLimbs]int64
	pending int // additions since the last normalisation
}

// decompose returns m and e with |x| = m × 2^e, m < 2^53.
func decompose(x float64) (m uint64, e int) {
	b := math.Float64bits(x)
	exp := int(b>>52) & 0x7ff
	m = b & (1<<52 - 1)
	if exp == 0 {
		return m, -1074
	}
	return m | 1<<52, exp - 1075
}

// add adds x exactly.
func (a *exactSum) add(x float64) {
	if x == 0 {
		return
	}
	m, e := decompose(x)
	a.addShifted(0, m, e+exactOffset, x < 0)
}

// addSquare adds x² exactly.
func (a *exactSum) addSquare(x float64) {
	if x == 0 {
		return
	}
	m, e := decompose(x)
	hi, lo := bits.Mul64(m, m)
	a.addShifted(hi, lo, 2*e+exactOffset, false)
}

// addShifted adds or subtracts the 128-bit (hi, lo) shifted left by p bits.
func (a *exactSum) addShifted(hi, lo uint64, p int, neg bool) {
	s := uint(p % 32)
	base := p / 32
	w0 := lo << s
	w1 := hi<<s | lo>>(64-s)
	w2 := hi >> (64 - s)
	chunks := [5]uint64{w0 & mask32, w0 >> 32, w1 & mask32, w1 >> 32, w2 & mask32}
	for i, c := range chunks {
		if c == 0 {
			continue
		}
		if neg {
			a.limbs[base+i] -= int64(c)
		} else {
			a.limbs[base+i] += int64(c)
		}
	}
	a.pending++
	if a.pending >= exactBatch {
		a.normalize()
	}
}

// normalize propagates carries so that every limb but the top one is in
// [0, 2^32); the value is unchanged.
func (a *exactSum) normalize() {
	for i := 0; i < exactLimbs-1; i++ {
		carry := a.limbs[i] >> 32
		a.limbs[i] -= carry << 32
		a.limbs[i+1] += carry
	}
	a.pending = 0
}

// merge adds b's value to a's.
func (a *exactSum) merge(b *exactSum) {
	a.normalize()
	bb := *b
	bb.normalize()
	for i := range a.limbs {
		a.limbs[i] += bb.limbs[i]
	}
	a.normalize()
}

// scaled returns the value times 2^exactOffset as an integer.
func (a *exactSum) scaled() *big.Int {
	c := *a
	c.normalize()
	v := new(big.Int)
	limb := new(big.Int)
	for i := exactLimbs - 1; i >= 0; i-- {
		v.Lsh(v, 32)
		v.Add(v, limb.SetInt64(c.limbs[i]))
	}
	return v
}
