package sequences

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
)

// loadSPMF reads SPMF's sequence format: items separated by spaces, -1
// closing an itemset and -2 a sequence. Untimed: an itemset's time is its
// position in the sequence.
func loadSPMF(t testing.TB, path string) []Sequence {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var db []Sequence
	var seq Sequence
	var items []Item
	for _, f := range strings.Fields(string(data)) {
		switch f {
		case "-1":
			seq = append(seq, Event{Time: int64(len(seq)), Items: items})
			items = nil
		case "-2":
			db = append(db, seq)
			seq = nil
		default:
			x, err := strconv.ParseUint(f, 10, 32)
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			items = append(items, Item(x))
		}
	}
	return db
}

// TestSPMFPrefixSpanExample checks SPMF's documented result on its
// PrefixSpan example: 53 patterns at 50% (a count of 2), with supports
// checked by hand for a few of them and for all of them by the oracle.
func TestSPMFPrefixSpanExample(t *testing.T) {
	path := filepath.Join("testdata", "spmf-example-sequences.txt")
	db := loadSPMF(t, path)
	if len(db) != 4 {
		t.Fatalf("loaded %d sequences; want 4", len(db))
	}
	opt := Options{MinCount: 2}
	got, err := Mine(db, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 53 {
		t.Errorf("got %d patterns; want 53 (SPMF PrefixSpan at 50%%)", len(got))
	}
	for pat, want := range map[string]int{
		"(1)":       4,
		"(1)(2)":    4,
		"(1)(3)":    4,
		"(1 2)(6)":  2,
		"(1)(3)(2)": 3,
		"(1 2)(4)":  2,
		"(5)(2)":    2,
		"(7)":       0,
		"(1 2 3)":   0,
	} {
		if s := supportOf(got, pat); s != want {
			t.Errorf("support of %s = %d; want %d", pat, s, want)
		}
	}
	checkAgainstOracle(t, got, oracleMine(db, opt))

	// Constrained runs on the same data, against the oracle.
	for _, c := range []Options{
		{MinCount: 2, MaxGap: 1},
		{MinCount: 2, MinGap: 2},
		{MinCount: 2, MaxWindow: 2},
		{MinCount: 2, MaxGap: 2, MaxWindow: 3, MaxLength: 3},
	} {
		got, err := Mine(db, c)
		if err != nil {
			t.Fatal(err)
		}
		t.Run("", func(t *testing.T) { checkAgainstOracle(t, got, oracleMine(db, c)) })
	}
}

// TestSPMFExampleMatchesShared checks that the testdata copy is the shared
// dataset's file.
func TestSPMFExampleMatchesShared(t *testing.T) {
	shared, err := os.ReadFile(testenv.Shared(t, "spmf-example-sequences.txt"))
	if err != nil {
		t.Fatal(err)
	}
	local, err := os.ReadFile(filepath.Join("testdata", "spmf-example-sequences.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(shared, local) {
		t.Errorf("testdata/spmf-example-sequences.txt differs from the shared dataset")
	}
}
