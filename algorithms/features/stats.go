package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
)

// Stats are the column statistics a Scaler is derived from: count, exact
// sum and sum of squares, minimum and maximum of each column, after the
// log transform of the columns marked for it. They merge exactly: Stats of
// any partitioning of the rows, merged in any order, equal the Stats of all
// rows, so every partitioning derives the same Scaler bit for bit.
type Stats struct {
	cols  int
	log   []bool
	n     int64
	sum   []exactSum
	sumsq []exactSum
	min   []float64
	max   []float64
}

// NewStats returns empty statistics for cols columns; logCols (length
// cols, or nil for none) marks the columns that LogStandard transforms.
func NewStats(cols int, logCols []bool) *Stats {
	l := make([]bool, cols)
	copy(l, logCols)
	s := &Stats{cols: cols, log: l, sum: make([]exactSum, cols), sumsq: make([]exactSum, cols),
		min: make([]float64, cols), max: make([]float64, cols)}
	for j := range s.min {
		s.min[j], s.max[j] = math.Inf(1), math.Inf(-1)
	}
	return s
}

// Count returns the number of rows added.
func (s *Stats) Count() int64 { return s.n }

// AddRows adds the rows of a row-major matrix. A non-finite value or a
// length that is not a multiple of the column count is an error.
func (s *Stats) AddRows(data []float64) error {
	if s.cols == 0 || len(data)%s.cols != 0 {
		return fmt.Errorf("matrix of %d values is not rows of %d columns", len(data), s.cols)
	}
	for i, x := range data {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("value %v at row %d column %d is not finite", x, i/s.cols, i%s.cols)
		}
	}
	for i, x := range data {
		j := i % s.cols
		if s.log[j] {
			x = signedLog1p(x)
		}
		s.sum[j].add(x)
		s.sumsq[j].addSquare(x)
		s.min[j] = math.Min(s.min[j], x)
		s.max[j] = math.Max(s.max[j], x)
	}
	s.n += int64(len(data) / s.cols)
	return nil
}

// Merge adds the statistics of o, which must have the same columns.
func (s *Stats) Merge(o *Stats) error {
	if o.cols != s.cols {
		return fmt.Errorf("merge stats of %d columns into %d", o.cols, s.cols)
	}
	for j := range s.log {
		if s.log[j] != o.log[j] {
			return fmt.Errorf("merge stats: column %d log transform differs", j)
		}
	}
	for j := 0; j < s.cols; j++ {
		s.sum[j].merge(&o.sum[j])
		s.sumsq[j].merge(&o.sumsq[j])
		s.min[j] = math.Min(s.min[j], o.min[j])
		s.max[j] = math.Max(s.max[j], o.max[j])
	}
	s.n += o.n
	return nil
}

// Mean returns the mean of column j, correctly rounded from the exact sum.
func (s *Stats) Mean(j int) float64 {
	if s.n == 0 {
		return 0
	}
	q := new(big.Float).SetPrec(4500).Quo(bigFloat(&s.sum[j]), new(big.Float).SetInt64(s.n))
	f, _ := q.Float64()
	return f
}

// Std returns the population standard deviation of column j, computed from
// the exact sums: sqrt((n·Σx² − (Σx)²) / n²).
func (s *Stats) Std(j int) float64 {
	if s.n == 0 {
		return 0
	}
	n := big.NewInt(s.n)
	sum := s.sum[j].scaled()     // Σx · 2^off
	sumsq := s.sumsq[j].scaled() // Σx² · 2^off
	// n·Σx²·2^(2off) − (Σx·2^off)², over n²·2^(2off)
	num := new(big.Int).Mul(n, sumsq)
	num.Lsh(num, exactOffset)
	num.Sub(num, new(big.Int).Mul(sum, sum))
	if num.Sign() <= 0 {
		return 0
	}
	den := new(big.Int).Mul(n, n)
	den.Lsh(den, 2*exactOffset)
	v := new(big.Float).SetPrec(256).SetRat(new(big.Rat).SetFrac(num, den))
	f, _ := v.Sqrt(v).Float64()
	return f
}

// Scaler derives the scaler of method m. Only LogStandard applies the log
// transform; Stats used for Standard or MinMax must have been built with no
// log columns, since their sums are of transformed values.
func (s *Stats) Scaler(m Method) (Scaler, error) {
	anyLog := false
	for _, l := range s.log {
		anyLog = anyLog || l
	}
	if m != LogStandard && anyLog {
		return Scaler{}, errors.New("stats carry log-transformed columns; they are for LogStandard only")
	}
	sc := Scaler{Method: m, Log: make([]bool, s.cols), Center: make([]float64, s.cols), Scale: make([]float64, s.cols)}
	for j := 0; j < s.cols; j++ {
		switch m {
		case Standard, LogStandard:
			sc.Center[j], sc.Scale[j] = s.Mean(j), s.Std(j)
			sc.Log[j] = m == LogStandard && s.log[j]
		case MinMax:
			if s.n > 0 {
				sc.Center[j], sc.Scale[j] = s.min[j], s.max[j]-s.min[j]
			}
		default:
			return Scaler{}, fmt.Errorf("unknown scaling method %d", int(m))
		}
		if sc.Scale[j] == 0 || math.IsInf(sc.Scale[j], 0) {
			sc.Scale[j] = 1
		}
	}
	return sc, nil
}

// MarshalBinary encodes the statistics for shipping a partition's share to
// the merger.
func (s *Stats) MarshalBinary() ([]byte, error) {
	b := binary.AppendUvarint(nil, uint64(s.cols))
	b = binary.AppendVarint(b, s.n)
	for j := 0; j < s.cols; j++ {
		lb := byte(0)
		if s.log[j] {
			lb = 1
		}
		b = append(b, lb)
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.min[j]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.max[j]))
		for _, a := range []*exactSum{&s.sum[j], &s.sumsq[j]} {
			c := *a
			c.normalize()
			for _, l := range c.limbs {
				b = binary.AppendVarint(b, l)
			}
		}
	}
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary encoded.
func (s *Stats) UnmarshalBinary(b []byte) error {
	bad := errors.New("decode stats: malformed input")
	cols, k := binary.Uvarint(b)
	if k <= 0 || cols > 1<<20 {
		return bad
	}
	b = b[k:]
	n, k := binary.Varint(b)
	if k <= 0 || n < 0 {
		return bad
	}
	b = b[k:]
	// Every column takes at least 17 bytes plus one per limb: refuse a
	// column count the input cannot hold before allocating for it.
	if cols > uint64(len(b))/(17+2*exactLimbs) {
		return bad
	}
	*s = *NewStats(int(cols), nil)
	s.n = n
	for j := 0; j < s.cols; j++ {
		if len(b) < 17 {
			return bad
		}
		s.log[j] = b[0] == 1
		s.min[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[1:]))
		s.max[j] = math.Float64frombits(binary.LittleEndian.Uint64(b[9:]))
		b = b[17:]
		for _, a := range []*exactSum{&s.sum[j], &s.sumsq[j]} {
			for i := range a.limbs {
				v, k := binary.Varint(b)
				if k <= 0 || (i < exactLimbs-1 && (v < 0 || v > mask32)) {
					return bad
				}
				a.limbs[i] = v
				b = b[k:]
			}
		}
	}
	if len(b) != 0 {
		return bad
	}
	return nil
}
