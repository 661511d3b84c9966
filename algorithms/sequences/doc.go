// Package sequences mines sequential patterns with time constraints from
// customer histories, exactly, and provides the pieces of a partitioned
// (two-phase) run: local mining, exact candidate counting and the in-process
// reference of the whole run.
//
// # Data and patterns
//
// A Sequence is one customer's events in strictly increasing Time; an
// event's items are sorted ascending without duplicates (Mine and Count
// return an error wrapping ErrInvalidInput, naming the sequence and event,
// otherwise; they never reorder the caller's data). Times are in the
// caller's unit: days or seconds for order logs, positions for untimed data
// such as SPMF's sequence files, where a gap of 1 means "the next itemset".
//
// A Pattern ⟨E1 … Ek⟩ is a list of non-empty itemsets (elements). A
// sequence contains it when some events j1 < … < jk have Ei ⊆ items(j_i) and
//
//	MinGap ≤ t(j_{i+1}) − t(j_i) ≤ MaxGap   for each consecutive pair (MaxGap 0: unlimited)
//	t(jk) − t(j1) ≤ MaxWindow                (MaxWindow 0: unlimited)
//
// Consecutive elements always match strictly later events, and the items of
// one element all come from one event. Support is the number of sequences
// that contain the pattern, once per sequence however often it occurs.
// MaxLength bounds the number of items of a pattern (summed over elements,
// as SPMF counts). Without constraints the result is that of SPMF's
// PrefixSpan (53 patterns on its documentation example at 50%).
//
// # Algorithm
//
// Mine is PrefixSpan (Pei et al., 2001) with pseudo-projection, grown one
// item at a time by item-extensions (an item added to the last element) and
// sequence-extensions (a new element). Plain PrefixSpan projects each
// sequence at the first occurrence of the prefix; with a max gap or a max
// window that is not enough, because a longer pattern may only be reachable
// from a later occurrence of the prefix (⟨a b⟩ with max gap 2 in
// a@0 a@10 b@11). So a projection keeps, for every supporting sequence,
// every event at which an occurrence of the prefix can end, each with the
// latest time at which such an occurrence can start (the only start that
// matters, since the window only asks start ≥ t − MaxWindow). An
// item-extension keeps the ends whose event holds the item; a
// sequence-extension finds the events reachable from any end with one sweep
// over the sequence and a deque of ends ordered by start (span.go), in time
// linear in the suffix scanned. Both constraints are prefix-monotone (an
// occurrence of a pattern contains one of each of its prefixes), so growing
// prefixes depth-first and pruning infrequent ones is complete.
//
// Each node makes two passes over its projection: one tallies, per item,
// the sequences and ends of each extension; the second writes the frequent
// extensions' projections, sized exactly, into a per-depth arena that is
// reused, so the search allocates little besides its output. Items below
// MinCount are removed and the rest renumbered densely first. With
// Workers > 1 the single items' subtrees are shared among goroutines; the
// output is sorted, so it does not depend on the schedule.
//
// SPADE-style id-list joins were considered but not built: the candidate
// pruning such miners rely on (SPAM's and SPADE's, from a node's parent and
// siblings) is unsound under a max gap, where ⟨P x y⟩ can be frequent while
// ⟨P y⟩ is not, so they need c-SPADE's special cases; the projection scans
// only what is actually reachable and needs none.
//
// Cost: each node scans the suffixes of its supporting sequences after the
// prefix's first reachable event, so time is about the number of patterns
// times the size of their projected databases, as for PrefixSpan; memory is
// the output plus one projection per level of the current path. Pattern
// counts grow exponentially with the length of sequences several customers
// share; Options.MaxPatterns turns that into an error instead of an
// out-of-memory kill.
//
// # Partitioned runs
//
// Count (or a streaming Counter) gives the exact support of candidate
// patterns under the same constraints, walking each sequence once down a
// prefix tree of the candidates while carrying the same end/start summary,
// so patterns with common prefixes share work. MinePartitioned mines each
// partition at support.Local's scaled threshold, counts the union of the
// local results over all partitions and keeps those reaching MinCount: the
// result equals Mine on all the sequences, for any partitioning.
//
// # Order
//
// Results are in the canonical order of Sort (Compare): element by element;
// elements item by item, an element that is a proper prefix of the other
// first; a pattern that is a proper prefix of the other first. So
// ⟨(1)⟩ < ⟨(1)(2)⟩ < ⟨(1)(2 3)⟩ < ⟨(1 2)⟩ < ⟨(2)⟩.
package sequences
