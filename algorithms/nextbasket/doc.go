// Package nextbasket holds the baselines and the metrics of the
// next-basket recommendation (NBR) literature, so that Quarry's served
// recommender can be scored against them on the same split.
//
// # Input
//
// A Customer is a list of Baskets in time order; a basket's Items are
// ascending, distinct ids of a catalogue 0..n-1 (Validate). A Model is fitted
// on training customers, then Recommend returns, for one customer's
// history, at most k distinct items, best first. Every method breaks ties
// by item id ascending after score descending, so lists are deterministic.
// RecommenderFunc adapts the served recommender to the same interface.
//
// # Methods
//
// The frequency baselines follow Li et al. 2023, "A Next Basket
// Recommendation Reality Check" (ACM TOIS):
//
//   - GTopFreq: global popularity. Count BasketCount (default) counts the
//     training baskets holding the item, the paper's item frequency;
//     CustomerCount counts the customers who bought it. ExcludePast drops
//     the customer's past items (an explore-only list). Cost: O(total basket
//     items + n log n) to fit, O(k + past) per list.
//   - PTopFreq: the customer's own items by the number of their baskets
//     holding each. Lists are shorter than k for customers with fewer
//     distinct items. O(history) per list.
//   - GPTopFreq: PTopFreq filled up to k with GTopFreq items not already in
//     the list.
//   - ItemKNN: item-based collaborative filtering on the binary customer×item
//     matrix X (bought at least once in training): cosine similarity
//     co(i,j)/√(cnt(i)·cnt(j)) between item columns, each item keeping its
//     Neighbours most similar other items (0: all); a customer's score for
//     item j is Σ sim(i,j) over their past items i whose neighbourhood holds
//     j. Fit costs Σ_u |items of u|² plus sorting each item's co-bought
//     items; memory is the neighbour lists. O(Σ neighbourhoods of the past
//     items + n) per list.
//   - EASE (Steck 2019, "Embarrassingly Shallow Autoencoders for Sparse
//     Data", WWW): with P = (XᵀX + λI)⁻¹ over the same binary matrix,
//     B = I − P·diagMat(1/diag(P)) (so diag(B) = 0), and a customer's score
//     for j is Σ B_ij over their past items i; every item is ranked. Lambda
//     is λ; TuneEASE picks it from a grid (DefaultEASEGrid) by a Scorer on a
//     validation split the caller gives (HitRateScorer: hit rate at k),
//     computing XᵀX once. Fit costs Σ_u |items of u|² plus a Cholesky
//     factorisation and inverse through gonum (about n³ flops; 1.6 s for
//     the 2,500 items of online retail on one 2-core machine) and three n×n
//     matrices of memory; O(|past|·n + n log n) per list.
//   - TIFUKNN (Hu et al. 2020, "Modeling Personalized Item Frequency
//     Information for Next-basket Recommendation", SIGIR): a history of t
//     baskets is cut into m' = min(Groups, t) runs of consecutive baskets
//     whose lengths differ by at most one, the later runs longer; a run of
//     s baskets has vector (1/s)·Σ_j WithinDecay^(s−j)·b_j and the customer
//     u = (1/m')·Σ_i GroupDecay^(m'−i)·g_i (PersonalVector). The prediction
//     is Alpha·u + (1−Alpha)·mean of the Neighbours training customers
//     nearest to u in Euclidean distance (ties: training order; a training
//     customer with the same non-empty ID is not its own neighbour).
//     DefaultTIFUOptions is the paper's TaFeng setting (k 300, m 7, r_b 0.9,
//     r_g 0.7, α 0.7). Fit is linear in the training items; a list costs a
//     distance to every training customer, O(total training items + C log C)
//     for C customers.
//
// Except in EASE, only items with a positive score (a positive count, a
// past purchase, a positive similarity or prediction) are ranked, so lists
// may be shorter than k.
//
// # Metrics
//
// Score compares the first k items of a list L with the hidden basket H
// (the customer's next basket) given the customer's past items P (every
// item of their history):
//
//   - Hit (hit rate, the paper's PHR when averaged): 1 if |L ∩ H| > 0.
//   - Precision: |L ∩ H| / k (k, not |L|, for short lists too).
//   - Recall: |L ∩ H| / |H|.
//   - NDCG: Σ_{r: L_r ∈ H} 1/log2(r+1) over ranks r = 1..k, divided by the
//     ideal Σ_{r=1}^{min(k,|H|)} 1/log2(r+1). The Reality Check code divides
//     by the ideal over all of |H|, which is smaller than ours when |H| > k.
//   - Repeat and explore (the paper's Section 5): H_rep = H ∩ P, H_expl =
//     H \ P. RecallRepeat = |L ∩ H_rep| / |H_rep| and HitRepeat = 1 if
//     |L ∩ H_rep| > 0, defined only when H_rep is not empty; likewise
//     RecallExplore and HitExplore with H_expl. RepeatRatio = |L ∩ P| / k and
//     ExploreRatio = 1 − RepeatRatio (so empty slots of a short list count
//     as explore, as in the paper).
//
// Scores averages over customers (Accumulator, Evaluate): the repeat
// figures over the customers with a non-empty H_rep only, the explore
// figures over those with a non-empty H_expl only (both counts are
// reported), everything else over all customers; this is how the paper's
// evaluation code averages. Coverage is the number of distinct items in
// anyone's first k over n.
//
// # Significance
//
// PairedBootstrap resamples customers with replacement B times from a PCG
// generator seeded by the caller and returns the mean difference of a
// per-customer metric between two methods with its 95% percentile
// interval: the same numbers for the same seed. Values extracts a metric
// from per-customer Metrics, dropping customers where it is undefined; that
// depends on the case only, so two methods' slices stay paired.
//
// # Exactness and purity
//
// Counts are integers; similarities and sums are float64 computed in a
// fixed order (past items ascending, neighbours by rank), so a list is a
// function of the input alone, the same bits on every run. The tests hold
// every method but EASE to brute-force oracles exactly, and EASE's B to a
// dense Gauss-Jordan closed form within 1e-10. Nothing here does I/O, logs
// or keeps globals; the only goroutines are those of gonum's blocked matrix
// products inside EASE.Fit, whose blocks are each summed in a fixed order.
package nextbasket
