package features

import (
	"math"
	"math/big"
	"math/rand/v2"
	"reflect"
	"runtime"
	"testing"
)

// randomFloat draws values across a wide range of magnitudes and signs,
// with subnormals, ties and zeros.
func randomFloat(rng *rand.Rand) float64 {
	switch rng.IntN(8) {
	case 0:
		return 0
	case 1:
		return math.SmallestNonzeroFloat64 * float64(rng.IntN(1000)-500)
	case 2:
		return float64(rng.IntN(5))
	}
	return math.Ldexp(rng.Float64()-0.5, rng.IntN(200)-100)
}

func TestExactSumMatchesBigFloat(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	for iter := 0; iter < 3000; iter++ {
		var a exactSum
		var sq exactSum
		want := new(big.Float).SetPrec(10000)
		wantSq := new(big.Float).SetPrec(10000)
		for n := rng.IntN(12); n > 0; n-- {
			x := randomFloat(rng)
			a.add(x)
			sq.addSquare(x)
			bx := new(big.Float).SetPrec(10000).SetFloat64(x)
			want.Add(want, bx)
			wantSq.Add(wantSq, new(big.Float).SetPrec(10000).Mul(bx, bx))
		}
		if got := bigFloat(&a); got.Cmp(want) != 0 {
			t.Fatalf("got sum %v; want %v", got, want)
		}
		if got := bigFloat(&sq); got.Cmp(wantSq) != 0 {
			t.Fatalf("got sum of squares %v; want %v", got, wantSq)
		}
	}
	// Extremes: the largest values and their squares.
	var a exactSum
	for i := 0; i < 3; i++ {
		a.addSquare(math.MaxFloat64)
		a.add(-math.MaxFloat64)
	}
	big3 := new(big.Float).SetPrec(10000).SetFloat64(math.MaxFloat64)
	want := new(big.Float).SetPrec(10000).Mul(big3, big3)
	want.Sub(want, big3)
	want.Mul(want, big.NewFloat(3))
	if got := bigFloat(&a); got.Cmp(want) != 0 {
		t.Errorf("got %v; want %v", got, want)
	}
}

func TestStatsMergeBitwise(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	for iter := 0; iter < 500; iter++ {
		cols := 1 + rng.IntN(4)
		rows := 1 + rng.IntN(40)
		data := make([]float64, rows*cols)
		for i := range data {
			data[i] = randomFloat(rng) * 1e3
		}
		logCols := make([]bool, cols)
		logCols[0] = rng.IntN(2) == 0
		whole := NewStats(cols, logCols)
		if err := whole.AddRows(data); err != nil {
			t.Fatal(err)
		}
		// Split the rows into random partitions, merged in a random order.
		parts := 1 + rng.IntN(5)
		stats := make([]*Stats, parts)
		for p := range stats {
			stats[p] = NewStats(cols, logCols)
		}
		for r := 0; r < rows; r++ {
			if err := stats[rng.IntN(parts)].AddRows(data[r*cols : (r+1)*cols]); err != nil {
				t.Fatal(err)
			}
		}
		rng.Shuffle(parts, func(i, j int) { stats[i], stats[j] = stats[j], stats[i] })
		merged := NewStats(cols, logCols)
		for _, s := range stats {
			// ship each partition's share through its encoding
			b, err := s.MarshalBinary()
			if err != nil {
				t.Fatal(err)
			}
			var dec Stats
			if err := dec.UnmarshalBinary(b); err != nil {
				t.Fatal(err)
			}
			if err := merged.Merge(&dec); err != nil {
				t.Fatal(err)
			}
		}
		method := LogStandard
		if !logCols[0] {
			method = []Method{Standard, MinMax}[rng.IntN(2)]
		}
		want, err := whole.Scaler(method)
		if err != nil {
			t.Fatal(err)
		}
		got, err := merged.Scaler(method)
		if err != nil {
			t.Fatal(err)
		}
		for j := range want.Center {
			if math.Float64bits(got.Center[j]) != math.Float64bits(want.Center[j]) || math.Float64bits(got.Scale[j]) != math.Float64bits(want.Scale[j]) {
				t.Fatalf("column %d: got center %v scale %v; want %v %v bitwise", j, got.Center[j], got.Scale[j], want.Center[j], want.Scale[j])
			}
		}
		if merged.Count() != int64(rows) {
			t.Fatalf("got count %d; want %d", merged.Count(), rows)
		}
	}
}

func TestStatsMeanStd(t *testing.T) {
	s := NewStats(2, nil)
	if err := s.AddRows([]float64{1, 5, 2, 5, 3, 5, 4, 5}); err != nil {
		t.Fatal(err)
	}
	if s.Mean(0) != 2.5 || s.Std(0) != math.Sqrt(1.25) || s.Mean(1) != 5 || s.Std(1) != 0 {
		t.Errorf("got mean %v std %v, mean %v std %v; want 2.5 %v, 5 0", s.Mean(0), s.Std(0), s.Mean(1), s.Std(1), math.Sqrt(1.25))
	}
	// 0.1 summed ten times is exactly 10 × 0.1 here, so the mean is 0.1.
	r := NewStats(1, nil)
	for i := 0; i < 10; i++ {
		_ = r.AddRows([]float64{0.1})
	}
	if r.Mean(0) != 0.1 || r.Std(0) != 0 {
		t.Errorf("got mean %v std %v; want 0.1 and 0", r.Mean(0), r.Std(0))
	}
	if err := s.AddRows([]float64{1}); err == nil {
		t.Error("got no error for a ragged matrix; want one")
	}
	if err := s.AddRows([]float64{1, math.NaN()}); err == nil {
		t.Error("got no error for NaN; want one")
	}
	if err := s.Merge(NewStats(3, nil)); err == nil {
		t.Error("got no error merging different widths; want one")
	}
	if _, err := NewStats(2, []bool{true}).Scaler(Standard); err == nil {
		t.Error("got no error deriving Standard from log stats; want one")
	}
	var bad Stats
	if err := bad.UnmarshalBinary([]byte{1, 2}); err == nil {
		t.Error("got no error decoding garbage; want one")
	}
}

func TestScaleRoundTrip(t *testing.T) {
	tab, err := Compute(tinyLog, Options{Categories: 2})
	if err != nil {
		t.Fatal(err)
	}
	raw, cols := tab.Matrix()
	for _, m := range []Method{Standard, MinMax, LogStandard} {
		t.Run(m.String(), func(t *testing.T) {
			sc, err := Scale(&tab, m)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Cols != cols || len(sc.Data) != len(raw) || !reflect.DeepEqual(sc.Names, tab.Names()) {
				t.Fatalf("got %d columns, %d values; want %d, %d", sc.Cols, len(sc.Data), cols, len(raw))
			}
			back := sc.Scaler.Unscale(sc.Data)
			for i := range raw {
				if math.Abs(back[i]-raw[i]) > 1e-9*math.Max(1, math.Abs(raw[i])) {
					t.Errorf("value %d: got %v back; want %v", i, back[i], raw[i])
				}
			}
			for j := 0; j < cols; j++ {
				var lo, hi, sum, sumsq float64 = math.Inf(1), math.Inf(-1), 0, 0
				for i := j; i < len(sc.Data); i += cols {
					v := sc.Data[i]
					lo, hi, sum, sumsq = math.Min(lo, v), math.Max(hi, v), sum+v, sumsq+v*v
				}
				n := float64(tab.Len())
				switch m {
				case MinMax:
					if lo != 0 || (hi != 1 && hi != 0) {
						t.Errorf("column %d: got range [%v, %v]; want [0, 1]", j, lo, hi)
					}
				default:
					if math.Abs(sum/n) > 1e-12 || (math.Abs(sumsq/n-1) > 1e-12 && sumsq != 0) {
						t.Errorf("column %d: got mean %v variance %v; want 0 and 1", j, sum/n, sumsq/n)
					}
				}
			}
		})
	}
	// LogStandard transforms frequency and monetary only, signed for negatives.
	sc, _ := Scale(&tab, LogStandard)
	if !reflect.DeepEqual(sc.Scaler.Log, []bool{false, true, true, false, false}) {
		t.Errorf("got log columns %v; want frequency and monetary", sc.Scaler.Log)
	}
	if got := signedLog1p(-7); got != -math.Log1p(7) || math.Abs(signedExpm1(got)+7) > 1e-12 {
		t.Errorf("got signedLog1p(-7) %v; want %v and back to -7", got, -math.Log1p(7))
	}
}

func TestParseMethod(t *testing.T) {
	for _, m := range []Method{Standard, MinMax, LogStandard} {
		if got, err := ParseMethod(m.String()); err != nil || got != m {
			t.Errorf("ParseMethod(%q): got %v, %v; want %v", m.String(), got, err, m)
		}
	}
	if _, err := ParseMethod("zscore"); err == nil {
		t.Error("got no error for an unknown method; want one")
	}
}

func TestUnmarshalStatsBoundsAllocation(t *testing.T) {
	// A 4-byte input claiming 2^20 columns used to allocate 2.3 GB of
	// accumulators before finding that the columns were missing.
	in := []byte{0x80, 0x80, 0x40, 0x00}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var s Stats
	err := s.UnmarshalBinary(in)
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("got no error decoding 2^20 missing columns; want one")
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("got %d bytes allocated for a %d-byte input; want under 1 MiB", got, len(in))
	}
}
