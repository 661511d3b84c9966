package dataset

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"

	"github.com/quarrydata/quarry/algorithms/sequences"
)

// ErrCorrupt is wrapped by every error about a partition object that does
// not decode: bad magic, version or checksum, or a malformed body.
var ErrCorrupt = errors.New("corrupt partition")

// cursor reads the varints of a partition body. The first error sticks:
// later reads return zeros, and err says what went wrong.
type cursor struct {
	b   []byte
	off int
	err error
}

func (c *cursor) fail(format string, args ...any) {
	if c.err == nil {
		c.err = fmt.Errorf("%w: at byte %d: %s", ErrCorrupt, c.off, fmt.Sprintf(format, args...))
	}
	c.off = len(c.b)
}

func (c *cursor) left() int { return len(c.b) - c.off }

func (c *cursor) uvarint() uint64 {
	if c.off < len(c.b) && c.b[c.off] < 0x80 { // the common one-byte case
		v := uint64(c.b[c.off])
		c.off++
		return v
	}
	v, n := binary.Uvarint(c.b[c.off:])
	if n <= 0 {
		c.fail("bad varint")
		return 0
	}
	c.off += n
	return v
}

func (c *cursor) varint() int64 {
	v, n := binary.Varint(c.b[c.off:])
	if n <= 0 {
		c.fail("bad varint")
		return 0
	}
	c.off += n
	return v
}

// count reads a length whose elements take at least minBytes each, so that
// it cannot exceed what is left of the input.
func (c *cursor) count(minBytes int) int {
	v := c.uvarint()
	if v > uint64(c.left()/minBytes) {
		c.fail("count %d exceeds the %d bytes left", v, c.left())
		return 0
	}
	return int(v)
}

func (c *cursor) bytes() []byte {
	n := c.count(1)
	s := c.b[c.off : c.off+n]
	c.off += n
	return s
}

func (c *cursor) number() float64 {
	v := c.uvarint()
	n := int64(v>>3) ^ -int64(v>>2&1) // un-zigzag v>>2
	switch v & 3 {
	case 0:
		return float64(n)
	case 1:
		return float64(n) / 100
	case 2:
		if v != 2 || c.left() < 8 {
			c.fail("bad raw number")
			return 0
		}
		f := math.Float64frombits(binary.LittleEndian.Uint64(c.b[c.off:]))
		c.off += 8
		return f
	}
	c.fail("bad number tag")
	return 0
}

// item adds a delta to the previous item id, checking the result against
// the dictionary size (0: any uint32).
func (c *cursor) item(prev uint32, nItems int) uint32 {
	v := uint64(prev) + c.uvarint()
	if v > math.MaxUint32 || (nItems > 0 && v >= uint64(nItems)) {
		c.fail("item id %d out of range", v)
		return 0
	}
	return uint32(v)
}

// items appends k delta-encoded item ids to dst. It is the hot loop of
// the decoders, written out for the common one-byte varint.
func (c *cursor) items(dst []uint32, k, nItems int) []uint32 {
	limit := uint64(math.MaxUint32) + 1
	if nItems > 0 {
		limit = uint64(nItems)
	}
	b, off, cur := c.b, c.off, uint64(0)
	for range k {
		var v uint64
		if off < len(b) && b[off] < 0x80 {
			v = uint64(b[off])
			off++
		} else if off+1 < len(b) && b[off+1] < 0x80 {
			v = uint64(b[off]&0x7f) | uint64(b[off+1])<<7
			off += 2
		} else {
			var n int
			v, n = binary.Uvarint(b[off:])
			if n <= 0 {
				c.off = off
				c.fail("bad varint")
				return dst
			}
			off += n
		}
		cur += v
		if cur >= limit {
			c.off = off
			c.fail("item id %d out of range", cur)
			return dst
		}
		dst = append(dst, uint32(cur))
	}
	c.off = off
	return dst
}

// header is what the fixed part of a partition says.
type header struct {
	kind    Kind
	flags   uint64
	records int
}

// open checks the magic, version and trailer of data and returns its
// header and a cursor on the body.
func open(data []byte) (header, *cursor, error) {
	var h header
	if len(data) < len(magic)+2+trailerLen || string(data[:len(magic)]) != magic {
		return h, nil, fmt.Errorf("%w: not a partition (bad magic)", ErrCorrupt)
	}
	if v := data[len(magic)]; v != formatVersion {
		return h, nil, fmt.Errorf("%w: unsupported version %d", ErrCorrupt, v)
	}
	k, ok := byteKind(data[len(magic)+1])
	if !ok {
		return h, nil, fmt.Errorf("%w: unknown kind %d", ErrCorrupt, data[len(magic)+1])
	}
	body := data[:len(data)-trailerLen]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(data[len(body):]); got != want {
		return h, nil, fmt.Errorf("%w: CRC-32C %08x, trailer says %08x", ErrCorrupt, got, want)
	}
	c := &cursor{b: body, off: len(magic) + 2}
	h.kind = k
	h.flags = c.uvarint()
	h.records = c.count(1)
	return h, c, c.err
}

// done reports a body that was not consumed exactly.
func (c *cursor) done() error {
	if c.err == nil && c.off != len(c.b) {
		c.fail("%d bytes after the last record", c.left())
	}
	return c.err
}

// Decode decodes a whole partition object, checking it completely. nItems
// is the dictionary size that item ids must stay below (0: no check). It
// never panics, and allocates memory proportional to len(data) at most.
func Decode(data []byte, nItems int) (*Partition, error) {
	h, c, err := open(data)
	if err != nil {
		return nil, err
	}
	p := &Partition{Kind: h.kind, Categories: h.flags&flagCategories != 0}
	switch h.kind {
	case KindBaskets:
		p.Baskets = decodeBaskets(c, h.records, nItems, 0)
	case KindSequences:
		p.Sequences = decodeSequences(c, h.records, nItems)
	case KindLog:
		v := &partVisitor{p: p}
		walkLog(c, h, nItems, v)
	}
	if err := c.done(); err != nil {
		return nil, err
	}
	return p, nil
}

// decodeBaskets reads n baskets into one shared slab, whose size is
// rowsHint when it is plausible (the manifest's count of item occurrences).
func decodeBaskets(c *cursor, n, nItems, rowsHint int) [][]uint32 {
	out := make([][]uint32, 0, n)
	if rowsHint <= 0 || rowsHint > c.left() {
		rowsHint = c.left()
	}
	slab := make([]uint32, 0, rowsHint)
	for range n {
		k := c.count(1)
		start := len(slab)
		slab = c.items(slab, k, nItems)
		if c.err != nil {
			return nil
		}
		out = append(out, slab[start:len(slab):len(slab)])
	}
	return out
}

// decodeSequences reads n sequences.
func decodeSequences(c *cursor, n, nItems int) []sequences.Sequence {
	out := make([]sequences.Sequence, 0, n)
	slab := make([]uint32, 0, c.left())
	for range n {
		k := c.count(2)
		seq := make(sequences.Sequence, 0, k)
		t := int64(0)
		for range k {
			t += c.varint()
			m := c.count(1)
			start := len(slab)
			slab = c.items(slab, m, nItems)
			seq = append(seq, sequences.Event{Time: t, Items: slab[start:len(slab):len(slab)]})
		}
		if c.err != nil {
			return nil
		}
		out = append(out, seq)
	}
	return out
}

// maxSeconds bounds order times so that nanoseconds do not overflow.
const maxSeconds = math.MaxInt64/1_000_000_000 - 1

// logVisitor receives the content of a log partition in order.
type logVisitor interface {
	customer(id []byte, orders int)
	order(id []byte, t int64, cancel bool, lines int)
	line(l *Line)
}

// walkLog reads the customers of a log partition, calling v.
func walkLog(c *cursor, h header, nItems int, v logVisitor) {
	cats := h.flags&flagCategories != 0
	sec := int64(0)
	var l Line
	for range h.records {
		id := c.bytes()
		no := c.count(4)
		v.customer(id, no)
		for range no {
			oid := c.bytes()
			flags := c.uvarint()
			sec += c.varint()
			if sec > maxSeconds || sec < -maxSeconds {
				c.fail("order time out of range")
			}
			t := sec * 1e9
			if flags&orderSubFirst != 0 {
				ns := c.uvarint()
				if ns >= 1e9 {
					c.fail("bad nanoseconds")
				}
				t += int64(ns)
			}
			nl := c.count(3)
			if c.err != nil {
				return
			}
			v.order(oid, t, flags&orderCancel != 0, nl)
			l = Line{Time: t, Category: -1}
			for range nl {
				l.Item = c.item(l.Item, nItems)
				l.Quantity = c.number()
				l.Price = c.number()
				if cats {
					cat := c.uvarint()
					if cat > math.MaxInt32 {
						c.fail("bad category")
					}
					l.Category = int32(cat) - 1
				}
				if flags&orderMixed != 0 {
					d := c.varint()
					if d < 0 || d > math.MaxInt64-t {
						c.fail("bad line time")
					}
					l.Time = t + d
				}
				if c.err != nil {
					return
				}
				v.line(&l)
			}
		}
	}
}

// partVisitor builds a Partition's customers.
type partVisitor struct {
	p *Partition
}

func (v *partVisitor) customer(id []byte, orders int) {
	v.p.Customers = append(v.p.Customers, Customer{ID: string(id), Orders: make([]Order, 0, orders)})
}

func (v *partVisitor) order(id []byte, t int64, cancel bool, lines int) {
	c := &v.p.Customers[len(v.p.Customers)-1]
	c.Orders = append(c.Orders, Order{ID: string(id), Time: t, Cancel: cancel, Lines: make([]Line, 0, lines)})
}

func (v *partVisitor) line(l *Line) {
	c := &v.p.Customers[len(v.p.Customers)-1]
	o := &c.Orders[len(c.Orders)-1]
	o.Lines = append(o.Lines, *l)
}
