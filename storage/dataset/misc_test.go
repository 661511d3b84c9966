package dataset_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
)

// fnv1a64 is the hash rule written out from its definition, to pin
// CustomerBucket: the documented rule must never change under stored data.
func fnv1a64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func TestCustomerBucket(t *testing.T) {
	for _, id := range []string{"", "a", "17850", "12583", "C536379", "ünïcode"} {
		for _, n := range []int{1, 2, 7, 64} {
			t.Run(fmt.Sprintf("%q/%d", id, n), func(t *testing.T) {
				if got, want := dataset.CustomerBucket(id, n), int(fnv1a64(id)%uint64(n)); got != want {
					t.Fatalf("got bucket %d; want %d", got, want)
				}
			})
		}
	}
}

// TestGroceriesCRLF imports a CRLF log without an order column with its
// own column names and compares the rows.
func TestGroceriesCRLF(t *testing.T) {
	path := testenv.Path(t, "groceries-sample.csv.gz")
	store := newLocal(t)
	cols := format.Columns{Customer: "Member_number", Time: "Date", Item: "itemDescription"}
	importFile(t, store, "g", dataset.Options{Spec: dataset.Spec{Format: format.FormatCSV, Columns: cols, Partitions: 3}}, fileSource(t, path))
	d, parts := readAll(t, store, "g", 0)
	if got, want := partitionRows(t, d, parts), rawRows(t, path, cols, false); !slices.Equal(got, want) {
		t.Fatalf("got %d rows; want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
	}
	if d.Manifest.Counts.Records != 9659 {
		t.Errorf("got %d rows; want 9659", d.Manifest.Counts.Records)
	}
}

// TestSPMFSequences reads the SPMF example back as sequences.
func TestSPMFSequences(t *testing.T) {
	path := testenv.Path(t, "spmf-example-sequences.txt")
	store := newLocal(t)
	importFile(t, store, "s", dataset.Options{Spec: dataset.Spec{Format: format.FormatSPMF, Partitions: 2}}, fileSource(t, path))
	d, err := dataset.Open(context.Background(), store, "s", 0)
	if err != nil {
		t.Fatal(err)
	}
	items, _ := d.Items(context.Background())
	name := func(it uint32) string { return items[it].Name }
	var got []string
	for i := range d.Manifest.Partitions {
		_, seqs, err := d.ReadSequences(context.Background(), i, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range seqs {
			got = append(got, seqString(s, name))
		}
	}
	f, err := format.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	raw, _, err := format.ReadSPMFSequences(f, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, s := range raw {
		want = append(want, seqString(s, func(it uint32) string { return fmt.Sprint(it) }))
	}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %q; want %q", got, want)
	}
	// Item ids keep the numeric order of the raw ids.
	for i := 1; i < len(items); i++ {
		var a, b int
		fmt.Sscan(items[i-1].Name, &a)
		fmt.Sscan(items[i].Name, &b)
		if a >= b {
			t.Fatalf("items %q and %q out of numeric order", items[i-1].Name, items[i].Name)
		}
	}
}
