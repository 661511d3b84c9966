package support

import (
	"errors"
	"testing"
)

func TestMinCount(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want int
	}{
		{"0.07", 100, 7}, // 0.07*100 is 7.000000000000001 in float64
		{"0.2", 8124, 1625},
		{"0.001", 100000, 100},
		{"0.5", 4, 2},
		{"0.5", 5, 3},
		{"0.3", 10, 3},
		{"0.0001", 10, 1}, // never below 1
		{"0.5", 0, 1},
		{"100", 100000, 100},
		{"1", 3, 1},
		{"1625", 8124, 1625},
	}
	for _, tt := range tests {
		th, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		if got := th.MinCount(tt.n); got != tt.want {
			t.Errorf("Parse(%q).MinCount(%d) = %d; want %d", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestParseInvalid(t *testing.T) {
	for _, in := range []string{"", "x", "0", "-0.1", "1.5", "NaN", "Inf", "-3"} {
		if _, err := Parse(in); !errors.Is(err, ErrInvalid) {
			t.Errorf("Parse(%q) error = %v; want ErrInvalid", in, err)
		}
	}
}

func TestLocalIsSound(t *testing.T) {
	// For any split of a total count into parts, some part reaches its local
	// threshold whenever the total reaches the global one.
	for total := 1; total <= 40; total++ {
		for minCount := 1; minCount <= total; minCount++ {
			for p1 := 0; p1 <= total; p1++ {
				p2 := total - p1
				for c1 := 0; c1 <= p1; c1++ {
					c2 := minCount - c1
					if c2 < 0 || c2 > p2 {
						continue
					}
					ok1 := p1 > 0 && c1 >= Local(minCount, p1, total)
					ok2 := p2 > 0 && c2 >= Local(minCount, p2, total)
					if !ok1 && !ok2 {
						t.Fatalf("total=%d min=%d parts=(%d,%d) counts=(%d,%d): no part reaches its local threshold", total, minCount, p1, p2, c1, c2)
					}
				}
			}
		}
	}
}
