// Package support holds the one rule by which Quarry turns a minimum support
// into a count threshold, used by every miner, the CLI and the cluster.
//
// A minimum support s below 1 is a fraction: the threshold is ceil(s × N)
// transactions (or sequences), where N is the size of the database. The
// product is computed exactly on the shortest decimal that denotes s, so 0.07
// of 100 is 7, never 8 through binary rounding. A value of 1 or more is an
// absolute count and is used as it is (it must be a whole number). A threshold
// is never below 1: a pattern must occur at least once to be reported.
package support

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
)

// ErrInvalid is returned for a minimum support that is not a positive fraction
// or a positive whole count.
var ErrInvalid = errors.New("invalid minimum support")

// Threshold is a minimum support given either as a fraction of the database
// or as an absolute count. The zero value is not valid.
type Threshold struct {
	frac  *big.Rat // set for a fraction in (0, 1)
	count int      // set for an absolute count >= 1
}

// Parse reads a minimum support as written on a command line or in a job
// spec: "0.01", "1%"-free decimals below 1 are fractions; "25" is a count.
func Parse(s string) (Threshold, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return Threshold{}, fmt.Errorf("%w %q: not a number", ErrInvalid, s)
	}
	return FromFloat(f)
}

// FromFloat returns the threshold denoted by v: a fraction when 0 < v < 1, a
// count when v >= 1 and whole.
func FromFloat(v float64) (Threshold, error) {
	switch {
	case math.IsNaN(v) || math.IsInf(v, 0) || v <= 0:
		return Threshold{}, fmt.Errorf("%w %v: must be > 0", ErrInvalid, v)
	case v < 1:
		r, ok := new(big.Rat).SetString(strconv.FormatFloat(v, 'g', -1, 64))
		if !ok {
			return Threshold{}, fmt.Errorf("%w %v", ErrInvalid, v)
		}
		return Threshold{frac: r}, nil
	case v != math.Trunc(v) || v > math.MaxInt32:
		return Threshold{}, fmt.Errorf("%w %v: a count must be a whole number (fractions are below 1)", ErrInvalid, v)
	default:
		return Threshold{count: int(v)}, nil
	}
}

// Count returns an absolute threshold of c occurrences (c >= 1).
func Count(c int) Threshold {
	if c < 1 {
		c = 1
	}
	return Threshold{count: c}
}

// IsFraction reports whether the threshold is relative to the database size.
func (t Threshold) IsFraction() bool { return t.frac != nil }

// Valid reports whether t was built by Parse, FromFloat or Count.
func (t Threshold) Valid() bool { return t.frac != nil || t.count >= 1 }

// MinCount returns the count threshold for a database of n transactions or
// sequences: ceil(s × n) for a fraction s, the count itself otherwise, and
// never less than 1.
func (t Threshold) MinCount(n int) int {
	if t.frac == nil {
		if t.count < 1 {
			return 1
		}
		return t.count
	}
	num := new(big.Int).Mul(t.frac.Num(), big.NewInt(int64(n)))
	den := t.frac.Denom()
	q, m := new(big.Int).QuoRem(num, den, new(big.Int))
	c := q.Int64()
	if m.Sign() > 0 {
		c++
	}
	if c < 1 {
		c = 1
	}
	return int(c)
}

// String returns the threshold as it would be parsed back.
func (t Threshold) String() string {
	if t.frac != nil {
		f, _ := t.frac.Float64()
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return strconv.Itoa(t.count)
}

// Local returns the count threshold that one partition of a partitioned
// (Savasere–Omiecinski–Navathe) run must mine at, so that every pattern with
// a global count of at least minCount over total records is found in at least
// one partition: ceil(minCount × part / total), and at least 1. The argument:
// if a pattern's count were below minCount × part / total in every partition,
// its total would be below minCount.
func Local(minCount, part, total int) int {
	if total <= 0 || part <= 0 {
		return 1
	}
	c := (int64(minCount)*int64(part) + int64(total) - 1) / int64(total)
	if c < 1 {
		c = 1
	}
	return int(c)
}
