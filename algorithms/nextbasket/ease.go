package nextbasket

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// DefaultEASEGrid is a grid of EASE regularisations for TuneEASE, spanning
// the values Steck (2019) reports (hundreds) by decades either side.
var DefaultEASEGrid = []float64{1, 5, 10, 50, 100, 200, 500, 1000, 5000}

// EASE is Steck's embarrassingly shallow autoencoder (WWW 2019) on the
// binary customer×item matrix X of the training data: with
// P = (XᵀX + λI)⁻¹, the item-item weights are B = I − P·diagMat(1/diag(P)),
// that is B_ij = −P_ij/P_jj off the diagonal and B_jj = 0, the closed-form
// solution of min ‖X − XB‖² + λ‖B‖² subject to diag(B) = 0. A customer
// with past items S scores item j as Σ_{i∈S} B_ij. Every item is ranked,
// past items included (next-basket evaluation rewards repeats), so lists
// have min(k, n) items.
type EASE struct {
	// Lambda is the L2 regularisation λ, positive.
	Lambda float64

	n int
	b []float64 // B, n×n row-major
}

// Fit computes B. Time is Σ_u |items of u|² for XᵀX plus a Cholesky
// factorisation and inverse of the n×n Gram matrix (about n³ flops in
// gonum's blocked LAPACK, whose matrix products split into blocks over
// GOMAXPROCS goroutines, each block summed in a fixed order: the result does
// not depend on scheduling). Memory is three n×n float64 matrices.
func (e *EASE) Fit(train []Customer, n int) error {
	if err := Validate(train, n); err != nil {
		return err
	}
	b, err := easeWeights(gram(customerItems(train), n), n, e.Lambda)
	if err != nil {
		return err
	}
	e.n, e.b = n, b
	return nil
}

// Weight returns B_ij of the fitted model.
func (e *EASE) Weight(i, j int) float64 { return e.b[i*e.n+j] }

// Recommend ranks every item by Σ_{i∈past} B_ij.
func (e *EASE) Recommend(c *Customer, k int, dst []int32) []int32 {
	if e.b == nil || k <= 0 {
		return dst[:0]
	}
	past := knownItems(c, e.n, nil)
	score := make([]float64, e.n)
	for _, i := range past {
		row := e.b[int(i)*e.n : (int(i)+1)*e.n]
		for j, w := range row {
			score[j] += w
		}
	}
	cands := make([]scored, e.n)
	for j, s := range score {
		cands[j] = scored{int32(j), s}
	}
	return appendTop(cands, k, dst)
}

// gram returns XᵀX, n×n row-major: entry (i, j) counts the customers who
// bought both i and j.
func gram(rows [][]int32, n int) []float64 {
	g := make([]float64, n*n)
	for _, r := range rows {
		for _, i := range r {
			gi := g[int(i)*n : (int(i)+1)*n]
			for _, j := range r {
				gi[j]++
			}
		}
	}
	return g
}

// easeWeights returns B for the Gram matrix g (not modified) and lambda.
func easeWeights(g []float64, n int, lambda float64) ([]float64, error) {
	if !(lambda > 0) || math.IsInf(lambda, 1) {
		return nil, fmt.Errorf("%w: ease lambda %v; want positive", ErrInput, lambda)
	}
	if n == 0 {
		return nil, nil
	}
	a := make([]float64, n*n)
	copy(a, g)
	for i := range n {
		a[i*n+i] += lambda
	}
	var chol mat.Cholesky
	if !chol.Factorize(mat.NewSymDense(n, a)) {
		return nil, fmt.Errorf("ease: gram matrix plus %v·I is not positive definite", lambda)
	}
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		var cond mat.Condition
		if !errors.As(err, &cond) || math.IsInf(float64(cond), 0) {
			return nil, fmt.Errorf("ease: inverse: %w", err)
		}
		// An ill-conditioned but finite inverse is still the best answer.
	}
	b := a // reuse the storage: a is no longer needed
	for i := range n {
		for j := range n {
			if i == j {
				b[i*n+j] = 0
				continue
			}
			b[i*n+j] = -inv.At(i, j) / inv.At(j, j)
		}
	}
	return b, nil
}

// Scorer scores a fitted recommender on a validation split, higher being
// better; HitRateScorer is the usual one.
type Scorer func(r Recommender) (float64, error)

// HitRateScorer returns a Scorer computing the hit rate at k over the
// validation cases, in a catalogue of n items.
func HitRateScorer(cases []Case, k, n int) Scorer {
	return func(r Recommender) (float64, error) {
		s, _, err := Evaluate("validation", r, cases, k, n)
		return s.HitRate, err
	}
}

// TuneEASE fits EASE for every λ of grid on train, scores each with score
// and returns the model of the best λ (ties: the earlier in grid) with every
// λ's score in grid order. XᵀX is computed once; each λ costs one inverse.
func TuneEASE(train []Customer, n int, grid []float64, score Scorer) (*EASE, []float64, error) {
	if len(grid) == 0 {
		return nil, nil, fmt.Errorf("%w: empty ease grid", ErrInput)
	}
	if err := Validate(train, n); err != nil {
		return nil, nil, err
	}
	g := gram(customerItems(train), n)
	var best *EASE
	bestAt := -1
	scores := make([]float64, len(grid))
	for x, lambda := range grid {
		b, err := easeWeights(g, n, lambda)
		if err != nil {
			return nil, nil, err
		}
		e := &EASE{Lambda: lambda, n: n, b: b}
		s, err := score(e)
		if err != nil {
			return nil, nil, fmt.Errorf("ease lambda %v: %w", lambda, err)
		}
		scores[x] = s
		if bestAt < 0 || s > scores[bestAt] {
			best, bestAt = e, x
		}
	}
	return best, scores, nil
}
