package sequences

import (
	"cmp"
	"encoding/binary"
	"slices"
)

// Compare orders patterns canonically: element by element, the first
// differing element decides; elements compare item by item, the first
// differing item decides and an element that is a proper prefix of the other
// comes first; a pattern whose elements are a proper prefix of the other's
// comes first; equal element lists are ordered by support. It returns -1, 0
// or +1. For example ⟨(1)⟩ < ⟨(1)(2)⟩ < ⟨(1)(2 3)⟩ < ⟨(1 2)⟩ < ⟨(2)⟩.
func Compare(a, b Pattern) int {
	if c := CompareElements(a.Elements, b.Elements); c != 0 {
		return c
	}
	return cmp.Compare(a.Support, b.Support)
}

// CompareElements is Compare without the support.
func CompareElements(a, b [][]Item) int {
	for i := range min(len(a), len(b)) {
		if c := slices.Compare(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

// Sort sorts patterns into the canonical order of Compare, so that results
// of different runs, partitionings and worker counts can be compared and
// diffed directly.
func Sort(patterns []Pattern) {
	slices.SortFunc(patterns, Compare)
}

// Len returns the number of items of the pattern, summed over its
// elements: the length MaxLength bounds.
func (p Pattern) Len() int {
	n := 0
	for _, e := range p.Elements {
		n += len(e)
	}
	return n
}

// key encodes a pattern's elements as a map key: per element its length,
// then its items.
func key(elems [][]Item) string {
	n := 0
	for _, e := range elems {
		n += 4 + 4*len(e)
	}
	b := make([]byte, 0, n)
	for _, e := range elems {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(e)))
		for _, it := range e {
			b = binary.LittleEndian.AppendUint32(b, it)
		}
	}
	return string(b)
}
