package nextbasket

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// bruteEASE builds X densely, multiplies XᵀX by the definition, inverts
// XᵀX + λI by Gauss-Jordan elimination with partial pivoting and applies
// B = I − P·diagMat(1/diag(P)) entry by entry.
func bruteEASE(train []Customer, n int, lambda float64) [][]float64 {
	x := make([][]float64, len(train))
	for u := range train {
		x[u] = make([]float64, n)
		for it := range n {
			if bought(&train[u], it) {
				x[u][it] = 1
			}
		}
	}
	// Augmented [G | I].
	a := make([][]float64, n)
	for i := range n {
		a[i] = make([]float64, 2*n)
		for j := range n {
			for u := range x {
				a[i][j] += x[u][i] * x[u][j]
			}
		}
		a[i][i] += lambda
		a[i][n+i] = 1
	}
	for c := range n {
		p := c
		for r := c + 1; r < n; r++ {
			if math.Abs(a[r][c]) > math.Abs(a[p][c]) {
				p = r
			}
		}
		a[c], a[p] = a[p], a[c]
		d := a[c][c]
		for j := range a[c] {
			a[c][j] /= d
		}
		for r := range n {
			if r == c || a[r][c] == 0 {
				continue
			}
			f := a[r][c]
			for j := range a[r] {
				a[r][j] -= f * a[c][j]
			}
		}
	}
	b := make([][]float64, n)
	for i := range n {
		b[i] = make([]float64, n)
		for j := range n {
			id := 0.0
			if i == j {
				id = 1
			}
			b[i][j] = id - a[i][n+j]/a[j][n+j]
		}
	}
	return b
}

func TestEASEMatchesClosedForm(t *testing.T) {
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 2))
		n := 1 + rng.IntN(12)
		train := randCustomers(rng, 1+rng.IntN(15), n, 4, 5)
		lambda := []float64{0.5, 1, 10, 100}[rng.IntN(4)]
		t.Run(fmt.Sprintf("seed%d/n%d/lambda%v", seed, n, lambda), func(t *testing.T) {
			e := &EASE{Lambda: lambda}
			if err := e.Fit(train, n); err != nil {
				t.Fatal(err)
			}
			want := bruteEASE(train, n, lambda)
			for i := range n {
				if got := e.Weight(i, i); got != 0 {
					t.Fatalf("B[%d][%d]: got %v; want exactly 0", i, i, got)
				}
				for j := range n {
					if got := e.Weight(i, j); math.Abs(got-want[i][j]) > 1e-10 {
						t.Fatalf("B[%d][%d]: got %v; want %v", i, j, got, want[i][j])
					}
				}
			}
			// Lists are a top-k of the brute-force scores (ties within
			// rounding may order either way).
			for qi := range train {
				c := &train[qi]
				score := make([]float64, n)
				for i := range n {
					if bought(c, i) {
						for j := range n {
							score[j] += want[i][j]
						}
					}
				}
				k := 1 + rng.IntN(n)
				checkTopK(t, e.Recommend(c, k, nil), score, k, 1e-9)
			}
		})
	}
}

// checkTopK checks that list holds min(k, n) distinct items in
// non-increasing score order and that no item left out scores above the
// last one listed, all within eps.
func checkTopK(t *testing.T, list []int32, score []float64, k int, eps float64) {
	t.Helper()
	if want := min(k, len(score)); len(list) != want {
		t.Fatalf("got %d items %v; want %d", len(list), list, want)
	}
	in := make([]bool, len(score))
	for r, it := range list {
		if in[it] {
			t.Fatalf("item %d listed twice in %v", it, list)
		}
		in[it] = true
		if r > 0 && score[it] > score[list[r-1]]+eps {
			t.Fatalf("list %v: item %d (%v) ranked below %d (%v)", list, it, score[it], list[r-1], score[list[r-1]])
		}
	}
	if len(list) == 0 {
		return
	}
	last := score[list[len(list)-1]]
	for it, s := range score {
		if !in[it] && s > last+eps {
			t.Fatalf("list %v leaves out item %d scoring %v > %v", list, it, s, last)
		}
	}
}

// TestEASEKKT checks the optimality of B without an inverse: for the
// objective ‖X − XB‖² + λ‖B‖² with diag(B) = 0, the gradient (G + λI)B − G
// must vanish off the diagonal (the diagonal carries the multipliers).
func TestEASEKKT(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 11))
	n := 9
	train := randCustomers(rng, 20, n, 5, 5)
	e := &EASE{Lambda: 3}
	if err := e.Fit(train, n); err != nil {
		t.Fatal(err)
	}
	g := gram(customerItems(train), n)
	for i := range n {
		for j := range n {
			if i == j {
				continue
			}
			var s float64
			for l := range n {
				gil := g[i*n+l]
				if i == l {
					gil += e.Lambda
				}
				s += gil * e.Weight(l, j)
			}
			if r := s - g[i*n+j]; math.Abs(r) > 1e-9 {
				t.Errorf("gradient (%d,%d): got %v; want 0", i, j, r)
			}
		}
	}
}

func TestTuneEASEPicksBest(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	n := 8
	train := randCustomers(rng, 30, n, 4, 4)
	grid := []float64{1, 10, 100}
	// A scorer that prefers λ = 10 by reading the model back.
	score := func(r Recommender) (float64, error) {
		return -math.Abs(r.(*EASE).Lambda - 10), nil
	}
	best, scores, err := TuneEASE(train, n, grid, score)
	if err != nil {
		t.Fatal(err)
	}
	if best.Lambda != 10 || len(scores) != 3 || scores[1] != 0 {
		t.Errorf("got lambda %v scores %v; want 10 with scores [-9 0 -90]", best.Lambda, scores)
	}
	direct := &EASE{Lambda: 10}
	if err := direct.Fit(train, n); err != nil {
		t.Fatal(err)
	}
	for i := range n * n {
		if best.b[i] != direct.b[i] {
			t.Fatalf("B entry %d: tuned %v, fitted %v; want equal", i, best.b[i], direct.b[i])
		}
	}
	// The hit-rate scorer runs end to end.
	cases := []Case{{History: &train[0], Hidden: []int32{0}}}
	if _, _, err := TuneEASE(train, n, grid, HitRateScorer(cases, 3, n)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := TuneEASE(train, n, nil, score); err == nil {
		t.Error("empty grid: got no error; want one")
	}
	if err := (&EASE{}).Fit(train, n); err == nil {
		t.Error("lambda 0: got no error; want one")
	}
}
