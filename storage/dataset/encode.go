package dataset

import (
	"encoding/binary"
	"hash/crc32"
	"math"
)

// The partition encoding (".qp", version 1). All integers are varints
// (encoding/binary's uvarint, and zigzag varint for signed values):
//
//	header:  "QPRT" | version byte (1) | kind byte (1 baskets, 2 sequences, 3 log)
//	         | uvarint flags (bit 0: log lines carry a category)
//	         | uvarint record count
//	body:    the records (below)
//	trailer: CRC-32C (Castagnoli) of everything before it, 4 bytes little endian
//
// A sorted list of item ids is its length, then the first id, then the
// difference of each id from the one before (0 for a repeated id).
//
//	basket:   item list
//	sequence: uvarint events, then per event: varint time − previous event's
//	          time (the first from 0), item list
//	customer: string id, uvarint orders, then per order:
//	          string id | uvarint order flags (bit 0 cancel, bit 1 lines
//	          have their own times, bit 2 sub-second time)
//	          | varint seconds − previous order's seconds in the partition
//	          | [uvarint nanoseconds if bit 2] | uvarint lines, then per line:
//	          uvarint item − previous item | number quantity | number price
//	          | [uvarint category+1 if header bit 0]
//	          | [varint line time − order time in ns if bit 1]
//	string:   uvarint length, bytes
//	number:   uvarint zigzag(n)<<2 | k, where k=0: the value is n; k=1: the
//	          value is n/100 (exact cents); k=2: the 8 bytes of the float64
//	          follow, little endian.
const (
	magic          = "QPRT"
	formatVersion  = 1
	flagCategories = 1

	orderCancel   = 1
	orderMixed    = 2
	orderSubFirst = 4

	trailerLen = 4
)

// castagnoli is the CRC-32C table of the trailer.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// encoder appends the encoding to a byte slice.
type encoder struct{ b []byte }

func (e *encoder) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *encoder) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }

func (e *encoder) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// maxExact bounds the integers that a float64 holds exactly.
const maxExact = 1 << 53

func (e *encoder) number(v float64) {
	zz := func(n int64) uint64 { return uint64(n<<1) ^ uint64(n>>63) }
	if !(v == 0 && math.Signbit(v)) {
		if t := math.Trunc(v); t == v && math.Abs(t) < maxExact {
			e.uvarint(zz(int64(t)) << 2)
			return
		}
		if c := math.Round(v * 100); math.Abs(c) < maxExact && c/100 == v {
			e.uvarint(zz(int64(c))<<2 | 1)
			return
		}
	}
	e.uvarint(2)
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v))
}

// items writes a sorted item list.
func (e *encoder) items(items []uint32) {
	e.uvarint(uint64(len(items)))
	prev := uint32(0)
	for _, it := range items {
		e.uvarint(uint64(it - prev))
		prev = it
	}
}

// Encode returns the encoding of p. Baskets and event items must be sorted
// ascending, customers sorted by id, orders by (Time, ID) and lines by item;
// the builders of this package produce them so.
func Encode(p *Partition) []byte {
	e := &encoder{b: make([]byte, 0, 1<<16)}
	e.b = append(e.b, magic...)
	e.b = append(e.b, formatVersion, kindByte[p.Kind])
	var flags uint64
	if p.Categories {
		flags |= flagCategories
	}
	e.uvarint(flags)
	e.uvarint(uint64(p.Records()))
	switch p.Kind {
	case KindBaskets:
		for _, b := range p.Baskets {
			e.items(b)
		}
	case KindSequences:
		for _, s := range p.Sequences {
			e.uvarint(uint64(len(s)))
			prev := int64(0)
			for _, ev := range s {
				e.varint(ev.Time - prev)
				prev = ev.Time
				e.items(ev.Items)
			}
		}
	case KindLog:
		e.customers(p.Customers, p.Categories)
	}
	e.b = binary.LittleEndian.AppendUint32(e.b, crc32.Checksum(e.b, castagnoli))
	return e.b
}

func (e *encoder) customers(cs []Customer, cats bool) {
	prevSec := int64(0)
	for _, c := range cs {
		e.str(c.ID)
		e.uvarint(uint64(len(c.Orders)))
		for i := range c.Orders {
			o := &c.Orders[i]
			sec, nsec := splitNanos(o.Time)
			var flags uint64
			if o.Cancel {
				flags |= orderCancel
			}
			for _, l := range o.Lines {
				if l.Time != o.Time {
					flags |= orderMixed
					break
				}
			}
			if nsec != 0 {
				flags |= orderSubFirst
			}
			e.str(o.ID)
			e.uvarint(flags)
			e.varint(sec - prevSec)
			prevSec = sec
			if nsec != 0 {
				e.uvarint(uint64(nsec))
			}
			e.uvarint(uint64(len(o.Lines)))
			prevItem := uint32(0)
			for _, l := range o.Lines {
				e.uvarint(uint64(l.Item - prevItem))
				prevItem = l.Item
				e.number(l.Quantity)
				e.number(l.Price)
				if cats {
					e.uvarint(uint64(l.Category + 1))
				}
				if flags&orderMixed != 0 {
					e.varint(l.Time - o.Time)
				}
			}
		}
	}
}

// splitNanos splits Unix nanoseconds into seconds and a non-negative
// remainder.
func splitNanos(ns int64) (sec, nsec int64) {
	sec, nsec = ns/1e9, ns%1e9
	if nsec < 0 {
		sec, nsec = sec-1, nsec+1e9
	}
	return sec, nsec
}
