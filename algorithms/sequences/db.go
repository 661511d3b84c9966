package sequences

import (
	"fmt"
	"slices"
)

// validateDB checks the input rules: event items sorted ascending without
// duplicates and event times strictly increasing within a sequence. Empty
// events and empty sequences are allowed (they contain nothing).
func validateDB(db []Sequence) error {
	for i, seq := range db {
		for k, ev := range seq {
			if k > 0 && ev.Time <= seq[k-1].Time {
				return fmt.Errorf("%w: sequence %d: event %d: time %d is not after the previous event's %d",
					ErrInvalidInput, i, k, ev.Time, seq[k-1].Time)
			}
			for m := 1; m < len(ev.Items); m++ {
				if ev.Items[m] <= ev.Items[m-1] {
					return fmt.Errorf("%w: sequence %d: event %d: items are not sorted ascending without duplicates (%d after %d)",
						ErrInvalidInput, i, k, ev.Items[m], ev.Items[m-1])
				}
			}
		}
	}
	return nil
}

// flatDB is a validated database restricted to its frequent items, with the
// items renumbered densely (0..len(orig)-1) in ascending original order, so
// comparisons of dense ids agree with comparisons of items. Events left
// without items and sequences left without events are dropped: only the
// times of matched events enter the constraints, so this loses nothing.
type flatDB struct {
	seqEv []int32 // sequence s holds events seqEv[s] .. seqEv[s+1]-1
	evOff []int32 // event e holds items evOff[e] .. evOff[e+1]-1
	times []int64 // time of each event
	items []int32 // dense item ids
	orig  []Item  // dense id -> item
	sup   []int32 // dense id -> number of sequences containing it
	occ   []int32 // dense id -> number of events containing it
}

// itemIndex maps items to temporary ids, through a slice when the item ids
// are small enough and a map otherwise.
type itemIndex struct {
	dense []int32 // item -> id+1, 0 when unseen
	m     map[Item]int32
	items []Item // id -> item
}

func newItemIndex(maxItem Item, occurrences int) *itemIndex {
	if uint64(maxItem) < 1<<20 || uint64(maxItem) <= 4*uint64(occurrences) {
		return &itemIndex{dense: make([]int32, int(maxItem)+1)}
	}
	return &itemIndex{m: make(map[Item]int32)}
}

// id returns the item's id, assigning the next one on first sight.
func (x *itemIndex) id(it Item) int32 {
	if x.dense != nil {
		v := x.dense[it]
		if v == 0 {
			x.items = append(x.items, it)
			v = int32(len(x.items))
			x.dense[it] = v
		}
		return v - 1
	}
	v, ok := x.m[it]
	if !ok {
		v = int32(len(x.items))
		x.items = append(x.items, it)
		x.m[it] = v
	}
	return v
}

// lookup returns the item's id, or -1 when it was never assigned.
func (x *itemIndex) lookup(it Item) int32 {
	if x.dense != nil {
		if int(it) >= len(x.dense) {
			return -1
		}
		return x.dense[it] - 1
	}
	v, ok := x.m[it]
	if !ok {
		return -1
	}
	return v
}

// newFlatDB encodes a validated database keeping the items contained in at
// least minCount sequences.
func newFlatDB(db []Sequence, minCount int) *flatDB {
	var maxItem Item
	occurrences := 0
	for _, seq := range db {
		for _, ev := range seq {
			if n := len(ev.Items); n > 0 {
				occurrences += n
				maxItem = max(maxItem, ev.Items[n-1])
			}
		}
	}
	idx := newItemIndex(maxItem, occurrences)
	var sup, last []int32
	for s, seq := range db {
		for _, ev := range seq {
			for _, it := range ev.Items {
				id := idx.id(it)
				if int(id) == len(sup) {
					sup = append(sup, 0)
					last = append(last, -1)
				}
				if last[id] != int32(s) {
					last[id] = int32(s)
					sup[id]++
				}
			}
		}
	}
	// Frequent items in ascending item order get dense ids.
	var freq []Item
	for id, it := range idx.items {
		if int(sup[id]) >= minCount {
			freq = append(freq, it)
		}
	}
	slices.Sort(freq)
	dense := make([]int32, len(idx.items))
	for i := range dense {
		dense[i] = -1
	}
	f := &flatDB{orig: freq, sup: make([]int32, len(freq)), occ: make([]int32, len(freq))}
	for d, it := range freq {
		id := idx.lookup(it)
		dense[id] = int32(d)
		f.sup[d] = sup[id]
	}
	if len(freq) == 0 {
		return f
	}
	f.seqEv = append(f.seqEv, 0)
	f.evOff = append(f.evOff, 0)
	for _, seq := range db {
		for _, ev := range seq {
			n := len(f.items)
			for _, it := range ev.Items {
				if d := dense[idx.lookup(it)]; d >= 0 {
					f.items = append(f.items, d)
					f.occ[d]++
				}
			}
			if len(f.items) > n {
				f.times = append(f.times, ev.Time)
				f.evOff = append(f.evOff, int32(len(f.items)))
			}
		}
		if len(f.times) > int(f.seqEv[len(f.seqEv)-1]) {
			f.seqEv = append(f.seqEv, int32(len(f.times)))
		}
	}
	return f
}

// numSeqs returns the number of (non-empty) sequences kept.
func (f *flatDB) numSeqs() int {
	if len(f.seqEv) == 0 {
		return 0
	}
	return len(f.seqEv) - 1
}

// event returns the dense items of event e.
func (f *flatDB) event(e int32) []int32 {
	return f.items[f.evOff[e]:f.evOff[e+1]]
}
