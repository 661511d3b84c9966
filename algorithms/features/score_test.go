package features

import (
	"math/rand/v2"
	"reflect"
	"testing"
)

func TestQuintiles(t *testing.T) {
	tests := []struct {
		name string
		in   []float64
		want []int
	}{
		{"empty", nil, []int{}},
		{"one", []float64{3}, []int{1}},
		{"ten distinct", []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}, []int{5, 5, 4, 4, 3, 3, 2, 2, 1, 1}},
		{"all tied", []float64{2, 2, 2, 2}, []int{1, 1, 1, 1}},
		{"ties take the lowest rank", []float64{1, 2, 2, 2, 2, 2, 2, 2, 2, 9}, []int{1, 1, 1, 1, 1, 1, 1, 1, 1, 5}},
		{"tie across a boundary", []float64{1, 1, 1, 2, 3}, []int{1, 1, 1, 4, 5}},
		{"three values", []float64{5, 1, 3}, []int{4, 1, 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Quintiles(tc.in); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v; want %v", got, tc.want)
			}
		})
	}
}

func TestQuintilesProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 1))
	for iter := 0; iter < 3000; iter++ {
		n := 1 + rng.IntN(30)
		v := make([]float64, n)
		for i := range v {
			v[i] = float64(rng.IntN(6))
		}
		q := Quintiles(v)
		for i := range v {
			less := 0
			for _, w := range v {
				if w < v[i] {
					less++
				}
			}
			if want := 1 + 5*less/n; q[i] != want {
				t.Fatalf("values %v: got score %d at %d; want %d", v, q[i], i, want)
			}
			for j := range v {
				if v[i] < v[j] && q[i] > q[j] {
					t.Fatalf("values %v: larger value scored lower", v)
				}
			}
		}
	}
}

func TestScores(t *testing.T) {
	tab, _ := Compute(tinyLog, Options{Categories: 2})
	r, f, m := Scores(&tab)
	// recency 7, 8, 1 → most recent (1) scores highest.
	if !reflect.DeepEqual(r, []int{2, 1, 4}) || !reflect.DeepEqual(f, []int{4, 1, 2}) || !reflect.DeepEqual(m, []int{4, 1, 2}) {
		t.Errorf("got R %v F %v M %v; want [2 1 4] [4 1 2] [4 1 2]", r, f, m)
	}
}
