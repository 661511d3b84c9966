package sequences

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// ev is shorthand for an event in tests.
func ev(t int64, items ...Item) Event { return Event{Time: t, Items: items} }

// supportOf returns the support of the pattern written as format writes it,
// or 0 when absent.
func supportOf(pats []Pattern, s string) int {
	for _, p := range pats {
		if format(p.Elements) == s {
			return p.Support
		}
	}
	return 0
}

// TestConstraintsNeedLaterOccurrences holds the cases where matching the
// prefix at its first occurrence would miss the pattern.
func TestConstraintsNeedLaterOccurrences(t *testing.T) {
	tests := []struct {
		name string
		db   []Sequence
		opt  Options
		pat  string
		want int
	}{
		{
			name: "max gap reaches b only from the second a",
			db:   []Sequence{{ev(0, 1), ev(10, 1), ev(11, 2)}},
			opt:  Options{MinCount: 1, MaxGap: 2},
			pat:  "(1)(2)",
			want: 1,
		},
		{
			name: "max window reaches c only from the later a b",
			db:   []Sequence{{ev(0, 1), ev(1, 2), ev(5, 1), ev(6, 2), ev(7, 3)}},
			opt:  Options{MinCount: 1, MaxWindow: 2},
			pat:  "(1)(2)(3)",
			want: 1,
		},
		{
			name: "max window needs the latest start of one end",
			// b at 6 ends (1)(2) from a at 0 and from a at 5: only the
			// start at 5 lets c at 8 fit a window of 3.
			db:   []Sequence{{ev(0, 1), ev(5, 1), ev(6, 2), ev(8, 3)}},
			opt:  Options{MinCount: 1, MaxWindow: 3},
			pat:  "(1)(2)(3)",
			want: 1,
		},
		{
			name: "itemset extension at a later end under a max gap",
			db:   []Sequence{{ev(0, 1), ev(1, 2), ev(9, 1), ev(10, 2, 3)}},
			opt:  Options{MinCount: 1, MaxGap: 1},
			pat:  "(1)(2 3)",
			want: 1,
		},
		{
			name: "min gap skips the near event",
			db:   []Sequence{{ev(0, 1), ev(1, 2), ev(3, 3)}},
			opt:  Options{MinCount: 1, MinGap: 2},
			pat:  "(1)(2)",
			want: 0,
		},
		{
			name: "max gap is inclusive",
			db:   []Sequence{{ev(0, 1), ev(3, 2)}},
			opt:  Options{MinCount: 1, MaxGap: 3},
			pat:  "(1)(2)",
			want: 1,
		},
		{
			name: "window is inclusive and spans the whole occurrence",
			db:   []Sequence{{ev(0, 1), ev(2, 2), ev(4, 3)}},
			opt:  Options{MinCount: 1, MaxGap: 2, MaxWindow: 3},
			pat:  "(1)(2)(3)",
			want: 0,
		},
		{
			name: "support counts a sequence once",
			db:   []Sequence{{ev(0, 1), ev(1, 2), ev(2, 1), ev(3, 2)}},
			opt:  Options{MinCount: 1},
			pat:  "(1)(2)",
			want: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pats, err := Mine(tt.db, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := supportOf(pats, tt.pat); got != tt.want {
				t.Errorf("Mine: support of %s = %d; want %d", tt.pat, got, tt.want)
			}
			elems := parsePattern(t, tt.pat)
			counts, err := Count(tt.db, [][][]Item{elems}, tt.opt)
			if err != nil {
				t.Fatal(err)
			}
			if counts[0] != tt.want {
				t.Errorf("Count of %s = %d; want %d", tt.pat, counts[0], tt.want)
			}
		})
	}
}

// parsePattern reads "(1 2)(3)".
func parsePattern(t *testing.T, s string) [][]Item {
	t.Helper()
	var elems [][]Item
	for _, part := range strings.Split(strings.TrimSuffix(strings.TrimPrefix(s, "("), ")"), ")(") {
		var el []Item
		for _, f := range strings.Fields(part) {
			var x Item
			for _, c := range f {
				x = x*10 + Item(c-'0')
			}
			el = append(el, x)
		}
		elems = append(elems, el)
	}
	return elems
}

func TestEdgeCases(t *testing.T) {
	tests := []struct {
		name    string
		db      []Sequence
		opt     Options
		want    int // number of patterns
		wantErr error
	}{
		{name: "nil database", db: nil, opt: Options{MinCount: 1}, want: 0},
		{name: "empty sequences", db: []Sequence{{}, {}, nil}, opt: Options{MinCount: 1}, want: 0},
		{name: "empty events", db: []Sequence{{ev(0), ev(1, 4)}, {ev(3)}}, opt: Options{MinCount: 1}, want: 1},
		{name: "nothing frequent", db: []Sequence{{ev(0, 1)}, {ev(0, 2)}}, opt: Options{MinCount: 2}, want: 0},
		{name: "max length 1", db: []Sequence{{ev(0, 1, 2), ev(1, 3)}}, opt: Options{MinCount: 1, MaxLength: 1}, want: 3},
		{name: "min count 0", db: nil, opt: Options{MinCount: 0}, wantErr: ErrInvalidOptions},
		{name: "negative min count", db: nil, opt: Options{MinCount: -1}, wantErr: ErrInvalidOptions},
		{name: "negative max length", opt: Options{MinCount: 1, MaxLength: -1}, wantErr: ErrInvalidOptions},
		{name: "negative min gap", opt: Options{MinCount: 1, MinGap: -1}, wantErr: ErrInvalidOptions},
		{name: "negative max gap", opt: Options{MinCount: 1, MaxGap: -1}, wantErr: ErrInvalidOptions},
		{name: "min gap above max gap", opt: Options{MinCount: 1, MinGap: 3, MaxGap: 2}, wantErr: ErrInvalidOptions},
		{name: "negative window", opt: Options{MinCount: 1, MaxWindow: -1}, wantErr: ErrInvalidOptions},
		{name: "negative max patterns", opt: Options{MinCount: 1, MaxPatterns: -1}, wantErr: ErrInvalidOptions},
		{name: "negative workers", opt: Options{MinCount: 1, Workers: -1}, wantErr: ErrInvalidOptions},
		{name: "unsorted items", db: []Sequence{{ev(0, 2, 1)}}, opt: Options{MinCount: 1}, wantErr: ErrInvalidInput},
		{name: "duplicate items", db: []Sequence{{ev(0, 1, 1)}}, opt: Options{MinCount: 1}, wantErr: ErrInvalidInput},
		{name: "equal times", db: []Sequence{{ev(0, 1)}, {ev(1, 1), ev(1, 2)}}, opt: Options{MinCount: 1}, wantErr: ErrInvalidInput},
		{name: "decreasing times", db: []Sequence{{ev(5, 1), ev(4, 2)}}, opt: Options{MinCount: 1}, wantErr: ErrInvalidInput},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Mine(tt.db, tt.opt)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("Mine: got error %v; want %v", err, tt.wantErr)
			}
			if err == nil && len(got) != tt.want {
				t.Errorf("Mine: got %d patterns; want %d", len(got), tt.want)
			}
			if err == nil && got == nil {
				t.Errorf("Mine: got nil; want an empty slice")
			}
		})
	}
}

func TestErrorNamesSequence(t *testing.T) {
	db := []Sequence{{ev(0, 1)}, {ev(0, 1)}, {ev(2, 1), ev(2, 3)}}
	_, err := Mine(db, Options{MinCount: 1})
	if err == nil || !strings.Contains(err.Error(), "sequence 2: event 1") {
		t.Errorf("got error %v; want one naming sequence 2, event 1", err)
	}
	_, err = MinePartitioned([][]Sequence{db[:1], db[1:]}, Options{MinCount: 1})
	if err == nil || !strings.Contains(err.Error(), "partition 1: ") {
		t.Errorf("got error %v; want one naming partition 1", err)
	}
}

func TestCountRejectsBadCandidates(t *testing.T) {
	for _, c := range [][][]Item{{}, {{}}, {{2, 1}}, {{1}, {3, 3}}} {
		if _, err := Count(nil, [][][]Item{c}, Options{}); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("Count(%v): got error %v; want ErrInvalidInput", c, err)
		}
	}
	counts, err := Count([]Sequence{{ev(0, 1), ev(1, 2)}}, [][][]Item{{{1}, {2}}, {{1}, {2}}, {{2}, {1}}}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{1, 1, 0}; !slices.Equal(counts, want) {
		t.Errorf("Count with a duplicate candidate: got %v; want %v", counts, want)
	}
}

func TestCompare(t *testing.T) {
	ordered := []string{"(1)", "(1)(2)", "(1)(2 3)", "(1)(3)", "(1 2)", "(1 2)(1)", "(2)", "(10)"}
	var pats []Pattern
	for i := len(ordered) - 1; i >= 0; i-- {
		pats = append(pats, Pattern{Elements: parsePattern(t, ordered[i])})
	}
	Sort(pats)
	for i, p := range pats {
		if got := format(p.Elements); got != ordered[i] {
			t.Errorf("position %d: got %s; want %s", i, got, ordered[i])
		}
	}
}

func TestMaxPatterns(t *testing.T) {
	db := loadSPMF(t, "testdata/spmf-example-sequences.txt")
	for _, w := range []int{1, 2} {
		for _, tt := range []struct {
			limit   int
			wantErr error
		}{{0, nil}, {53, nil}, {100, nil}, {52, ErrTooManyPatterns}, {1, ErrTooManyPatterns}} {
			got, err := Mine(db, Options{MinCount: 2, MaxPatterns: tt.limit, Workers: w})
			if !errors.Is(err, tt.wantErr) {
				t.Errorf("workers %d, max patterns %d: got error %v; want %v", w, tt.limit, err, tt.wantErr)
			}
			if err == nil && len(got) != 53 {
				t.Errorf("workers %d, max patterns %d: got %d patterns; want 53", w, tt.limit, len(got))
			}
		}
	}
	_, err := MinePartitioned([][]Sequence{db[:2], db[2:]}, Options{MinCount: 2, MaxPatterns: 10})
	if !errors.Is(err, ErrTooManyPatterns) {
		t.Errorf("MinePartitioned: got error %v; want ErrTooManyPatterns", err)
	}
}
