package kmeans

import (
	"fmt"
	"math/big"
	"slices"
)

// Moments holds the exact fixed-point first and second moments of the data,
// per column, from which the mean variance behind Options.Tol is computed.
// Moments of partitions (under the same Bounds) merge exactly.
type Moments struct {
	N      int64
	Exps   []int    // Sum[i] is in units of 2^-Exps[i]
	SqExps []int    // SumSq[i] is in units of 2^-SqExps[i]
	Sum    []Int128 // Σ x_i
	SumSq  []Int128 // Σ x_i²
}

// NewMoments returns the moments of the rows of x; bounds must be the
// merged bounds of all the data.
func NewMoments(x Matrix, bounds Bounds) Moments {
	d := len(bounds)
	m := Moments{Exps: make([]int, d), SqExps: make([]int, d), Sum: make([]Int128, d), SumSq: make([]Int128, d)}
	sc, sq := make([]float64, d), make([]float64, d)
	for i, b := range bounds {
		m.Exps[i] = scaleExp(b, 0)
		m.SqExps[i] = scaleExp(b*b*(1+1e-12), 1)
		sc[i], sq[i] = pow2(m.Exps[i]), pow2(m.SqExps[i])
	}
	m.add(x, sc, sq)
	return m
}

func (m *Moments) add(x Matrix, sc, sq []float64) {
	d := x.Cols
	for p := 0; p < x.Rows; p++ {
		row := x.Data[p*d : p*d+d]
		for i, v := range row {
			m.Sum[i].addInt64(quantize(v, sc[i]))
			m.SumSq[i].addInt64(quantize(v*v, sq[i]))
		}
	}
	m.N += int64(x.Rows)
}

// Merge returns the exact sum of m and o.
func (m Moments) Merge(o Moments) (Moments, error) {
	if !slices.Equal(m.Exps, o.Exps) || !slices.Equal(m.SqExps, o.SqExps) {
		return Moments{}, fmt.Errorf("%w: moments under different bounds", ErrMismatch)
	}
	out := Moments{N: m.N + o.N, Exps: m.Exps, SqExps: m.SqExps, Sum: slices.Clone(m.Sum), SumSq: slices.Clone(m.SumSq)}
	for i := range out.Sum {
		out.Sum[i] = out.Sum[i].Add(o.Sum[i])
		out.SumSq[i] = out.SumSq[i].Add(o.SumSq[i])
	}
	return out, nil
}

// MeanVariance returns the mean over columns of the population variance.
func (m Moments) MeanVariance() float64 {
	if m.N == 0 || len(m.Sum) == 0 {
		return 0
	}
	const prec = 256
	n := new(big.Float).SetPrec(prec).SetInt64(m.N)
	total := new(big.Float).SetPrec(prec)
	for i := range m.Sum {
		mean := new(big.Float).SetPrec(prec).SetInt(m.Sum[i].Big())
		mean.SetMantExp(mean, -m.Exps[i])
		mean.Quo(mean, n)
		msq := new(big.Float).SetPrec(prec).SetInt(m.SumSq[i].Big())
		msq.SetMantExp(msq, -m.SqExps[i])
		msq.Quo(msq, n)
		v := new(big.Float).SetPrec(prec).Mul(mean, mean)
		v.Sub(msq, v)
		if v.Sign() > 0 {
			total.Add(total, v)
		}
	}
	total.Quo(total, new(big.Float).SetPrec(prec).SetInt64(int64(len(m.Sum))))
	f, _ := total.Float64()
	return f
}
