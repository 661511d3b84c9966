// Package algorithms is the root of Quarry's mining kernels. The kernels live in
// sub-packages and are pure: they take plain slices, return plain values, do no
// I/O, keep no globals and start goroutines only when the caller asks for
// parallelism. Every kernel has the pieces a partitioned run needs, so that a
// distributed result equals the single-process one exactly.
//
//   - support: the minimum-support rule shared by every miner.
//   - itemsets: frequent, closed and maximal itemsets; exact candidate counting.
//   - rules: association rules and their measures.
//   - sequences: sequential patterns with time constraints.
//   - kmeans: k-means with k-means++ and k-means|| seeding, accelerated Lloyd
//     iterations and exactly mergeable partial sums.
//   - features: customer features (RFM and category shares) for segmentation.
package algorithms
