package dataset_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
)

// TestKernelInputs checks that ReadBaskets, ReadSequences and
// ReadPurchases over all partitions give what the format builders give on
// the raw file, item ids compared by name.
func TestKernelInputs(t *testing.T) {
	ctx := context.Background()
	path := testenv.Path(t, "online-retail-sample.csv.gz")
	store := newLocal(t)
	importFile(t, store, "r", dataset.Options{Spec: retailSpec(5)}, fileSource(t, path))
	d, err := dataset.Open(ctx, store, "r", 0)
	if err != nil {
		t.Fatal(err)
	}
	items, err := d.Items(ctx)
	if err != nil {
		t.Fatal(err)
	}
	name := func(it uint32) string { return items[it].Name }

	dict := format.NewDictionary()
	bb := format.NewBasketBuilder(dict)
	sb := format.NewSequenceBuilder(dict, 24*time.Hour)
	pb := format.NewPurchaseBuilder(false)
	f, err := format.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := format.ReadCSVLog(f, format.DefaultColumns(), format.LogOptions{})
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	for i := range rows {
		bb.Add(&rows[i])
		sb.Add(&rows[i])
		pb.Add(&rows[i])
	}

	t.Run("baskets", func(t *testing.T) {
		wantTx, _ := bb.Baskets()
		var want, got [][]string
		for _, tx := range wantTx {
			want = append(want, mapNames(tx, dict.Name))
		}
		for i := range d.Manifest.Partitions {
			bs, err := d.ReadBaskets(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			for _, b := range bs {
				if !slices.IsSorted(b) || len(slices.Compact(slices.Clone(b))) != len(b) {
					t.Fatalf("basket %v not sorted and deduplicated", b)
				}
				got = append(got, mapNames(b, name))
			}
		}
		if g, w := basketKeys(got), basketKeys(want); !slices.Equal(g, w) {
			t.Fatalf("got %d baskets; want %d (first difference at %d)", len(g), len(w), firstDiff(g, w))
		}
	})
	t.Run("sequences", func(t *testing.T) {
		custs, seqs := sb.Sequences()
		want := map[string]string{}
		for i, c := range custs {
			want[c] = seqString(seqs[i], dict.Name)
		}
		got := map[string]string{}
		for i := range d.Manifest.Partitions {
			cs, ss, err := d.ReadSequences(ctx, i, 24*time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			for j, c := range cs {
				got[c] = seqString(ss[j], name)
			}
		}
		if len(got) != len(want) {
			t.Fatalf("got %d sequences; want %d", len(got), len(want))
		}
		for c, w := range want {
			if got[c] != w {
				t.Fatalf("customer %s: got %s; want %s", c, got[c], w)
			}
		}
	})
	t.Run("purchases", func(t *testing.T) {
		ps, custs, _ := pb.Purchases()
		var want, got []string
		for _, p := range ps {
			want = append(want, fmt.Sprintf("%s|%d|%g|%d", custs[p.Customer], p.Time, p.Amount, p.Category))
		}
		for i := range d.Manifest.Partitions {
			pp, err := d.ReadPurchases(ctx, i)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range pp.Purchases {
				got = append(got, fmt.Sprintf("%s|%d|%g|%d", pp.Customers[p.Customer], p.Time, p.Amount, p.Category))
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("got %d purchases; want %d (first difference at %d)", len(got), len(want), firstDiff(got, want))
		}
	})
}

func mapNames(tx []uint32, name func(uint32) string) []string {
	out := []string{}
	for _, it := range tx {
		out = append(out, name(it))
	}
	return out
}

func seqString(s sequences.Sequence, name func(uint32) string) string {
	var b strings.Builder
	for _, ev := range s {
		names := mapNames(ev.Items, name)
		slices.Sort(names)
		fmt.Fprintf(&b, "<%d> %s; ", ev.Time, strings.Join(names, " "))
	}
	return b.String()
}
