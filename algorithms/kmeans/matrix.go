package kmeans

import (
	"errors"
	"fmt"
	"math"
)

// ErrNotFinite is wrapped by the errors returned for a NaN or an infinite
// value in the input; the message names the row and the column.
var ErrNotFinite = errors.New("value is not finite")

// ErrShape is wrapped by the errors returned for a malformed matrix: ragged
// rows, a data slice of the wrong length, or no columns.
var ErrShape = errors.New("malformed matrix")

// Matrix is a dense row-major matrix of float64: element (i, j) is
// Data[i*Cols+j]. The rows are the points, the columns their dimensions.
type Matrix struct {
	Rows, Cols int
	Data       []float64
}

// NewMatrix copies rows into a new Matrix held in one allocation. Every row
// must have the same, non-zero length and hold only finite values.
func NewMatrix(rows [][]float64) (Matrix, error) {
	if len(rows) == 0 {
		return Matrix{}, nil
	}
	cols := len(rows[0])
	if cols == 0 {
		return Matrix{}, fmt.Errorf("%w: row 0 has no columns", ErrShape)
	}
	m := Matrix{Rows: len(rows), Cols: cols, Data: make([]float64, len(rows)*cols)}
	for i, r := range rows {
		if len(r) != cols {
			return Matrix{}, fmt.Errorf("%w: row %d has %d columns; row 0 has %d", ErrShape, i, len(r), cols)
		}
		copy(m.Data[i*cols:], r)
	}
	if err := m.Validate(); err != nil {
		return Matrix{}, err
	}
	return m, nil
}

// Validate reports whether m is well formed (len(Data) == Rows*Cols, Cols > 0
// when there are rows) and holds only finite values. The error for a NaN or
// an infinity names its row and column and wraps ErrNotFinite.
func (m Matrix) Validate() error {
	if m.Rows < 0 || m.Cols < 0 || len(m.Data) != m.Rows*m.Cols {
		return fmt.Errorf("%w: %d×%d with %d values", ErrShape, m.Rows, m.Cols, len(m.Data))
	}
	if m.Rows > 0 && m.Cols == 0 {
		return fmt.Errorf("%w: %d rows with no columns", ErrShape, m.Rows)
	}
	for k, v := range m.Data {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("row %d, column %d: %v: %w", k/m.Cols, k%m.Cols, v, ErrNotFinite)
		}
	}
	return nil
}

// Row returns row i as a slice aliasing m.Data.
func (m Matrix) Row(i int) []float64 {
	return m.Data[i*m.Cols : (i+1)*m.Cols : (i+1)*m.Cols]
}

// Slice returns rows [lo, hi) as a Matrix aliasing m.Data.
func (m Matrix) Slice(lo, hi int) Matrix {
	return Matrix{Rows: hi - lo, Cols: m.Cols, Data: m.Data[lo*m.Cols : hi*m.Cols : hi*m.Cols]}
}

// Clone returns a deep copy of m.
func (m Matrix) Clone() Matrix {
	return Matrix{Rows: m.Rows, Cols: m.Cols, Data: append([]float64(nil), m.Data...)}
}

// ToRows returns the rows of m as a fresh [][]float64 (for callers outside
// the hot paths: printing, JSON).
func (m Matrix) ToRows() [][]float64 {
	out := make([][]float64, m.Rows)
	for i := range out {
		out[i] = append([]float64(nil), m.Row(i)...)
	}
	return out
}
