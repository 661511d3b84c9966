package jobs

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
)

// ErrCorrupt is wrapped by the errors returned for a partial result or
// summary that fails to decode: wrong magic, version or kind, a bad
// checksum, a length beyond the bytes left, or trailing bytes.
var ErrCorrupt = errors.New("corrupt job object")

// Partial encodings. Every object a task writes is an envelope
//
//	"QJOB" | version byte | kind byte | payload | CRC-32C of all before, 4 bytes LE
//
// whose payload is a varint encoding specific to its kind. Encodings are
// deterministic: the same value always gives the same bytes, so any two
// attempts of a task write identical objects.
const (
	codecMagic   = "QJOB"
	codecVersion = 1
)

// kind tags the payload of an envelope.
type kind byte

const (
	kindItemLists       kind = 1 + iota // candidate itemsets: item lists
	kindCounts                          // counts aligned with a candidate list
	kindPatterns                        // candidate sequential patterns
	kindStrings                         // sorted customer ids
	kindFeatures                        // a bucket's customer feature rows
	kindAssign                          // a bucket's labelled customers
	kindJSON                            // a small JSON value (summaries, parameters)
	kindCountedItemsets                 // phase one: itemsets with local supports
	kindCountedPatterns                 // phase one: sequential patterns with local supports
)

// Limits on what a decoder accepts, so that a corrupt or hostile object
// cannot make a worker allocate without bound.
const (
	// MaxObject is the largest partial object read (1 GiB).
	MaxObject = 1 << 30
	// MaxSummary is the largest summary a task may return (1 MiB): it is
	// kept in the coordinator's replicated state.
	MaxSummary = 1 << 20
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// enc builds an envelope.
type enc struct{ b []byte }

func newEnc(k kind) *enc {
	e := &enc{b: make([]byte, 0, 64)}
	e.b = append(e.b, codecMagic...)
	e.b = append(e.b, codecVersion, byte(k))
	return e
}

func (e *enc) uvarint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) varint(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) float(v float64)  { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v)) }
func (e *enc) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// items writes a sorted item list: length, first id, deltas.
func (e *enc) items(items []uint32) {
	e.uvarint(uint64(len(items)))
	prev := uint32(0)
	for i, it := range items {
		if i == 0 {
			e.uvarint(uint64(it))
		} else {
			e.uvarint(uint64(it - prev))
		}
		prev = it
	}
}

// bytes returns the finished envelope with its checksum.
func (e *enc) bytes() []byte {
	return binary.LittleEndian.AppendUint32(e.b, crc32.Checksum(e.b, castagnoli))
}

// dec reads an envelope; the first error sticks.
type dec struct {
	b   []byte
	off int
	err error
}

// open checks an envelope's header, kind and checksum.
func open(data []byte, k kind) (*dec, error) {
	if len(data) > MaxObject {
		return nil, fmt.Errorf("%w: %d bytes, over the %d limit", ErrCorrupt, len(data), MaxObject)
	}
	if len(data) < len(codecMagic)+2+4 || string(data[:4]) != codecMagic {
		return nil, fmt.Errorf("%w: not a job object", ErrCorrupt)
	}
	if data[4] != codecVersion {
		return nil, fmt.Errorf("%w: version %d, want %d", ErrCorrupt, data[4], codecVersion)
	}
	if kind(data[5]) != k {
		return nil, fmt.Errorf("%w: kind %d, want %d", ErrCorrupt, data[5], k)
	}
	body := data[:len(data)-4]
	if got, want := crc32.Checksum(body, castagnoli), binary.LittleEndian.Uint32(data[len(data)-4:]); got != want {
		return nil, fmt.Errorf("%w: checksum %08x, stored %08x", ErrCorrupt, got, want)
	}
	return &dec{b: body, off: 6}, nil
}

func (d *dec) fail(msg string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s at byte %d", ErrCorrupt, msg, d.off)
	}
}

func (d *dec) left() int { return len(d.b) - d.off }

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *dec) varint() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return v
}

func (d *dec) float() float64 {
	if d.err != nil {
		return 0
	}
	if d.left() < 8 {
		d.fail("short float")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.off:]))
	d.off += 8
	return v
}

// count reads a length whose elements take at least minBytes each and
// refuses one the bytes left cannot hold.
func (d *dec) count(minBytes int) int {
	n := d.uvarint()
	if d.err == nil && n > uint64(d.left()/max(minBytes, 1)) {
		d.fail(fmt.Sprintf("length %d beyond the %d bytes left", n, d.left()))
		return 0
	}
	return int(n)
}

func (d *dec) str() string {
	n := d.count(1)
	if d.err != nil {
		return ""
	}
	s := string(d.b[d.off : d.off+n])
	d.off += n
	return s
}

func (d *dec) items() []uint32 {
	n := d.count(1)
	if d.err != nil {
		return nil
	}
	out := make([]uint32, n)
	prev := uint64(0)
	for i := range out {
		v := d.uvarint()
		if i > 0 {
			v += prev
		}
		if v > math.MaxUint32 {
			d.fail("item id overflows")
			return nil
		}
		out[i], prev = uint32(v), v
	}
	return out
}

// done reports the first error or trailing bytes.
func (d *dec) done() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail(fmt.Sprintf("%d trailing bytes", d.left()))
	}
	return d.err
}
