package format

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"

	"github.com/quarrydata/quarry/algorithms/sequences"
)

// SPMFReader reads sequences in SPMF's format: one sequence per line, items
// as non-negative integers, "-1" closing each itemset and "-2" closing the
// sequence, for example "1 -1 1 2 3 -1 -2". An itemset may be preceded by a
// timestamp "<t>", as in SPMF's time-extended format
// ("<0> 1 -1 <1> 1 2 3 -1 -2"); then every itemset of the sequence must have
// one and they must increase strictly. Without timestamps an event's time is
// its position: 0, 1, 2, …
//
// Rules: blank lines and lines starting with '#', '%' or '@' (comments and
// SPMF metadata such as "@ITEM=1=apple") are skipped; every itemset must be
// non-empty and closed by -1, and the line must end with -2; items within
// an event are sorted and deduplicated. A line of just "-2" is an empty
// sequence. The last line may lack its newline.
type SPMFReader struct {
	records
}

// NewSPMFReader returns a reader of the sequences in r.
func NewSPMFReader(r io.Reader, opt Options) *SPMFReader {
	return &SPMFReader{records: newRecords(r, opt)}
}

// Next returns the next sequence, or io.EOF after the last. A bad line is a
// *LineError unless Options.SkipBadLines; after an error Next keeps
// returning it.
func (sr *SPMFReader) Next() (sequences.Sequence, error) {
	var seq sequences.Sequence
	err := sr.next(skipSPMFLine, func(line []byte) (le *LineError) {
		seq, le = parseSPMF(line)
		return le
	})
	if err != nil {
		return nil, err
	}
	return seq, nil
}

func skipSPMFLine(line []byte) bool {
	for _, c := range line {
		if isBlank(c) {
			continue
		}
		return c == '#' || c == '%' || c == '@'
	}
	return true // blank
}

// parseSPMF reads one sequence line.
func parseSPMF(line []byte) (sequences.Sequence, *LineError) {
	seq := sequences.Sequence{}
	var (
		items   []sequences.Item
		ts      int64
		hasTS   bool // the current itemset has a timestamp
		timed   = -1 // -1 unknown, 0 untimed, 1 timed
		ended   bool
		tokenNo int
	)
	bad := func(reason string) *LineError {
		return &LineError{Field: fmt.Sprintf("token %d", tokenNo), Reason: reason}
	}
	for i := 0; i < len(line); {
		if isBlank(line[i]) {
			i++
			continue
		}
		j := i
		for j < len(line) && !isBlank(line[j]) {
			j++
		}
		tok := line[i:j]
		i = j
		tokenNo++
		if ended {
			return nil, bad("text after -2 " + quote(string(tok)))
		}
		switch {
		case tok[0] == '<':
			if len(tok) < 3 || tok[len(tok)-1] != '>' {
				return nil, bad("malformed timestamp " + quote(string(tok)))
			}
			if hasTS || len(items) > 0 {
				return nil, bad("timestamp " + quote(string(tok)) + " inside an itemset")
			}
			t, err := strconv.ParseInt(string(tok[1:len(tok)-1]), 10, 64)
			if err != nil {
				return nil, bad("timestamp " + quote(string(tok)) + " is not an integer")
			}
			if timed == 0 {
				return nil, bad("timestamp " + quote(string(tok)) + " in a sequence whose earlier itemsets have none")
			}
			if len(seq) > 0 && t <= seq[len(seq)-1].Time {
				return nil, bad(fmt.Sprintf("timestamp %d not after the previous itemset's %d", t, seq[len(seq)-1].Time))
			}
			timed, hasTS, ts = 1, true, t
		case string(tok) == "-1":
			if len(items) == 0 {
				return nil, bad("empty itemset")
			}
			if timed == -1 {
				timed = 0
			}
			if timed == 1 && !hasTS {
				return nil, bad("itemset without a timestamp in a timed sequence")
			}
			t := int64(len(seq))
			if hasTS {
				t = ts
			}
			slices.Sort(items)
			items = slices.Compact(items)
			seq = append(seq, sequences.Event{Time: t, Items: slices.Clip(items)})
			items, hasTS = nil, false
		case string(tok) == "-2":
			if len(items) > 0 || hasTS {
				return nil, bad("itemset not closed by -1 before -2")
			}
			ended = true
		default:
			v, reason := parseItem(tok)
			if reason != "" {
				return nil, bad(reason)
			}
			items = append(items, v)
		}
	}
	if !ended {
		tokenNo++
		return nil, bad("sequence does not end with -2")
	}
	return seq, nil
}

// ReadSPMFSequences reads every sequence of r. The error, if any, is the
// first bad line's *LineError (unless Options.SkipBadLines) or a read
// error; the stats count what was read up to it.
func ReadSPMFSequences(r io.Reader, opt Options) ([]sequences.Sequence, Stats, error) {
	sr := NewSPMFReader(r, opt)
	var out []sequences.Sequence
	for {
		s, err := sr.Next()
		if errors.Is(err, io.EOF) {
			return out, sr.Stats(), nil
		}
		if err != nil {
			return nil, sr.Stats(), err
		}
		out = append(out, s)
	}
}
