package itemsets

import (
	"errors"
	"fmt"
)

// ErrInvalidOptions is returned (wrapped) when Options are out of range.
var ErrInvalidOptions = errors.New("invalid itemset mining options")

// ErrTooManyPatterns is returned (wrapped) when mining would report more
// than Options.MaxPatterns itemsets.
var ErrTooManyPatterns = errors.New("too many frequent itemsets")

// Kind selects which frequent itemsets Mine reports.
type Kind int

const (
	// All reports every frequent itemset.
	All Kind = iota
	// Closed reports the frequent itemsets that have no proper superset
	// with the same support.
	Closed
	// Maximal reports the frequent itemsets that have no frequent proper
	// superset.
	Maximal
)

// String returns the kind's lowercase name.
func (k Kind) String() string {
	switch k {
	case All:
		return "all"
	case Closed:
		return "closed"
	case Maximal:
		return "maximal"
	}
	return fmt.Sprintf("kind(%d)", int(k))
}

// Options control Mine and MinePartitioned.
type Options struct {
	// MinCount is the absolute minimum support: an itemset is frequent when
	// at least MinCount transactions contain it. It must be at least 1; turn
	// a fractional support into a count with support.Threshold.MinCount.
	MinCount int
	// MaxSize, when positive, drops every itemset with more than MaxSize
	// items from the result. It filters the unlimited result: with Closed
	// or Maximal it keeps the closed (maximal) itemsets of at most MaxSize
	// items, it does not redefine closedness within the shorter sets.
	// 0 means no limit.
	MaxSize int
	// Kind selects all, closed or maximal itemsets.
	Kind Kind
	// Workers is the number of goroutines to mine with; 0 and 1 mine in the
	// calling goroutine. The result does not depend on it.
	Workers int
	// MaxPatterns, when positive, bounds the result: mining stops and
	// returns ErrTooManyPatterns as soon as more than MaxPatterns itemsets
	// have been found (checked every few thousand), instead of exhausting
	// memory on data whose frequent itemsets explode combinatorially (a set
	// of 40 items bought together in MinCount orders has 2^40 frequent
	// subsets). 0 means no limit.
	MaxPatterns int
}

func (o Options) validate() error {
	switch {
	case o.MinCount < 1:
		return fmt.Errorf("%w: min count %d must be at least 1", ErrInvalidOptions, o.MinCount)
	case o.MaxSize < 0:
		return fmt.Errorf("%w: max size %d must not be negative", ErrInvalidOptions, o.MaxSize)
	case o.Kind != All && o.Kind != Closed && o.Kind != Maximal:
		return fmt.Errorf("%w: unknown kind %d", ErrInvalidOptions, int(o.Kind))
	case o.MaxPatterns < 0:
		return fmt.Errorf("%w: max patterns %d must not be negative", ErrInvalidOptions, o.MaxPatterns)
	case o.Workers < 0:
		return fmt.Errorf("%w: workers %d must not be negative", ErrInvalidOptions, o.Workers)
	}
	return nil
}
