package dataset_test

import (
	"cmp"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/dataset"
)

// randomPartition returns a random, well-ordered partition of kind k.
func randomPartition(r *rand.Rand, k dataset.Kind) *dataset.Partition {
	p := &dataset.Partition{Kind: k, Categories: r.IntN(2) == 0}
	items := func() []uint32 {
		n := r.IntN(6)
		out := make([]uint32, n)
		for i := range out {
			out[i] = uint32(r.IntN(50))
		}
		slices.Sort(out)
		return out
	}
	numbers := []float64{0, 1, -3, 2.55, 0.1, 1e300, math.Copysign(0, -1), 12345.67, 1.0 / 3}
	switch k {
	case dataset.KindBaskets:
		for range r.IntN(8) {
			p.Baskets = append(p.Baskets, items())
		}
	case dataset.KindSequences:
		for range r.IntN(6) {
			seq := sequences.Sequence{}
			t := int64(r.IntN(10) - 5)
			for range r.IntN(4) {
				t += int64(1 + r.IntN(1000))
				seq = append(seq, sequences.Event{Time: t, Items: slices.Compact(items())})
			}
			p.Sequences = append(p.Sequences, seq)
		}
	case dataset.KindLog:
		ids := map[string]bool{}
		for range r.IntN(5) {
			ids[string(rune('a'+r.IntN(8)))] = true
		}
		for _, id := range slices.Sorted(func(yield func(string) bool) {
			for id := range ids {
				if !yield(id) {
					return
				}
			}
		}) {
			c := dataset.Customer{ID: id}
			for o := range r.IntN(4) {
				t := int64(r.IntN(3)) * 1e9 * 60
				if r.IntN(4) == 0 {
					t += int64(r.IntN(1e9))
				}
				ord := dataset.Order{ID: strings.Repeat("o", o+1), Time: t, Cancel: r.IntN(3) == 0}
				for _, it := range items() {
					l := dataset.Line{Item: it, Quantity: numbers[r.IntN(len(numbers))], Price: numbers[r.IntN(len(numbers))], Category: -1, Time: t}
					if p.Categories {
						l.Category = int32(r.IntN(4) - 1)
					}
					if r.IntN(5) == 0 {
						l.Time += int64(r.IntN(5000))
					}
					ord.Lines = append(ord.Lines, l)
				}
				c.Orders = append(c.Orders, ord)
			}
			slices.SortFunc(c.Orders, func(x, y dataset.Order) int { return cmp.Or(cmp.Compare(x.Time, y.Time), strings.Compare(x.ID, y.ID)) })
			p.Customers = append(p.Customers, c)
		}
	}
	return p
}

// normalise makes nil and empty slices compare equal.
func normalise(p *dataset.Partition) {
	if len(p.Baskets) == 0 {
		p.Baskets = nil
	}
	if len(p.Sequences) == 0 {
		p.Sequences = nil
	}
	if len(p.Customers) == 0 {
		p.Customers = nil
	}
	for i := range p.Baskets {
		if len(p.Baskets[i]) == 0 {
			p.Baskets[i] = nil
		}
	}
	for i := range p.Sequences {
		if len(p.Sequences[i]) == 0 {
			p.Sequences[i] = nil
		}
		for j := range p.Sequences[i] {
			if len(p.Sequences[i][j].Items) == 0 {
				p.Sequences[i][j].Items = nil
			}
		}
	}
	for i := range p.Customers {
		if len(p.Customers[i].Orders) == 0 {
			p.Customers[i].Orders = nil
		}
		for j := range p.Customers[i].Orders {
			if len(p.Customers[i].Orders[j].Lines) == 0 {
				p.Customers[i].Orders[j].Lines = nil
			}
		}
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, k := range []dataset.Kind{dataset.KindBaskets, dataset.KindSequences, dataset.KindLog} {
		t.Run(string(k), func(t *testing.T) {
			for i := range 3000 {
				want := randomPartition(r, k)
				got, err := dataset.Decode(dataset.Encode(want), 50)
				if err != nil {
					t.Fatalf("case %d: %v", i, err)
				}
				normalise(want)
				normalise(got)
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("case %d: got %+v; want %+v", i, got, want)
				}
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	good := dataset.Encode(&dataset.Partition{Kind: dataset.KindBaskets, Baskets: [][]uint32{{1, 2, 3}}})
	flip := func(i int) []byte {
		b := slices.Clone(good)
		b[i] ^= 0x10
		return b
	}
	cases := []struct {
		name   string
		data   []byte
		nItems int
	}{
		{"empty", nil, 0},
		{"bad magic", flip(0), 0},
		{"bad version", flip(4), 0},
		{"bad body", flip(8), 0},
		{"bad trailer", flip(len(good) - 1), 0},
		{"truncated", good[:len(good)-1], 0},
		{"item beyond the dictionary", good, 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := dataset.Decode(tc.data, tc.nItems); !errors.Is(err, dataset.ErrCorrupt) {
				t.Fatalf("got %v; want ErrCorrupt", err)
			}
		})
	}
}

// FuzzDecodePartition feeds arbitrary bytes to the decoder, with a valid
// CRC trailer added half of the time so that the body parser is reached:
// no panic, and no allocation out of proportion to the input.
func FuzzDecodePartition(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for _, k := range []dataset.Kind{dataset.KindBaskets, dataset.KindSequences, dataset.KindLog} {
		for range 5 {
			f.Add(dataset.Encode(randomPartition(r, k)), true)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, fixCRC bool) {
		if fixCRC {
			data = dataset.WithTrailer(data)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		p, err := dataset.Decode(data, 0)
		runtime.ReadMemStats(&after)
		if grew := after.TotalAlloc - before.TotalAlloc; grew > uint64(64*len(data)+1<<16) {
			t.Fatalf("decoding %d bytes allocated %d bytes", len(data), grew)
		}
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes when it is well
		// ordered; at least it must encode without panicking.
		_ = dataset.Encode(p)
	})
}
