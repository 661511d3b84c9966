package format

import (
	"reflect"
	"strings"
	"testing"
)

func TestReadNumericCSV(t *testing.T) {
	tests := []struct {
		name, in string
		data     []float64
		cols     int
		header   []string
	}{
		{"empty input", "", nil, 0, nil},
		{"header", "x,y\n1,2\n3,4.5\n", []float64{1, 2, 3, 4.5}, 2, []string{"x", "y"}},
		{"no header", "1,2\r\n-3,4e2\r\n", []float64{1, 2, -3, 400}, 2, nil},
		{"header only", "a,b,c\n", nil, 3, []string{"a", "b", "c"}},
		{"spaces", " 1 , 2\n", []float64{1, 2}, 2, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			data, cols, header, st, err := ReadNumericCSV(strings.NewReader(tc.in), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(data, tc.data) || cols != tc.cols || !reflect.DeepEqual(header, tc.header) {
				t.Errorf("got %v %d %v; want %v %d %v", data, cols, header, tc.data, tc.cols, tc.header)
			}
			if st.Records*max(cols, 1) != len(data) {
				t.Errorf("got %d records for %d values; want one per row", st.Records, len(data))
			}
		})
	}
}

func TestReadNumericCSVErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		field    string
		want     string
	}{
		{"empty value", "x,y\n1,\n", 2, "y", "empty number"},
		{"NaN", "x,y\n1,2\nNaN,2\n", 3, "x", `not a finite number "NaN"`},
		{"Inf without header", "1,2\n3,Inf\n", 2, "column 2", `"Inf"`},
		{"first data row bad", "1,NaN\n", 1, "column 2", `"NaN"`},
		{"text", "x,y\n1,abc\n", 2, "y", `not a number "abc"`},
		{"ragged", "x,y\n1,2\n3\n", 3, "", "wrong number of fields"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, _, _, err := ReadNumericCSV(strings.NewReader(tc.in), Options{Name: "points.csv"})
			wantLineError(t, err, "points.csv", tc.line, tc.field, tc.want)
		})
	}
}

func TestReadNumericCSVSkip(t *testing.T) {
	data, cols, _, st, err := ReadNumericCSV(strings.NewReader("x,y\n1,2\n,3\n4\n5,6\n"), Options{SkipBadLines: true})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(data, []float64{1, 2, 5, 6}) || cols != 2 || st.Skipped != 2 || st.Records != 2 {
		t.Errorf("got %v %d %+v; want [1 2 5 6], 2 columns, 2 skipped", data, cols, st)
	}
}
