// Package features computes customer features for segmentation: recency,
// frequency and monetary value (RFM), spend shares per category, RFM
// quintile scores, and the scaling that prepares them for k-means.
//
// The input is a flat list of purchases (one per order line) with dense
// customer, order and category indexes; the output is a Table with one row
// per customer, sorted by customer index. Compute depends only on the
// multiset of purchases, not on their order.
//
// Partitioned runs: features are per customer, so a partition that holds all
// of a customer's purchases computes that customer's row exactly; pass the
// same Options.Now to every partition (its zero default is derived from the
// data at hand) and Concat the partial tables. The scaling statistics are
// exact: Stats accumulates sums and sums of squares without rounding, so
// Stats merged from any partitioning equal the single-pass Stats exactly and
// the Scaler derived from them is bitwise identical. Quintile scores depend on
// every customer and are computed on the merged table.
package features
