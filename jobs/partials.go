package jobs

import (
	"encoding/json"
	"fmt"

	"github.com/quarrydata/quarry/algorithms/sequences"
)

// encodeItemLists encodes candidate itemsets (each sorted ascending).
func encodeItemLists(sets [][]uint32) []byte {
	e := newEnc(kindItemLists)
	e.uvarint(uint64(len(sets)))
	for _, s := range sets {
		e.items(s)
	}
	return e.bytes()
}

func decodeItemLists(data []byte) ([][]uint32, error) {
	d, err := open(data, kindItemLists)
	if err != nil {
		return nil, err
	}
	n := d.count(1)
	out := make([][]uint32, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.items())
	}
	return out, d.done()
}

// encodeCounted encodes a phase-one result: item lists (itemsets) or
// element lists (sequential patterns, elements flag set) with their local
// supports.
func encodeCounted(lists [][][]uint32, supports []int, elements bool) []byte {
	k := kindCountedItemsets
	if elements {
		k = kindCountedPatterns
	}
	e := newEnc(k)
	e.uvarint(uint64(len(lists)))
	for i, l := range lists {
		if elements {
			e.uvarint(uint64(len(l)))
		}
		for _, el := range l {
			e.items(el)
		}
		e.uvarint(uint64(supports[i]))
	}
	return e.bytes()
}

// decodeCounted decodes what encodeCounted encoded.
func decodeCounted(data []byte, elements bool) ([][][]uint32, []int, error) {
	k := kindCountedItemsets
	if elements {
		k = kindCountedPatterns
	}
	d, err := open(data, k)
	if err != nil {
		return nil, nil, err
	}
	n := d.count(2)
	lists := make([][][]uint32, 0, n)
	supports := make([]int, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		m := 1
		if elements {
			m = d.count(1)
		}
		l := make([][]uint32, 0, m)
		for j := 0; j < m && d.err == nil; j++ {
			l = append(l, d.items())
		}
		lists = append(lists, l)
		supports = append(supports, int(d.uvarint()))
	}
	return lists, supports, d.done()
}

// encodeCounts encodes the counts of a candidate list, in its order.
func encodeCounts(counts []int) []byte {
	e := newEnc(kindCounts)
	e.uvarint(uint64(len(counts)))
	for _, c := range counts {
		e.uvarint(uint64(c))
	}
	return e.bytes()
}

func decodeCounts(data []byte) ([]int, error) {
	d, err := open(data, kindCounts)
	if err != nil {
		return nil, err
	}
	n := d.count(1)
	out := make([]int, n)
	for i := range out {
		out[i] = int(d.uvarint())
	}
	return out, d.done()
}

// encodePatterns encodes candidate sequential patterns (element lists).
func encodePatterns(ps [][][]uint32) []byte {
	e := newEnc(kindPatterns)
	e.uvarint(uint64(len(ps)))
	for _, p := range ps {
		e.uvarint(uint64(len(p)))
		for _, el := range p {
			e.items(el)
		}
	}
	return e.bytes()
}

func decodePatterns(data []byte) ([][][]sequences.Item, error) {
	d, err := open(data, kindPatterns)
	if err != nil {
		return nil, err
	}
	n := d.count(1)
	out := make([][][]uint32, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		k := d.count(1)
		p := make([][]uint32, 0, k)
		for j := 0; j < k && d.err == nil; j++ {
			p = append(p, d.items())
		}
		out = append(out, p)
	}
	return out, d.done()
}

// encodeStrings encodes a list of strings.
func encodeStrings(ss []string) []byte {
	e := newEnc(kindStrings)
	e.uvarint(uint64(len(ss)))
	for _, s := range ss {
		e.str(s)
	}
	return e.bytes()
}

func decodeStrings(data []byte) ([]string, error) {
	d, err := open(data, kindStrings)
	if err != nil {
		return nil, err
	}
	n := d.count(1)
	out := make([]string, 0, n)
	for i := 0; i < n && d.err == nil; i++ {
		out = append(out, d.str())
	}
	return out, d.done()
}

// encodeJSON wraps a small value's JSON in an envelope. encoding/json is
// deterministic for structs and slices and writes float64 values in the
// shortest form that reads back to the same bits.
func encodeJSON(v any) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	e := newEnc(kindJSON)
	e.b = append(e.b, b...)
	return e.bytes(), nil
}

func mustJSON(v any) []byte {
	b, err := encodeJSON(v)
	if err != nil {
		panic(err) // only called on values that always encode
	}
	return b
}

func decodeJSON(data []byte, v any) error {
	d, err := open(data, kindJSON)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(d.b[d.off:], v); err != nil {
		return fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return nil
}
