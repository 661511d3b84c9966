package sequences

import (
	"slices"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
)

// loadFIMIBlocks reads a FIMI file as customer histories: every block of
// size baskets is one sequence, time = position in the block; size 0 reads
// each line as a click stream, one event per item.
func loadFIMIBlocks(b *testing.B, name string, size int) []Sequence {
	b.Helper()
	var db []Sequence
	var seq Sequence
	for _, items := range testenv.ReadFIMI(b, testenv.Shared(b, name)) {
		if size == 0 {
			seq = nil
			for i, x := range items {
				seq = append(seq, Event{Time: int64(i), Items: []Item{x}})
			}
			db = append(db, seq)
			continue
		}
		slices.Sort(items)
		seq = append(seq, Event{Time: int64(len(seq)), Items: slices.Compact(items)})
		if len(seq) == size {
			db = append(db, seq)
			seq = nil
		}
	}
	return db
}

func BenchmarkMine(b *testing.B) {
	benches := []struct {
		name    string
		dataset string
		block   int
		opt     Options
	}{
		{"kosarak/63", "kosarak25k.dat", 0, Options{MinCount: 63}},
		{"kosarak/25-maxgap3", "kosarak25k.dat", 0, Options{MinCount: 25, MaxGap: 3}},
		{"kosarak/25-window10", "kosarak25k.dat", 0, Options{MinCount: 25, MaxWindow: 10}},
		{"retail5/88", "retail-part.dat", 5, Options{MinCount: 88}},
		{"T10I4D100K-10/200", "T10I4D100K.dat", 10, Options{MinCount: 200}},
		{"T10I4D100K-10/50-maxgap2", "T10I4D100K.dat", 10, Options{MinCount: 50, MaxGap: 2}},
	}
	for _, bb := range benches {
		b.Run(bb.name, func(b *testing.B) {
			db := loadFIMIBlocks(b, bb.dataset, bb.block)
			b.ResetTimer()
			for b.Loop() {
				if _, err := Mine(db, bb.opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkCount counts the patterns mined from kosarak at 0.25% (8,396)
// over the whole file, as phase two of a partitioned run does.
func BenchmarkCount(b *testing.B) {
	db := loadFIMIBlocks(b, "kosarak25k.dat", 0)
	for _, opt := range []Options{{MinCount: 63}, {MinCount: 25, MaxGap: 3}} {
		pats, err := Mine(db, opt)
		if err != nil {
			b.Fatal(err)
		}
		cands := make([][][]Item, len(pats))
		for i, p := range pats {
			cands[i] = p.Elements
		}
		name := "unconstrained"
		if opt.MaxGap > 0 {
			name = "maxgap3"
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Count(db, cands, opt); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
