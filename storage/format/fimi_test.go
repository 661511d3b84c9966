package format

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
)

func TestReadFIMI(t *testing.T) {
	tests := []struct {
		name, in string
		want     [][]uint32
	}{
		{"empty input", "", nil},
		{"one empty line", "\n", [][]uint32{{}}},
		{"leading empty basket", "\n1 2\n", [][]uint32{{}, {1, 2}}},
		{"no final newline", "1 2\n3", [][]uint32{{1, 2}, {3}}},
		{"crlf", "1 2\r\n3 4\r\n", [][]uint32{{1, 2}, {3, 4}}},
		{"tabs and spaces", "\t1  2\t\t3 \n", [][]uint32{{1, 2, 3}}},
		{"trailing spaces", "5 6 \n", [][]uint32{{5, 6}}},
		{"file order and duplicates kept", "9 1 9\n", [][]uint32{{9, 1, 9}}},
		{"max uint32", "4294967295 0\n", [][]uint32{{4294967295, 0}}},
		{"blank-only line is empty", "   \n", [][]uint32{{}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, st, err := ReadFIMI(strings.NewReader(tc.in), Options{Name: "b.dat"})
			if err != nil {
				t.Fatalf("got error %v; want none", err)
			}
			if !equalBaskets(got, tc.want) {
				t.Errorf("got %v; want %v", got, tc.want)
			}
			if st.Records != len(tc.want) {
				t.Errorf("got %d records; want %d", st.Records, len(tc.want))
			}
		})
	}
}

func equalBaskets(a, b [][]uint32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if len(a[i]) != len(b[i]) || (len(a[i]) > 0 && !reflect.DeepEqual(a[i], b[i])) {
			return false
		}
	}
	return true
}

func TestReadFIMIErrors(t *testing.T) {
	tests := []struct {
		name, in string
		line     int
		field    string
		want     string
	}{
		{"letters", "1 2\n3 x4\n", 2, "item 2", `not a non-negative integer "x4"`},
		{"negative", "1 -3\n", 1, "item 2", `negative item "-3"`},
		{"too big", "\n\n4294967296\n", 3, "item 1", `exceeds 4294967295`},
		{"decimal", "1.5\n", 1, "item 1", `"1.5"`},
		{"plus sign", "+1\n", 1, "item 1", `"+1"`},
		{"comma separated", "1,2\n", 1, "item 1", `"1,2"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadFIMI(strings.NewReader(tc.in), Options{Name: "b.dat"})
			wantLineError(t, err, "b.dat", tc.line, tc.field, tc.want, "b.dat:")
		})
	}
}

func TestFIMIErrorSticks(t *testing.T) {
	fr := NewFIMIReader(strings.NewReader("x\n1\n"), Options{})
	_, err1 := fr.Next()
	_, err2 := fr.Next()
	if err1 == nil || err1 != err2 {
		t.Errorf("got %v then %v; want the same error twice", err1, err2)
	}
	if want := `line 1: field "item 1": not a non-negative integer "x"`; err1.Error() != want {
		t.Errorf("got %q; want %q", err1.Error(), want)
	}
}

func TestFIMISkipBadLines(t *testing.T) {
	in := "1\nx\n2\n-1\n3\nz\n"
	got, st, err := ReadFIMI(strings.NewReader(in), Options{Name: "b.dat", SkipBadLines: true, MaxSamples: 2})
	if err != nil {
		t.Fatal(err)
	}
	if !equalBaskets(got, [][]uint32{{1}, {2}, {3}}) {
		t.Errorf("got %v; want [[1] [2] [3]]", got)
	}
	if st.Lines != 6 || st.Records != 3 || st.Skipped != 3 || len(st.Samples) != 2 {
		t.Errorf("got stats %+v; want 6 lines, 3 records, 3 skipped, 2 samples", st)
	}
	if s := st.Samples[1]; s.Line != 4 || s.Text != "-1" || s.Object != "b.dat" {
		t.Errorf("got sample %+v; want line 4 text -1", s)
	}
}

func TestFIMILineCap(t *testing.T) {
	tests := []struct {
		name   string
		n, max int
		ok     bool
	}{
		{"exactly the cap", 10, 10, true},
		{"one over", 11, 10, false},
		{"5 MB over 1 MiB", 5 << 20, 1 << 20, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// digits only so that a line within the cap parses
			r := io.MultiReader(strings.NewReader("7\n"), longLine(tc.n, "8\n"))
			got, _, err := ReadFIMI(r, Options{Name: "big.dat", MaxLineBytes: tc.max})
			if tc.ok {
				if err != nil || len(got) != 3 {
					t.Fatalf("got %d baskets, error %v; want 3, none", len(got), err)
				}
				return
			}
			wantLineError(t, err, "big.dat", 2, "", "longer than")
			if !errors.Is(err, ErrLineTooLong) {
				t.Errorf("got %v; want it to wrap ErrLineTooLong", err)
			}
		})
	}
	t.Run("skipped in skip mode", func(t *testing.T) {
		r := io.MultiReader(strings.NewReader("7\r\n"), longLine(3<<20, "8\r\n"))
		got, st, err := ReadFIMI(r, Options{MaxLineBytes: 1 << 20, SkipBadLines: true})
		if err != nil || !equalBaskets(got, [][]uint32{{7}, {8}}) || st.Skipped != 1 {
			t.Errorf("got %v, %+v, %v; want [[7] [8]], 1 skipped, no error", got, st, err)
		}
	})
}

func TestFIMIGzip(t *testing.T) {
	r, err := MaybeGunzip(bytes.NewReader(gz(t, "1 2\n3\n")))
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadFIMI(r, Options{})
	if err != nil || !equalBaskets(got, [][]uint32{{1, 2}, {3}}) {
		t.Errorf("got %v, %v; want [[1 2] [3]]", got, err)
	}
}

func TestFIMIRealFiles(t *testing.T) {
	tests := []struct {
		file  string
		n     int
		first []uint32
	}{
		// 21,891 newlines, but the last basket has no newline after it.
		{"retail-part.dat", 21892, []uint32{}},
		{"mushroom.dat", 8124, nil},
		{"T10I4D100K.dat", 100000, nil},
		{"kosarak25k.dat", 25000, nil},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			f, err := Open(testenv.Shared(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			got, st, err := ReadFIMI(f, Options{Name: tc.file})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != tc.n || st.Records != tc.n {
				t.Errorf("got %d baskets (%d records); want %d", len(got), st.Records, tc.n)
			}
			if tc.first != nil && len(got[0]) != len(tc.first) {
				t.Errorf("got first basket %v; want %v", got[0], tc.first)
			}
		})
	}
}

func TestRetailSample(t *testing.T) {
	f, err := os.Open(testenv.Path(t, "retail-sample.dat"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, _, err := ReadFIMI(f, Options{Name: "retail-sample.dat"})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2000 || len(got[0]) != 0 {
		t.Errorf("got %d baskets, first %v; want 2000, first empty", len(got), got[0])
	}
}
