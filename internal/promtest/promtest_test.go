package promtest

import (
	"strings"
	"testing"
)

const sample = `# TYPE a_total counter
a_total{kind="x"} 2
a_total{kind="y"} 3
# TYPE b gauge
b 7
# TYPE h_seconds histogram
h_seconds_bucket{le="1"} 4
h_seconds_bucket{le="+Inf"} 5
h_seconds_sum 2.5
h_seconds_count 5
`

func TestValue(t *testing.T) {
	s := Parse(t, strings.NewReader(sample))
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
		found  bool
	}{
		{"a_total", nil, 5, true},
		{"a_total", []string{"kind", "y"}, 3, true},
		{"a_total", []string{"kind", "z"}, 0, false},
		{"b", nil, 7, true},
		{"h_seconds", nil, 5, true},
		{"absent", nil, 0, false},
	} {
		got, found := s.Value(tc.name, tc.labels...)
		if got != tc.want || found != tc.found {
			t.Errorf("Value(%s, %v): got %v, %v; want %v, %v", tc.name, tc.labels, got, found, tc.want, tc.found)
		}
	}
	if got := s.Missing([]string{"a_total", "c", "b"}); len(got) != 1 || got[0] != "c" {
		t.Errorf("Missing: got %v; want [c]", got)
	}
}
