package main

import (
	"io"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/format"
)

func newMineSequencesCmd() *cobra.Command {
	var (
		in         inputFlags
		out        outputFlags
		minSupport string
		unit       string
		opt        sequences.Options
		sortBy     string
		top        int
	)
	cmd := &cobra.Command{
		Use:   "sequences --input F --min-support S [--max-length N --min-gap G --max-gap G --max-window W] --output F",
		Short: "Sequential patterns over customer histories, with time constraints",
		Long: `Sequential patterns over customer histories, with time constraints.

Times are counted in --time-unit for CSV logs (a customer's orders in the same
unit form one basket) and in positions for SPMF files without timestamps (the
n-th itemset of a sequence is at time n). Between consecutive elements of a
pattern the time difference must be at least --min-gap and at most --max-gap;
the whole pattern must fit within --max-window from its first to its last
element. --max-length counts items.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			of, err := out.parse()
			if err != nil {
				return err
			}
			th, err := parseSupport(minSupport)
			if err != nil {
				return err
			}
			if opt.MaxLength < 0 || opt.MinGap < 0 || opt.MaxGap < 0 || opt.MaxWindow < 0 || opt.MaxPatterns < 0 {
				return usagef("--max-length, --min-gap, --max-gap, --max-window and --max-patterns must be >= 0")
			}
			if opt.MaxGap > 0 && opt.MinGap > opt.MaxGap {
				return usagef("--min-gap %d is above --max-gap %d", opt.MinGap, opt.MaxGap)
			}
			if sortBy != "canonical" && sortBy != "support" {
				return usagef("--sort: %q is not canonical or support", sortBy)
			}
			if top < 0 {
				return usagef("--top must be >= 0")
			}
			u, err := parseTimeUnit(unit)
			if err != nil {
				return err
			}
			db, err := loadSequences(cmd.Context(), &in, u)
			if err != nil {
				return err
			}
			opt.MinCount = th.MinCount(len(db.seqs))
			start := time.Now()
			ps, err := sequences.Mine(db.seqs, opt)
			if err != nil {
				return err
			}
			logDone("sequences", len(db.seqs), len(ps), opt.MinCount, start)
			sequences.Sort(ps)
			if sortBy == "support" {
				sort.SliceStable(ps, func(i, j int) bool { return ps[i].Support > ps[j].Support })
			}
			if top > 0 && len(ps) > top {
				ps = ps[:top]
			}
			return writeOutput(out.path, func(w io.Writer) error {
				pw := format.NewPatternWriter(w, of, db.names, len(db.seqs))
				if err := pw.Sequences(ps); err != nil {
					return err
				}
				return pw.Close()
			})
		},
	}
	fs := cmd.Flags()
	in.register(fs, true)
	out.register(fs)
	fs.StringVar(&minSupport, "min-support", "", "minimum support: a fraction of sequences below 1, or a count (required)")
	fs.IntVar(&opt.MaxLength, "max-length", 0, "most items in a pattern (0: no limit)")
	fs.Int64Var(&opt.MinGap, "min-gap", 0, "least time between consecutive elements, in time units")
	fs.Int64Var(&opt.MaxGap, "max-gap", 0, "most time between consecutive elements, in time units (0: no limit)")
	fs.Int64Var(&opt.MaxWindow, "max-window", 0, "most time from a pattern's first element to its last, in time units (0: no limit)")
	fs.StringVar(&unit, "time-unit", "day", "time unit of CSV logs: second, minute, hour, day, week, or a Go duration such as 12h")
	fs.StringVar(&sortBy, "sort", "canonical", "order of the output: canonical, or support (descending; ties in canonical order)")
	fs.IntVar(&top, "top", 0, "write only the first N patterns after sorting (0: all)")
	fs.IntVar(&opt.MaxPatterns, "max-patterns", 10_000_000, "stop with an error when more patterns than this are frequent (0: no limit); a guard against combinatorial explosion")
	fs.IntVar(&opt.Workers, "workers", runtime.GOMAXPROCS(0), "parallel workers")
	return cmd
}

// parseTimeUnit reads --time-unit.
func parseTimeUnit(s string) (time.Duration, error) {
	switch strings.ToLower(s) {
	case "second", "s":
		return time.Second, nil
	case "minute", "min":
		return time.Minute, nil
	case "hour", "h":
		return time.Hour, nil
	case "day", "d":
		return 24 * time.Hour, nil
	case "week", "w":
		return 7 * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		return 0, usagef("--time-unit: %q is not second, minute, hour, day, week or a duration of at least 1s", s)
	}
	return d, nil
}
