package kmeans

import (
	"math"
	"math/rand/v2"
)

// defaultTrials is scikit-learn's number of greedy k-means++ trials.
func defaultTrials(k int) int { return 2 + int(math.Log(float64(k))) }

// plusPlus chooses k rows of x by greedy k-means++: the first uniformly (in
// proportion to w when w is not nil), each next one among `trials`
// candidates drawn with probability proportional to w·D², where D is the
// distance to the nearest centre chosen so far: the candidate leaving the
// smallest potential Σ w·D² wins (ties: the first drawn). Sums are taken
// chunk by chunk over a fixed grid and combined in chunk order, so the
// result does not depend on workers. It returns ErrTooFewDistinct when the
// potential reaches 0 before k centres are chosen.
func plusPlus(x Matrix, w []float64, k, trials, workers int, rng *rand.Rand) (Matrix, error) {
	n := x.Rows
	if n == 0 {
		return Matrix{}, ErrTooFewDistinct
	}
	nc := numChunks(n)
	d2 := make([]float64, n)
	chunkPot := make([]float64, nc)
	trialPot := make([]float64, nc*trials)
	cents := Matrix{Rows: k, Cols: x.Cols, Data: make([]float64, k*x.Cols)}
	contrib := func(i int) float64 {
		if w == nil {
			return d2[i]
		}
		return w[i] * d2[i]
	}

	var first int
	if w == nil {
		first = rng.IntN(n)
	} else {
		for i := range d2 {
			d2[i] = 1
		}
		cp := chunkPotOf(n, nc, contrib, chunkPot)
		first = samplePot(cp, n, contrib, rng.Float64()*sumInOrder(cp))
		if first < 0 {
			return Matrix{}, ErrTooFewDistinct
		}
	}
	copy(cents.Row(0), x.Row(first))
	forChunks(n, workers, func(_, c, lo, hi int) {
		c0 := cents.Row(0)
		s := 0.0
		for i := lo; i < hi; i++ {
			d2[i] = dist2(x.Row(i), c0)
			s += contrib(i)
		}
		chunkPot[c] = s
	})
	cand := make([]int, trials)
	for j := 1; j < k; j++ {
		pot := sumInOrder(chunkPot)
		if !(pot > 0) {
			return Matrix{}, ErrTooFewDistinct
		}
		for t := range cand {
			cand[t] = samplePot(chunkPot, n, contrib, rng.Float64()*pot)
		}
		forChunks(n, workers, func(_, c, lo, hi int) {
			for t, ci := range cand {
				cr := x.Row(ci)
				s := 0.0
				for i := lo; i < hi; i++ {
					v := min(d2[i], dist2(x.Row(i), cr))
					if w != nil {
						v *= w[i]
					}
					s += v
				}
				trialPot[c*trials+t] = s
			}
		})
		best, bestPot := 0, math.Inf(1)
		for t := range cand {
			s := 0.0
			for c := 0; c < nc; c++ {
				s += trialPot[c*trials+t]
			}
			if s < bestPot {
				best, bestPot = t, s
			}
		}
		cr := x.Row(cand[best])
		copy(cents.Row(j), cr)
		forChunks(n, workers, func(_, c, lo, hi int) {
			s := 0.0
			for i := lo; i < hi; i++ {
				d2[i] = min(d2[i], dist2(x.Row(i), cr))
				s += contrib(i)
			}
			chunkPot[c] = s
		})
	}
	return cents, nil
}

func chunkPotOf(n, nc int, contrib func(int) float64, out []float64) []float64 {
	for c := 0; c < nc; c++ {
		s := 0.0
		for i := c * chunkRows; i < min(n, (c+1)*chunkRows); i++ {
			s += contrib(i)
		}
		out[c] = s
	}
	return out
}

func sumInOrder(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s
}

// samplePot returns the first index whose cumulative contribution exceeds
// r, scanning chunk sums first. Rounding can leave r beyond the last
// cumulative value; then the last index with a positive contribution is
// returned. Indices with a zero contribution are never returned.
func samplePot(chunkPot []float64, n int, contrib func(int) float64, r float64) int {
	acc := 0.0
	last := -1
	for c, cp := range chunkPot {
		lo, hi := c*chunkRows, min(n, (c+1)*chunkRows)
		if cp > 0 {
			for i := hi - 1; i >= lo; i-- {
				if contrib(i) > 0 {
					last = i
					break
				}
			}
		}
		if acc+cp <= r {
			acc += cp
			continue
		}
		s := 0.0
		for i := lo; i < hi; i++ {
			v := contrib(i)
			s += v
			if v > 0 && acc+s > r {
				return i
			}
		}
		acc += cp
	}
	return last
}
