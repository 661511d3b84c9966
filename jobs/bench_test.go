package jobs

import (
	"context"
	"fmt"
	"testing"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/format"
)

// The benchmarks compare RunLocal (2 goroutines, local-folder store,
// partitions imported beforehand) with the single-process kernel on the
// parsed file (parsing excluded), on the shared datasets.

func BenchmarkItemsetsT10I4D100K(b *testing.B) {
	in := input{path: testenv.Shared(b, "T10I4D100K.dat"), ff: format.FormatFIMI}
	txs, _ := refBaskets(b, in)
	b.Run("mine", func(b *testing.B) {
		for b.Loop() {
			if _, err := itemsets.Mine(txs, itemsets.Options{MinCount: 100, Workers: 2}); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, p := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("job/P%d", p), func(b *testing.B) {
			store := newStore(b)
			importInput(b, store, "t", in, p)
			for b.Loop() {
				if _, err := RunLocal(context.Background(), store, Spec{Type: TypeItemsets, Dataset: "t", Itemsets: &ItemsetsSpec{MinSupport: 100}}, LocalOptions{Workers: 2}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSequencesGroceries(b *testing.B) {
	in := input{path: testenv.Shared(b, "groceries.csv"), ff: format.FormatCSV, cols: groceryCols}
	seqs, _ := refSequences(b, in, 0)
	b.Run("mine", func(b *testing.B) {
		for b.Loop() {
			if _, err := sequences.Mine(seqs, sequences.Options{MinCount: 39, Workers: 2}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("job/P4", func(b *testing.B) {
		store := newStore(b)
		importInput(b, store, "g", in, 4)
		for b.Loop() {
			if _, err := RunLocal(context.Background(), store, Spec{Type: TypeSequences, Dataset: "g", Sequences: &SequencesSpec{MinSupport: 0.01}}, LocalOptions{Workers: 2}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkSegmentsOnlineRetail(b *testing.B) {
	in := input{path: testenv.Shared(b, "online-retail-part.csv"), ff: format.FormatCSV, cols: retailCols, skip: true}
	b.Run("job/P4", func(b *testing.B) {
		store := newStore(b)
		importInput(b, store, "o", in, 4)
		for b.Loop() {
			if _, err := RunLocal(context.Background(), store, Spec{Type: TypeSegments, Dataset: "o", Segments: &SegmentsSpec{K: 5}}, LocalOptions{Workers: 2}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
