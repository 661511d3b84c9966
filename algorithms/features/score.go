package features

import (
	"slices"
	"sort"
)

// Quintiles scores each value from 1 to 5 by its rank: a value's score is
// 1 + floor(5 × less / n), where less is the number of values strictly
// smaller than it and n the number of values. Ties share a score, the one
// of their lowest rank, so equal values never land in different quintiles
// and a large block of ties pulls the scores above it up rather than
// splitting; quintiles can therefore be uneven or empty. Larger values
// never score lower.
func Quintiles(values []float64) []int {
	sorted := slices.Clone(values)
	slices.Sort(sorted)
	n := len(values)
	out := make([]int, n)
	for i, v := range values {
		less := sort.SearchFloat64s(sorted, v)
		out[i] = 1 + 5*less/n
	}
	return out
}

// Scores returns the RFM scores of every customer of t, each from 1 to 5
// by Quintiles: R on negated recency (the most recent customers score 5),
// F on frequency and M on monetary value. Computed over the whole table,
// they are for the merged table of a partitioned run, not for a partition.
func Scores(t *Table) (r, f, m []int) {
	neg := make([]float64, len(t.Recency))
	for i, v := range t.Recency {
		neg[i] = -v
	}
	return Quintiles(neg), Quintiles(t.Frequency), Quintiles(t.Monetary)
}
