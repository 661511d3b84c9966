package main

import (
	"io"
	"runtime"
	"sort"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/algorithms/rules"
	"github.com/quarrydata/quarry/storage/format"
)

type itemsetFlags struct {
	in         inputFlags
	out        outputFlags
	minSupport string
	maxSize    int
	closed     bool
	maximal    bool
	workers    int
	maxPattern int
}

func (f *itemsetFlags) register(cmd *cobra.Command) {
	fs := cmd.Flags()
	f.in.register(fs, true)
	f.out.register(fs)
	fs.StringVar(&f.minSupport, "min-support", "", "minimum support: a fraction below 1, or a count (required)")
	fs.IntVar(&f.maxSize, "max-size", 0, "largest itemset size (0: no limit)")
	fs.IntVar(&f.workers, "workers", runtime.GOMAXPROCS(0), "parallel workers")
	fs.IntVar(&f.maxPattern, "max-patterns", 10_000_000, "stop with an error when more itemsets than this are frequent (0: no limit); a guard against combinatorial explosion")
}

// mine loads the baskets and mines the frequent itemsets of the given kind.
func (f *itemsetFlags) mine(cmd *cobra.Command, kind itemsets.Kind) (*baskets, []itemsets.Itemset, int, error) {
	th, err := parseSupport(f.minSupport)
	if err != nil {
		return nil, nil, 0, err
	}
	if f.maxSize < 0 || f.maxPattern < 0 {
		return nil, nil, 0, usagef("--max-size and --max-patterns must be >= 0")
	}
	b, err := loadBaskets(cmd.Context(), &f.in)
	if err != nil {
		return nil, nil, 0, err
	}
	minCount := th.MinCount(len(b.txs))
	start := time.Now()
	sets, err := itemsets.Mine(b.txs, itemsets.Options{MinCount: minCount, MaxSize: f.maxSize, Kind: kind, Workers: f.workers, MaxPatterns: f.maxPattern})
	if err != nil {
		return nil, nil, 0, err
	}
	logDone("itemsets", len(b.txs), len(sets), minCount, start)
	return b, sets, minCount, nil
}

func newMineItemsetsCmd() *cobra.Command {
	var (
		f      itemsetFlags
		sortBy string
		top    int
	)
	cmd := &cobra.Command{
		Use:   "itemsets --input F --min-support S [--closed|--maximal] [--max-size N] --output F",
		Short: "Frequent itemsets (all, closed or maximal)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			of, err := f.out.parse()
			if err != nil {
				return err
			}
			if sortBy != "canonical" && sortBy != "support" {
				return usagef("--sort: %q is not canonical or support", sortBy)
			}
			if top < 0 {
				return usagef("--top must be >= 0")
			}
			kind := itemsets.All
			switch {
			case f.closed && f.maximal:
				return usagef("--closed and --maximal exclude each other")
			case f.closed:
				kind = itemsets.Closed
			case f.maximal:
				kind = itemsets.Maximal
			}
			b, sets, _, err := f.mine(cmd, kind)
			if err != nil {
				return err
			}
			itemsets.Sort(sets)
			if sortBy == "support" {
				sort.SliceStable(sets, func(i, j int) bool { return sets[i].Support > sets[j].Support })
			}
			if top > 0 && len(sets) > top {
				sets = sets[:top]
			}
			return writeOutput(f.out.path, func(w io.Writer) error {
				pw := format.NewPatternWriter(w, of, b.names, len(b.txs))
				if err := pw.Itemsets(sets); err != nil {
					return err
				}
				return pw.Close()
			})
		},
	}
	f.register(cmd)
	cmd.Flags().BoolVar(&f.closed, "closed", false, "only closed itemsets (no superset with the same support)")
	cmd.Flags().StringVar(&sortBy, "sort", "canonical", "order of the output: canonical, or support (descending; ties in canonical order)")
	cmd.Flags().IntVar(&top, "top", 0, "write only the first N itemsets after sorting (0: all)")
	cmd.Flags().BoolVar(&f.maximal, "maximal", false, "only maximal itemsets (no frequent superset)")
	return cmd
}

func newMineRulesCmd() *cobra.Command {
	var (
		f       itemsetFlags
		opt     rules.Options
		sortBy  string
		top     int
		oneItem bool
	)
	cmd := &cobra.Command{
		Use:   "rules --input F --min-support S --min-confidence C [--min-lift L] --output F",
		Short: "Association rules with support, confidence, lift, leverage and conviction",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			of, err := f.out.parse()
			if err != nil {
				return err
			}
			less, err := ruleOrder(sortBy)
			if err != nil {
				return err
			}
			if opt.MinConfidence < 0 || opt.MinConfidence > 1 {
				return usagef("--min-confidence must be between 0 and 1")
			}
			if top < 0 {
				return usagef("--top must be >= 0")
			}
			if oneItem {
				opt.MaxConsequent = 1
			}
			b, sets, _, err := f.mine(cmd, itemsets.All)
			if err != nil {
				return err
			}
			start := time.Now()
			opt.Workers = f.workers
			rs, err := rules.Generate(sets, len(b.txs), opt)
			if err != nil {
				return err
			}
			logDone("rules", len(b.txs), len(rs), 0, start)
			rules.Sort(rs)
			if less != nil {
				sort.SliceStable(rs, func(i, j int) bool { return less(rs[i], rs[j]) })
			}
			if top > 0 && len(rs) > top {
				rs = rs[:top]
			}
			return writeOutput(f.out.path, func(w io.Writer) error {
				pw := format.NewPatternWriter(w, of, b.names, len(b.txs))
				if err := pw.Rules(rs); err != nil {
					return err
				}
				return pw.Close()
			})
		},
	}
	f.register(cmd)
	fs := cmd.Flags()
	fs.Float64Var(&opt.MinConfidence, "min-confidence", 0.5, "minimum confidence, between 0 and 1")
	fs.Float64Var(&opt.MinLift, "min-lift", 0, "minimum lift (0: no filter)")
	fs.Float64Var(&opt.MinLeverage, "min-leverage", 0, "minimum leverage (0: no filter)")
	fs.Float64Var(&opt.MinConviction, "min-conviction", 0, "minimum conviction (0: no filter)")
	fs.IntVar(&opt.MaxAntecedent, "max-antecedent", 0, "most items on the left-hand side (0: no limit)")
	fs.IntVar(&opt.MaxConsequent, "max-consequent", 0, "most items on the right-hand side (0: no limit)")
	fs.BoolVar(&oneItem, "single-consequent", false, "only rules with one item on the right-hand side (the recommendation case); same as --max-consequent 1")
	fs.StringVar(&sortBy, "sort", "canonical", "order of the output: canonical (antecedent, then consequent), lift, confidence, support, leverage or conviction (descending; ties in canonical order)")
	fs.IntVar(&top, "top", 0, "write only the first N rules after sorting (0: all)")
	return cmd
}

// ruleOrder returns the descending order by the named measure, or nil for
// the canonical order.
func ruleOrder(by string) (func(a, b rules.Rule) bool, error) {
	switch by {
	case "canonical", "":
		return nil, nil
	case "lift":
		return func(a, b rules.Rule) bool { return a.Lift > b.Lift }, nil
	case "confidence":
		return func(a, b rules.Rule) bool { return a.Confidence > b.Confidence }, nil
	case "support":
		return func(a, b rules.Rule) bool { return a.Support > b.Support }, nil
	case "leverage":
		return func(a, b rules.Rule) bool { return a.Leverage > b.Leverage }, nil
	case "conviction":
		return func(a, b rules.Rule) bool { return a.Conviction > b.Conviction }, nil
	}
	return nil, usagef("--sort: unknown order %q (want canonical, lift, confidence, support, leverage or conviction)", by)
}
