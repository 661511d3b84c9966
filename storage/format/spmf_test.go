package format

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/internal/testenv"
)

// ev builds an event.
func ev(t int64, items ...uint32) sequences.Event { return sequences.Event{Time: t, Items: items} }

func TestReadSPMF(t *testing.T) {
	tests := []struct {
		name, in string
		want     []sequences.Sequence
	}{
		{"empty input", "", nil},
		{"untimed", "1 -1 1 2 3 -1 -2\n", []sequences.Sequence{{ev(0, 1), ev(1, 1, 2, 3)}}},
		{"timed", "<0> 1 -1 <5> 3 1 -1 -2", []sequences.Sequence{{ev(0, 1), ev(5, 1, 3)}}},
		{"sorted and deduplicated", "3 1 3 2 -1 -2\n", []sequences.Sequence{{ev(0, 1, 2, 3)}}},
		{"comments and metadata", "# c\n% c\n@CONVERTED_FROM_TEXT\n@ITEM=1=apple\n\n1 -1 -2\n", []sequences.Sequence{{ev(0, 1)}}},
		{"crlf and tabs", "1\t-1  2 -1 -2\r\n4 -1 -2\r\n", []sequences.Sequence{{ev(0, 1), ev(1, 2)}, {ev(0, 4)}}},
		{"empty sequence", "-2\n", []sequences.Sequence{{}}},
		{"no final newline", "1 -1 -2\n2 -1 -2", []sequences.Sequence{{ev(0, 1)}, {ev(0, 2)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st, err := ReadSPMFSequences(strings.NewReader(tc.in), Options{Name: "s.txt"})
			if err != nil {
				t.Fatalf("got error %v; want none", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %v; want %v", got, tc.want)
			}
			if st.Records != len(tc.want) {
				t.Errorf("got %d records; want %d", st.Records, len(tc.want))
			}
		})
	}
}

func TestReadSPMFErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		field    string
		want     string
	}{
		{"missing -2", "1 -1 2 -1\n", 1, "token 5", "does not end with -2"},
		{"unclosed itemset", "\n1 -1 2 -2\n", 2, "token 4", "not closed by -1"},
		{"empty itemset", "1 -1 -1 -2\n", 1, "token 3", "empty itemset"},
		{"after -2", "1 -1 -2 3\n", 1, "token 4", `text after -2 "3"`},
		{"bad item", "1 a -1 -2\n", 1, "token 2", `"a"`},
		{"negative item", "-3 -1 -2\n", 1, "token 1", `negative item "-3"`},
		{"timestamps not increasing", "<1> 1 -1 <1> 2 -1 -2\n", 1, "token 4", "not after"},
		{"timestamps decreasing", "<5> 1 -1 <2> 2 -1 -2\n", 1, "token 4", "not after"},
		{"missing timestamp", "<1> 1 -1 2 -1 -2\n", 1, "token 5", "without a timestamp"},
		{"late timestamp", "1 -1 <3> 2 -1 -2\n", 1, "token 3", "earlier itemsets have none"},
		{"bad timestamp", "<x> 1 -1 -2\n", 1, "token 1", `"<x>"`},
		{"timestamp inside itemset", "1 <2> 2 -1 -2\n", 1, "token 2", "inside an itemset"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadSPMFSequences(strings.NewReader(tc.in), Options{Name: "s.txt"})
			wantLineError(t, err, "s.txt", tc.line, tc.field, tc.want, "s.txt:")
		})
	}
}

func TestSPMFSkipAndCap(t *testing.T) {
	in := "1 -1 -2\nbad\n" + strings.Repeat("1 ", 100) + "-1 -2\n2 -1 -2\n"
	got, st, err := ReadSPMFSequences(strings.NewReader(in), Options{SkipBadLines: true, MaxLineBytes: 50})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || st.Skipped != 2 || st.Samples[1].Line != 3 {
		t.Errorf("got %d sequences, %+v; want 2, 2 skipped, second sample at line 3", len(got), st)
	}
}

func TestSPMFExampleFile(t *testing.T) {
	want0 := sequences.Sequence{ev(0, 1), ev(1, 1, 2, 3), ev(2, 1, 3), ev(3, 4), ev(4, 3, 6)}
	for _, path := range []string{testenv.Path(t, "spmf-example-sequences.txt"), testenv.Shared(t, "spmf-example-sequences.txt")} {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, st, err := ReadSPMFSequences(f, Options{Name: path})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 4 || st.Lines != 4 {
			t.Fatalf("got %d sequences over %d lines; want 4 over 4", len(got), st.Lines)
		}
		if !reflect.DeepEqual(got[0], want0) {
			t.Errorf("got first sequence %v; want %v", got[0], want0)
		}
		if n := len(got[3]); n != 6 {
			t.Errorf("got %d events in the last sequence; want 6", n)
		}
	}
}
