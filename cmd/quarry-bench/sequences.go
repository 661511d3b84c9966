package main

// Sequential-pattern cases. No peer is installed for sequences: SPMF (the
// usual reference for PrefixSpan with gap constraints) is not available on
// these machines, and neither Weka nor scikit-learn mines sequential
// patterns, so Peer is nil and the table shows our own timings only; the
// pattern counts are checked against a brute-force oracle in the package's
// tests instead.
//
// The real datasets are baskets, not customer histories, so they are turned
// into sequences two ways:
//   - kosarak25k.dat: each click-stream session is one customer, each click
//     its own event, time = position in the session (a gap of 1 means "the
//     next click").
//   - retail-part.dat and T10I4D100K.dat: blocks of consecutive baskets form
//     one customer's history, time = the basket's position in the block
//     (the block size is shown with the parameter).
//
// The SPMF example runs at 50% and must find 53 patterns.

import (
	"bufio"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/algorithms/support"
)

// seqCase describes one sequence benchmark.
type seqCase struct {
	dataset string
	load    func(path string) ([]sequences.Sequence, error)
	minSup  string
	opt     sequences.Options // MinCount is set from minSup
	label   string            // constraints, shown after the threshold
	parts   int               // when > 0, run MinePartitioned over this many partitions
}

func init() {
	kosarak := func(p string) ([]sequences.Sequence, error) { return loadClicks(p) }
	retail5 := func(p string) ([]sequences.Sequence, error) { return loadBlocks(p, 5) }
	retail10 := func(p string) ([]sequences.Sequence, error) { return loadBlocks(p, 10) }
	t10 := func(p string) ([]sequences.Sequence, error) { return loadBlocks(p, 10) }
	for _, c := range []seqCase{
		{dataset: "spmf-example-sequences.txt", load: loadSPMFSequences, minSup: "0.5"},
		{dataset: "kosarak25k.dat", load: kosarak, minSup: "0.01"},
		{dataset: "kosarak25k.dat", load: kosarak, minSup: "0.005"},
		{dataset: "kosarak25k.dat", load: kosarak, minSup: "0.0025"},
		// Unconstrained, 0.001 finds 28 million patterns (141 s, 11 GiB);
		// with constraints it stays small.
		{dataset: "kosarak25k.dat", load: kosarak, minSup: "0.001", opt: sequences.Options{MaxGap: 3}, label: "maxgap=3"},
		{dataset: "kosarak25k.dat", load: kosarak, minSup: "0.001", opt: sequences.Options{MaxWindow: 10}, label: "window=10"},
		{dataset: "kosarak25k.dat", load: kosarak, minSup: "0.0025", opt: sequences.Options{Workers: 2}, label: "workers=2"},
		// At 0.001 a partition of 6,250 sessions is mined at a count of 7,
		// where a handful of near-identical long sessions yield an
		// exponential number of patterns: see Options.MaxPatterns.
		{dataset: "kosarak25k.dat", load: kosarak, minSup: "0.0025", parts: 4, label: "partitions=4"},
		{dataset: "kosarak25k.dat", load: kosarak, minSup: "0.0025", opt: sequences.Options{MaxGap: 3}, parts: 4, label: "maxgap=3,partitions=4"},
		// Blocks of retail baskets repeat the popular items (39, 48) in
		// most baskets, so unconstrained patterns explode combinatorially
		// with the block size: blocks of 5, and of 10 with a max gap.
		{dataset: "retail-part.dat", load: retail5, minSup: "0.02", label: "blocks=5"},
		{dataset: "retail-part.dat", load: retail5, minSup: "0.01", label: "blocks=5"},
		{dataset: "retail-part.dat", load: retail10, minSup: "0.01", opt: sequences.Options{MaxGap: 1}, label: "blocks=10,maxgap=1"},
		{dataset: "retail-part.dat", load: retail10, minSup: "0.05", opt: sequences.Options{MinGap: 2, MaxGap: 4, MaxWindow: 6}, label: "blocks=10,gap=2..4,window=6"},
		{dataset: "T10I4D100K.dat", load: t10, minSup: "0.02", label: "blocks=10"},
		{dataset: "T10I4D100K.dat", load: t10, minSup: "0.01", label: "blocks=10"},
		{dataset: "T10I4D100K.dat", load: t10, minSup: "0.01", opt: sequences.Options{Workers: 2}, label: "blocks=10,workers=2"},
		{dataset: "T10I4D100K.dat", load: t10, minSup: "0.005", opt: sequences.Options{MaxGap: 2}, label: "blocks=10,maxgap=2"},
	} {
		param := c.minSup
		if c.label != "" {
			param += " " + c.label
		}
		register(Case{
			Name:    "sequences/" + c.dataset + "/" + param,
			Task:    "sequences",
			Dataset: c.dataset,
			Param:   param,
			Run:     c.run,
			// Peer stays nil: no sequential-pattern peer is installed.
		})
	}
}

// run loads the dataset and times Mine alone.
func (c seqCase) run(path string) (Result, error) {
	db, err := c.load(path)
	if err != nil {
		return Result{}, err
	}
	th, err := support.Parse(c.minSup)
	if err != nil {
		return Result{}, err
	}
	opt := c.opt
	opt.MinCount = th.MinCount(len(db))
	var parts [][]sequences.Sequence
	for i := range c.parts {
		parts = append(parts, db[i*len(db)/c.parts:(i+1)*len(db)/c.parts])
	}
	start := time.Now()
	var pats []sequences.Pattern
	if c.parts > 0 {
		pats, err = sequences.MinePartitioned(parts, opt)
	} else {
		pats, err = sequences.Mine(db, opt)
	}
	secs := time.Since(start).Seconds()
	if err != nil {
		return Result{}, err
	}
	longest := 0
	for _, p := range pats {
		longest = max(longest, p.Len())
	}
	note := fmt.Sprintf("%d sequences, min count %d, longest pattern %d items", len(db), opt.MinCount, longest)
	return Result{Patterns: len(pats), Seconds: secs, Note: note}, nil
}

// readLines calls fn for each line of a text file, with an explicit cap on
// the line length.
func readLines(path string, fn func(line string) error) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<16), 1<<24)
	n := 0
	for sc.Scan() {
		n++
		if err := fn(sc.Text()); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: after line %d: %w", path, n, err)
	}
	return nil
}

// parseItems reads space-separated item ids.
func parseItems(line string) ([]sequences.Item, error) {
	var items []sequences.Item
	for _, f := range strings.Fields(line) {
		x, err := strconv.ParseUint(f, 10, 32)
		if err != nil {
			return nil, err
		}
		items = append(items, sequences.Item(x))
	}
	return items, nil
}

// loadClicks reads a FIMI file as click streams: one sequence per line, one
// event per item, time = position.
func loadClicks(path string) ([]sequences.Sequence, error) {
	var db []sequences.Sequence
	err := readLines(path, func(line string) error {
		items, err := parseItems(line)
		if err != nil {
			return err
		}
		seq := make(sequences.Sequence, len(items))
		for i, x := range items {
			seq[i] = sequences.Event{Time: int64(i), Items: []sequences.Item{x}}
		}
		db = append(db, seq)
		return nil
	})
	return db, err
}

// loadBlocks reads a FIMI file as customer histories: every block of size
// consecutive baskets is one sequence, time = position in the block. Basket
// items are sorted and deduplicated.
func loadBlocks(path string, size int) ([]sequences.Sequence, error) {
	var db []sequences.Sequence
	var seq sequences.Sequence
	err := readLines(path, func(line string) error {
		items, err := parseItems(line)
		if err != nil {
			return err
		}
		slices.Sort(items)
		seq = append(seq, sequences.Event{Time: int64(len(seq)), Items: slices.Compact(items)})
		if len(seq) == size {
			db = append(db, seq)
			seq = nil
		}
		return nil
	})
	if len(seq) > 0 {
		db = append(db, seq)
	}
	return db, err
}

// loadSPMFSequences reads SPMF's sequence format (-1 ends an itemset, -2 a
// sequence); time = the itemset's position.
func loadSPMFSequences(path string) ([]sequences.Sequence, error) {
	var db []sequences.Sequence
	err := readLines(path, func(line string) error {
		var seq sequences.Sequence
		var items []sequences.Item
		for _, f := range strings.Fields(line) {
			switch f {
			case "-1":
				slices.Sort(items)
				seq = append(seq, sequences.Event{Time: int64(len(seq)), Items: slices.Compact(items)})
				items = nil
			case "-2":
				db = append(db, seq)
				seq = nil
			default:
				x, err := strconv.ParseUint(f, 10, 32)
				if err != nil {
					return err
				}
				items = append(items, sequences.Item(x))
			}
		}
		return nil
	})
	return db, err
}
