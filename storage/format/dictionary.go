package format

import (
	"strconv"
	"strings"
)

// Dictionary maps item names to dense ids 0, 1, 2, … in the order of first
// appearance, and keeps the description each item had when first seen. The
// same sequence of additions always gives the same ids. It satisfies
// ItemNames, so results can be written with the names users know.
type Dictionary struct {
	ids     map[string]uint32
	names   []string
	descs   []string
	numeric bool
}

// NewDictionary returns an empty dictionary.
func NewDictionary() *Dictionary {
	return &Dictionary{ids: make(map[string]uint32), numeric: true}
}

// ID returns the id of name, adding it with description desc when it is
// new.
func (d *Dictionary) ID(name, desc string) uint32 {
	if id, ok := d.ids[name]; ok {
		return id
	}
	id := uint32(len(d.names))
	name, desc = strings.Clone(name), strings.Clone(desc) // do not pin the caller's line buffer
	d.ids[name] = id
	d.names = append(d.names, name)
	d.descs = append(d.descs, desc)
	if d.numeric {
		if _, err := strconv.ParseUint(name, 10, 64); err != nil {
			d.numeric = false
		}
	}
	return id
}

// Lookup returns the id of name and whether it is known.
func (d *Dictionary) Lookup(name string) (uint32, bool) {
	id, ok := d.ids[name]
	return id, ok
}

// Name returns the name of id; it panics for an id not handed out.
func (d *Dictionary) Name(id uint32) string { return d.names[id] }

// Description returns the description id had when first seen.
func (d *Dictionary) Description(id uint32) string { return d.descs[id] }

// Len returns the number of items.
func (d *Dictionary) Len() int { return len(d.names) }

// Names returns the item names indexed by id. The slice is shared; do not
// modify it.
func (d *Dictionary) Names() []string { return d.names }

// Numeric reports whether every name is a non-negative decimal integer.
func (d *Dictionary) Numeric() bool { return d.numeric }
