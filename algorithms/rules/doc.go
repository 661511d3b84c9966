// Package rules derives association rules and their measures (support,
// confidence, lift, leverage, conviction) from frequent itemsets.
//
// # Input
//
// Generate needs every frequent itemset, with absolute support counts, as
// itemsets.Mine returns with Kind All (MaxSize may be set: the subsets of a
// set are never longer than it), and the number of transactions n. It
// checks that the family is downward closed and fails with
// ErrMissingSubset otherwise, as it would be given closed or maximal
// itemsets only.
//
// # Algorithm
//
// The itemsets are indexed by their one-item extensions (for each set X,
// the sets X ∪ {i}), built with one hash lookup per (set, item). Rules are
// then enumerated per antecedent A, in canonical order: consequents C grow
// one item at a time in ascending item order, following the extension
// lists of A ∪ C, and a consequent is grown only while A → C meets
// MinConfidence. This is the pruning of Agrawal and Srikant's ap-genrules
// (moving an item from the antecedent to the consequent never raises
// confidence) reorganised by antecedent, so no join, no hashing in the
// inner loop and no final sort are needed. Time is linear in the number of
// index entries plus the candidate consequents examined, which is bounded
// by the rules meeting MinConfidence times their extension lists; memory
// is the index plus the result, whose rules share their item slices.
//
// The other filters (lift, leverage, conviction) do not prune: they only
// decide which of the confident rules are returned. Conviction is
// math.Inf(1) for rules of confidence 1; the package does no encoding,
// so writers of JSON must map it (for example to null or a string).
//
// # Order
//
// Rules are returned in canonical order (Sort): by antecedent, then by
// consequent, each compared lexicographically as an ascending item list.
// The order does not depend on Workers or on the order of the input sets.
package rules
