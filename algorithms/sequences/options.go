package sequences

import (
	"errors"
	"fmt"
	"math"
)

// ErrInvalidOptions is returned (wrapped) when Options are out of range.
var ErrInvalidOptions = errors.New("invalid sequence mining options")

// ErrInvalidInput is returned (wrapped) when a sequence database or a
// candidate pattern breaks the input rules: event items sorted ascending
// without duplicates, event times strictly increasing, pattern elements
// non-empty and sorted.
var ErrInvalidInput = errors.New("invalid sequence input")

// ErrTooManyPatterns is returned (wrapped) by Mine and MinePartitioned when
// the result would exceed Options.MaxPatterns.
var ErrTooManyPatterns = errors.New("too many sequential patterns")

// Options control Mine, MinePartitioned and Count. Times and gaps are in the
// caller's unit (days for order logs, positions for untimed data).
type Options struct {
	// MinCount is the absolute minimum support: a pattern is frequent when
	// at least MinCount sequences contain it. It must be at least 1 for
	// Mine and MinePartitioned (Count ignores it); turn a fractional
	// support into a count with support.Threshold.MinCount.
	MinCount int
	// MaxLength, when positive, is the largest number of items a reported
	// pattern may have (summed over its elements, SPMF's convention).
	// 0 means no limit.
	MaxLength int
	// MinGap is the least time between the events matched by consecutive
	// elements of a pattern: t[i+1] − t[i] ≥ MinGap. Consecutive elements
	// always match strictly later events (times are whole numbers), so 0
	// and 1 mean the same. It must not be negative.
	MinGap int64
	// MaxGap, when positive, is the most time between the events matched by
	// consecutive elements: t[i+1] − t[i] ≤ MaxGap. 0 means unlimited.
	MaxGap int64
	// MaxWindow, when positive, bounds the span of a whole occurrence:
	// t[last] − t[first] ≤ MaxWindow. 0 means unlimited.
	MaxWindow int64
	// MaxPatterns, when positive, makes Mine fail with ErrTooManyPatterns
	// as soon as it has found more than MaxPatterns patterns, instead of
	// running out of memory: pattern counts grow exponentially with the
	// length of sequences that several customers share, and a low local
	// threshold in a partitioned run can meet such a case. 0 means no
	// limit. Count ignores it.
	MaxPatterns int
	// Workers is the number of goroutines to mine or count with; 0 and 1
	// work in the calling goroutine. The result does not depend on it.
	Workers int
}

// validate checks the constraint and parallelism fields; mining also needs
// MinCount, checked by validateMining.
func (o Options) validate() error {
	switch {
	case o.MaxLength < 0:
		return fmt.Errorf("%w: max length %d must not be negative", ErrInvalidOptions, o.MaxLength)
	case o.MinGap < 0:
		return fmt.Errorf("%w: min gap %d must not be negative", ErrInvalidOptions, o.MinGap)
	case o.MaxGap < 0:
		return fmt.Errorf("%w: max gap %d must not be negative (0 is unlimited)", ErrInvalidOptions, o.MaxGap)
	case o.MaxGap > 0 && o.MinGap > o.MaxGap:
		return fmt.Errorf("%w: min gap %d exceeds max gap %d", ErrInvalidOptions, o.MinGap, o.MaxGap)
	case o.MaxWindow < 0:
		return fmt.Errorf("%w: max window %d must not be negative (0 is unlimited)", ErrInvalidOptions, o.MaxWindow)
	case o.MaxPatterns < 0:
		return fmt.Errorf("%w: max patterns %d must not be negative (0 is unlimited)", ErrInvalidOptions, o.MaxPatterns)
	case o.Workers < 0:
		return fmt.Errorf("%w: workers %d must not be negative", ErrInvalidOptions, o.Workers)
	}
	return nil
}

func (o Options) validateMining() error {
	if o.MinCount < 1 {
		return fmt.Errorf("%w: min count %d must be at least 1", ErrInvalidOptions, o.MinCount)
	}
	return o.validate()
}

// limits are the time constraints in the form the kernels use.
type limits struct {
	minGap    int64
	maxGap    int64 // math.MaxInt64 when unlimited
	maxWindow int64 // math.MaxInt64 when unlimited
	bounded   bool  // a max gap or a max window applies
	window    bool  // a max window applies: occurrences carry start times
}

func (o Options) limits() limits {
	l := limits{minGap: o.MinGap, maxGap: math.MaxInt64, maxWindow: math.MaxInt64}
	if o.MaxGap > 0 {
		l.maxGap = o.MaxGap
		l.bounded = true
	}
	if o.MaxWindow > 0 {
		l.maxWindow = o.MaxWindow
		l.bounded = true
		l.window = true
	}
	return l
}

// satAdd returns a+b clamped to the int64 range (b ≥ 0).
func satAdd(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}
