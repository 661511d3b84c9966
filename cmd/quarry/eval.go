package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrydata/quarry/crmapi"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore"
)

func newEvalCmd() *cobra.Command {
	cmd := &cobra.Command{Use: "eval recommendations", Short: "Measure the quality of what Quarry serves, offline"}
	cmd.AddCommand(newEvalRecommendationsCmd())
	return cmd
}

func newEvalRecommendationsCmd() *cobra.Command {
	var (
		st      storeFlags
		name    string
		output  string
		seed    uint64
		timeout time.Duration
	)
	cfg := crmapi.DefaultEvalConfig("")
	cmd := &cobra.Command{
		Use:   "recommendations --dataset N [--version V] [--holdout-last 1] [--k 10] [job flags]",
		Short: "Hide each customer's last orders, rebuild the model, score its recommendations",
		Long: `Offline evaluation of the CRM API's customer recommendations.

From version V (default: the latest) of dataset N, each customer's last
--holdout-last orders with a sale (and anything after them) are hidden; the
rest is written as a training dataset into a scratch folder (temporary unless
--scratch-dir is given), the itemsets+rules, sequences, segments and model jobs
run on it in process, and the model is loaded as the CRM API loads it. For
every customer with more orders than are hidden, the top --k recommendations
are compared with the items of the hidden orders:

  hit-rate@k   share of customers with at least one hidden item in the top k
  precision@k  mean of hits / k
  recall@k     mean of hits / distinct hidden items
  coverage     distinct items recommended / items sold in the training data

for the recommender as served (rules and sequences, then segment
best-sellers), its rule and sequence part alone, and a popularity baseline
(overall best-sellers of the training data, minus the customer's recent
baskets, as the recommender excludes them). The dataset must be a log with a
customer column. Nothing is written to the dataset store. See docs/crmapi.md.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if name == "" {
				return usagef("--dataset is required")
			}
			if output != "text" && output != "json" {
				return usagef("--output %q: want text or json", output)
			}
			if cfg.Version < 0 {
				return usagef("--version must be >= 0")
			}
			cfg.Dataset = name
			cfg.Segments.Seed = &seed
			if err := cfg.Validate(); err != nil {
				return usageError{err}
			}
			if timeout < 0 {
				return usagef("--timeout must be >= 0")
			}
			ctx := cmd.Context()
			if timeout > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, timeout)
				defer cancel()
			}
			return st.run(ctx, func(store objstore.Bucket) error {
				rep, err := crmapi.Evaluate(ctx, store, cfg)
				if err != nil {
					if errors.Is(err, crmapi.ErrNotEvaluable) {
						return usageError{err}
					}
					return err
				}
				if output == "json" {
					enc := json.NewEncoder(cmd.OutOrStdout())
					enc.SetIndent("", "  ")
					return enc.Encode(rep)
				}
				return printEvalReport(cmd.OutOrStdout(), rep)
			})
		},
	}
	fs := cmd.Flags()
	st.register(fs)
	fs.StringVar(&name, "dataset", "", "dataset to evaluate on (required)")
	fs.IntVar(&cfg.Version, "version", 0, "dataset version (default: the latest)")
	fs.IntVar(&cfg.Holdout, "holdout-last", cfg.Holdout, "orders with a sale hidden at the end of each customer's history")
	fs.IntVar(&cfg.K, "k", cfg.K, "length of the recommendation lists scored")
	fs.StringVar(&output, "output", "text", "text or json")
	fs.IntVar(&cfg.Workers, "workers", runtime.NumCPU(), "tasks run at once by the jobs (results do not depend on it)")
	fs.StringVar(&cfg.ScratchDir, "scratch-dir", "", "folder for the training dataset, job results and model, kept (default: a temporary folder, removed)")
	fs.DurationVar(&timeout, "timeout", 0, "give up after this long (0: no limit)")

	fs.Float64Var(&cfg.Rules.MinSupport, "rules-min-support", cfg.Rules.MinSupport, "itemsets job: minimum support, a fraction of the orders below 1, a count from 1")
	fs.IntVar(&cfg.Rules.MaxSize, "rules-max-size", cfg.Rules.MaxSize, "itemsets job: largest itemset (0: no limit)")
	fs.Float64Var(&cfg.Rules.Rules.MinConfidence, "rules-min-confidence", cfg.Rules.Rules.MinConfidence, "rules: minimum confidence")
	fs.Float64Var(&cfg.Rules.Rules.MinLift, "rules-min-lift", 0, "rules: minimum lift (0: none)")
	fs.Float64Var(&cfg.Sequences.MinSupport, "sequences-min-support", cfg.Sequences.MinSupport, "sequences job: minimum support, a fraction of the customers below 1, a count from 1")
	fs.IntVar(&cfg.Sequences.MaxLength, "sequences-max-length", cfg.Sequences.MaxLength, "sequences job: most items in a pattern (0: no limit)")
	fs.Int64Var(&cfg.Sequences.MinGap, "sequences-min-gap", cfg.Sequences.MinGap, "sequences job: least time between consecutive elements, in --time-unit")
	fs.Int64Var(&cfg.Sequences.MaxGap, "sequences-max-gap", cfg.Sequences.MaxGap, "sequences job: most time between consecutive elements, in --time-unit (0: no limit)")
	fs.StringVar(&cfg.Sequences.TimeUnit, "time-unit", "day", "sequences job: time unit (second, minute, hour, day, week)")
	fs.IntVar(&cfg.Segments.K, "segments", cfg.Segments.K, "segments job: number of segments")
	fs.Uint64Var(&seed, "seed", *cfg.Segments.Seed, "segments job: random seed")
	return cmd
}

// printEvalReport prints the evaluation's parameters and its table.
func printEvalReport(w io.Writer, r *crmapi.EvalReport) error {
	fmt.Fprintf(w, "dataset %s v%d, last %d order(s) hidden per customer: %d orders kept, %d hidden\n",
		r.Dataset, r.DatasetVersion, r.Holdout, r.TrainingOrders, r.HiddenOrders)
	for _, s := range r.Jobs {
		fmt.Fprintf(w, "  %s\n", jobLine(s))
	}
	fmt.Fprintf(w, "model: %d rules, %d sequence rules, %d segments; catalogue: %d items sold in the training data\n\n",
		r.Rules, r.Sequences, r.Segments, r.Catalogue)
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', tabwriter.AlignRight)
	k := r.K
	fmt.Fprintf(tw, "method\tcustomers\thit-rate@%d\tprecision@%d\trecall@%d\tcoverage\titems\tmean list\t\n", k, k, k)
	for _, m := range r.Methods {
		fmt.Fprintf(tw, "%s\t%d\t%.4f\t%.4f\t%.4f\t%.4f\t%d\t%.2f\t\n",
			m.Method, m.Customers, m.HitRate, m.Precision, m.Recall, m.Coverage, m.DistinctItems, m.MeanListLength)
	}
	return tw.Flush()
}

// jobLine shows the parameters of one evaluation job.
func jobLine(s jobs.Spec) string {
	var v any
	switch s.Type {
	case jobs.TypeItemsets:
		v = s.Itemsets
	case jobs.TypeSequences:
		v = s.Sequences
	case jobs.TypeSegments:
		v = s.Segments
	case jobs.TypeModel:
		v = s.Model
	}
	data, err := json.Marshal(v)
	if err != nil {
		return string(s.Type)
	}
	return fmt.Sprintf("%-9s %s", s.Type, data)
}
