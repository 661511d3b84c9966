// Package itemsets mines frequent, closed and maximal itemsets exactly, and
// holds the pieces of a partitioned (two-phase) run: local mining at a
// scaled threshold and exact candidate counting.
//
// # Support
//
// Kernels take an absolute minimum support count (Options.MinCount >= 1).
// A fractional support s becomes ceil(s × N) through package support, the
// one rule shared by the whole project. A transaction is a set: an item
// listed twice in one transaction counts once.
//
// # Algorithm
//
// Mine is a depth-first miner on conditional databases kept as arrays, in
// the style of LCM (Uno et al.) and array-based FP-growth. Items are
// recoded by descending support; an itemset is extended only by more
// frequent items, so a conditional database holds the transactions of the
// itemset restricted to those items. One pass of occurrence deliver gives
// every candidate's support and occurrence list; the child database keeps
// only the items frequent in it, renumbers them densely and merges equal
// transactions into weighted ones, which is what makes dense data (mushroom)
// cheap.
//
//   - All: items in every transaction of a conditional database (perfect
//     extensions) are removed from it and put back into each reported
//     itemset in every combination, which shrinks the search tree on dense
//     data by orders of magnitude.
//   - Closed: LCM's prefix-preserving closure extension. The child of a
//     closed set P by item e is Q = clo(P ∪ {e}); it is visited only when the
//     closure adds no item that precedes e in the search order, so each
//     closed set is found exactly once with no store of previous results.
//     The items needed for that check are kept in each transaction after
//     the extension candidates; merged transactions keep the intersection of
//     those items, which preserves the "in all transactions" facts.
//   - Maximal: the same closed search; a closed set Q is reported when its
//     conditional database has no frequent item at all (no frequent
//     superset exists). Transactions are merged only when wholly equal, so
//     the counts behind that check are exact.
//
// Time is proportional to the total size of the conditional databases
// built (at most one per reported itemset, each no larger than the
// transactions containing it); memory is the input, plus one conditional
// database per search depth, plus the result. Nothing is quadratic in the
// number of items. The result is put in canonical order by an MSD radix
// sort on item ranks. Options.Workers > 1 extends the
// root's items on several goroutines over the shared root database.
//
// # Order
//
// Results are in canonical order (Sort): items ascending within a set, sets
// sorted lexicographically by their item slices, a proper prefix first
// ({1} < {1 2} < {1 3} < {2}). The order does not depend on Workers or on
// partitioning, so outputs diff cleanly.
//
// # Partitioned runs
//
// A Savasere–Omiecinski–Navathe run mines each partition with Mine at
// support.Local(MinCount, len(part), N) (phase 1), counts the union of the
// local results over all partitions with a Counter (phase 2), and keeps
// the candidates reaching MinCount. MinePartitioned does both phases in
// process and is the reference the cluster's merge logic must match.
package itemsets
