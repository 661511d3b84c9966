package format

import (
	"errors"
	"fmt"
	"io"
	"math"
)

// FIMIReader reads FIMI baskets: one transaction per line, items as
// non-negative integers up to 4294967295 separated by spaces or tabs.
// Leading, trailing and repeated blanks and CRLF line ends are allowed. An
// empty line is an empty transaction; a final line without a newline is a
// transaction too. Items are returned in the file's order, duplicates
// included: deduplicating is the kernels' business.
type FIMIReader struct {
	records
	slab []uint32
}

// NewFIMIReader returns a reader of the baskets in r.
func NewFIMIReader(r io.Reader, opt Options) *FIMIReader {
	return &FIMIReader{records: newRecords(r, opt)}
}

// Next returns the next basket, or io.EOF after the last. The slice is the
// caller's to keep. A bad line is a *LineError unless Options.SkipBadLines;
// after an error Next keeps returning it.
func (fr *FIMIReader) Next() ([]uint32, error) {
	var items []uint32
	err := fr.next(nil, func(line []byte) (le *LineError) {
		items, le = fr.parse(line)
		return le
	})
	if err != nil {
		return nil, err
	}
	return items, nil
}

// parse reads the items of one line into the reader's slab.
func (fr *FIMIReader) parse(line []byte) ([]uint32, *LineError) {
	n := countFields(line)
	if cap(fr.slab)-len(fr.slab) < n {
		size := 1 << 14
		if n > size {
			size = n
		}
		fr.slab = make([]uint32, 0, size)
	}
	start := len(fr.slab)
	field := 0
	for i := 0; i < len(line); {
		if isBlank(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && !isBlank(line[j]) {
			j++
		}
		field++
		v, reason := parseItem(line[i:j])
		if reason != "" {
			fr.slab = fr.slab[:start]
			return nil, &LineError{Field: fmt.Sprintf("item %d", field), Reason: reason}
		}
		fr.slab = append(fr.slab, v)
		i = j
	}
	items := fr.slab[start:len(fr.slab):len(fr.slab)]
	return items, nil
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\r' }

func countFields(line []byte) int {
	n := 0
	in := false
	for _, c := range line {
		if isBlank(c) {
			in = false
		} else if !in {
			in = true
			n++
		}
	}
	return n
}

// parseItem reads a non-negative decimal integer up to math.MaxUint32. It
// returns a reason when tok is not one.
func parseItem(tok []byte) (uint32, string) {
	if tok[0] == '-' && len(tok) > 1 && allDigits(tok[1:]) {
		return 0, "negative item " + quote(string(tok))
	}
	if !allDigits(tok) {
		return 0, "not a non-negative integer " + quote(string(tok))
	}
	var v uint64
	for _, c := range tok {
		v = v*10 + uint64(c-'0')
		if v > math.MaxUint32 {
			return 0, fmt.Sprintf("item %s exceeds %d", quote(string(tok)), uint32(math.MaxUint32))
		}
	}
	return uint32(v), ""
}

func allDigits(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// ReadFIMI reads every basket of r. The error, if any, is the first bad
// line's *LineError (unless Options.SkipBadLines) or a read error; the
// stats count what was read up to it.
func ReadFIMI(r io.Reader, opt Options) ([][]uint32, Stats, error) {
	fr := NewFIMIReader(r, opt)
	var out [][]uint32
	for {
		b, err := fr.Next()
		if errors.Is(err, io.EOF) {
			return out, fr.Stats(), nil
		}
		if err != nil {
			return nil, fr.Stats(), err
		}
		out = append(out, b)
	}
}
