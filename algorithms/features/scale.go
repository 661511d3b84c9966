package features

import (
	"fmt"
	"math"
	"math/big"
)

// Method is a way of scaling feature columns before clustering.
type Method int

// The scaling methods.
const (
	// Standard maps each column to its z-score: (x − mean) / std, with the
	// population standard deviation.
	Standard Method = iota + 1
	// MinMax maps each column onto [0, 1]: (x − min) / (max − min).
	MinMax
	// LogStandard is Standard after a signed log1p, sign(x)·log(1 + |x|),
	// on the columns marked for it (frequency and monetary value in Scale):
	// the usual choice for skewed spend. The signed form keeps negative net
	// spend finite and ordered.
	LogStandard
)

// String returns "standard", "minmax" or "logstandard".
func (m Method) String() string {
	switch m {
	case Standard:
		return "standard"
	case MinMax:
		return "minmax"
	case LogStandard:
		return "logstandard"
	}
	return fmt.Sprintf("Method(%d)", int(m))
}

// ParseMethod reads a method name as String writes it.
func ParseMethod(s string) (Method, error) {
	for _, m := range []Method{Standard, MinMax, LogStandard} {
		if s == m.String() {
			return m, nil
		}
	}
	return 0, fmt.Errorf("unknown scaling method %q (want standard, minmax or logstandard)", s)
}

// signedLog1p is sign(x)·log1p(|x|); signedExpm1 is its inverse.
func signedLog1p(x float64) float64 { return math.Copysign(math.Log1p(math.Abs(x)), x) }

func signedExpm1(y float64) float64 { return math.Copysign(math.Expm1(math.Abs(y)), y) }

// Scaler maps feature rows to scaled rows and back. Scaled column j is
// (T(x_j) − Center[j]) / Scale[j], where T is signedLog1p on columns with
// Log[j] and the identity elsewhere. Scale is never zero: a constant column
// gets Scale 1.
type Scaler struct {
	Method Method
	Log    []bool
	Center []float64
	Scale  []float64
}

// Cols returns the number of columns the scaler expects.
func (s *Scaler) Cols() int { return len(s.Center) }

// Apply returns the scaled copy of data, a row-major matrix with s.Cols()
// columns.
func (s *Scaler) Apply(data []float64) []float64 {
	cols := s.Cols()
	out := make([]float64, len(data))
	for i, x := range data {
		j := i % cols
		if s.Log[j] {
			x = signedLog1p(x)
		}
		out[i] = (x - s.Center[j]) / s.Scale[j]
	}
	return out
}

// Unscale maps scaled rows, such as k-means centroids, back to original
// units: the inverse of Apply, up to rounding.
func (s *Scaler) Unscale(data []float64) []float64 {
	cols := s.Cols()
	out := make([]float64, len(data))
	for i, y := range data {
		j := i % cols
		x := y*s.Scale[j] + s.Center[j]
		if s.Log[j] {
			x = signedExpm1(x)
		}
		out[i] = x
	}
	return out
}

// Scaled is a scaled feature matrix and the scaler that made it.
type Scaled struct {
	Data   []float64 // row-major, one row per customer of the table
	Cols   int
	Names  []string
	Scaler Scaler
}

// LogColumns returns which columns of t's matrix LogStandard transforms:
// frequency and monetary value.
func LogColumns(t *Table) []bool {
	log := make([]bool, 3+t.Categories)
	log[1], log[2] = true, true
	return log
}

// Scale scales the features of t with method m in a single pass. For a
// partitioned run, accumulate a Stats per partition with the same logCols
// (LogColumns for LogStandard, nil otherwise), Merge them, and Apply the merged Stats' Scaler: the result
// is the same, bit for bit.
func Scale(t *Table, m Method) (Scaled, error) {
	data, cols := t.Matrix()
	var logCols []bool
	if m == LogStandard {
		logCols = LogColumns(t)
	}
	st := NewStats(cols, logCols)
	if err := st.AddRows(data); err != nil {
		return Scaled{}, err
	}
	sc, err := st.Scaler(m)
	if err != nil {
		return Scaled{}, err
	}
	return Scaled{Data: sc.Apply(data), Cols: cols, Names: t.Names(), Scaler: sc}, nil
}

// bigFloat returns the exact value of an accumulator as a float with
// enough precision to hold it.
func bigFloat(a *exactSum) *big.Float {
	f := new(big.Float).SetPrec(4500).SetInt(a.scaled())
	return f.SetMantExp(f, -exactOffset)
}
