package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/split"
)

// submitFlags are the flags every quarry submit subcommand shares.
type submitFlags struct {
	client   clientFlags
	dataset  string
	id       string
	priority string
	specFile string
	watch    bool
	output   string
}

func (f *submitFlags) register(fs *pflag.FlagSet) {
	f.client.register(fs)
	fs.StringVar(&f.dataset, "dataset", "", "dataset to mine (for import: the dataset to create or append to)")
	fs.StringVar(&f.id, "id", "", "job id (default: generated); submitting an id again returns that job")
	fs.StringVar(&f.priority, "priority", "normal", "scheduling class: batch, normal or high")
	fs.StringVar(&f.specFile, "spec", "", "read the job's spec JSON from this file (- for stdin) instead of the flags (see docs/jobs.md)")
	fs.BoolVar(&f.watch, "watch", false, "watch the job until it ends; exit 1 unless it succeeds")
	fs.StringVar(&f.output, "output", "text", "text or json")
}

// validate refuses a --dataset or --id unusable in an object key before
// anything is sent (the coordinator refuses them too).
func (f *submitFlags) validate() error {
	if f.dataset != "" {
		if err := dataset.ValidateName(f.dataset); err != nil {
			return usagef("--dataset: %v", err)
		}
	}
	if f.id != "" {
		if err := jobs.ValidateID(f.id); err != nil {
			return usagef("--id: %v", err)
		}
	}
	return nil
}

var priorities = map[string]quarryv1.Priority{
	"batch": quarryv1.Priority_PRIORITY_BATCH, "normal": quarryv1.Priority_PRIORITY_NORMAL, "high": quarryv1.Priority_PRIORITY_HIGH,
}

func newSubmitCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "submit itemsets|rules|sequences|segments|model|import [flags]",
		Short: "Submit a mining job to the cluster",
		Long: `Submit a job to the coordinators (--coordinator, any replica) and print its id.
The job's parameters come from the flags of its type, or from a spec file
(--spec, the JSON of docs/jobs.md). With --watch it then shows the job's
progress until it ends and exits non-zero unless it succeeded.`,
	}
	cmd.AddCommand(
		submitType("itemsets", "Frequent itemsets (two-phase, exact)", quarryv1.JobType_JOB_TYPE_ITEMSETS, itemsetsFlags(false)),
		submitType("rules", "Frequent itemsets, then association rules", quarryv1.JobType_JOB_TYPE_RULES, itemsetsFlags(true)),
		submitType("sequences", "Sequential patterns with time constraints", quarryv1.JobType_JOB_TYPE_SEQUENCES, sequencesFlags),
		submitType("segments", "Customer features and k-means segments", quarryv1.JobType_JOB_TYPE_SEGMENTS, segmentsFlags),
		submitType("model", "Bundle rules, sequences and segments jobs into a served model", quarryv1.JobType_JOB_TYPE_MODEL, modelFlags),
		submitType("import", "Import raw objects of the store as a dataset version (distributed)", quarryv1.JobType_JOB_TYPE_IMPORT, importSpecFlags),
	)
	return cmd
}

// specBuilder registers a job type's flags and returns the function that
// builds its spec from them once parsed.
type specBuilder func(fs *pflag.FlagSet) func(args []string) (jobs.Spec, error)

func submitType(name, short string, typ quarryv1.JobType, flags specBuilder) *cobra.Command {
	var f submitFlags
	cmd := &cobra.Command{Use: name + " --dataset D [flags]", Short: short}
	f.register(cmd.Flags())
	build := flags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		prio, ok := priorities[f.priority]
		if !ok {
			return usagef("--priority %q: want batch, normal or high", f.priority)
		}
		if f.output != "text" && f.output != "json" {
			return usagef("--output %q: want text or json", f.output)
		}
		if err := f.validate(); err != nil {
			return err
		}
		spec, err := f.spec(cmd, args, build)
		if err != nil {
			return err
		}
		id := f.id
		if id == "" {
			id = newClientJobID(name)
		}
		c, err := f.client.client()
		if err != nil {
			return err
		}
		defer c.close()
		req := &quarryv1.SubmitJobRequest{Type: typ, Dataset: f.dataset, Priority: prio, Spec: spec, RequestId: id}
		var st *quarryv1.JobStatus
		err = c.call(cmd.Context(), func(ctx context.Context, cli quarryv1.JobServiceClient) (err error) {
			st, err = cli.SubmitJob(ctx, req)
			return err
		})
		if err != nil {
			return fmt.Errorf("submit %s job: %w", name, err)
		}
		out := cmd.OutOrStdout()
		if f.output == "json" && !f.watch {
			return printStatusJSON(out, st)
		}
		fmt.Fprintf(out, "submitted job %s (%s over %s %s)\n", st.JobId, typeLabel(st.Type), st.Dataset, st.DatasetVersion)
		if !f.watch {
			return nil
		}
		return watchJob(cmd.Context(), c, out, st.JobId)
	}
	return cmd
}

// spec returns the spec JSON: the file's, or the flags'.
func (f *submitFlags) spec(cmd *cobra.Command, args []string, build func([]string) (jobs.Spec, error)) ([]byte, error) {
	if f.specFile != "" {
		var r io.Reader = cmd.InOrStdin()
		if f.specFile != "-" {
			file, err := os.Open(f.specFile)
			if err != nil {
				return nil, err
			}
			defer file.Close()
			r = file
		}
		b, err := io.ReadAll(io.LimitReader(r, 1<<20))
		if err != nil {
			return nil, fmt.Errorf("--spec %s: %w", f.specFile, err)
		}
		return b, nil
	}
	if f.dataset == "" {
		return nil, usagef("--dataset is required")
	}
	spec, err := build(args)
	if err != nil {
		return nil, err
	}
	spec.Dataset = f.dataset
	return json.Marshal(spec)
}

func itemsetsFlags(rules bool) specBuilder {
	return func(fs *pflag.FlagSet) func([]string) (jobs.Spec, error) {
		it := &jobs.ItemsetsSpec{}
		r := &jobs.RulesSpec{}
		fs.Float64Var(&it.MinSupport, "min-support", 0, "minimum support: a fraction below 1 or a count of 1 or more (required)")
		fs.StringVar(&it.Kind, "kind", "", "all (default), closed or maximal")
		fs.IntVar(&it.MaxSize, "max-size", 0, "largest itemset size (0: no limit)")
		fs.IntVar(&it.MaxPatterns, "max-patterns", 0, "fail when more itemsets are frequent (0: default 10,000,000; -1: no limit)")
		if rules {
			fs.Float64Var(&r.MinConfidence, "min-confidence", 0.5, "minimum rule confidence")
			fs.Float64Var(&r.MinLift, "min-lift", 0, "minimum rule lift")
			fs.Float64Var(&r.MinLeverage, "min-leverage", 0, "minimum rule leverage")
			fs.Float64Var(&r.MinConviction, "min-conviction", 0, "minimum rule conviction")
			fs.IntVar(&r.MaxAntecedent, "max-antecedent", 0, "largest antecedent (0: no limit)")
			fs.IntVar(&r.MaxConsequent, "max-consequent", 0, "largest consequent (0: no limit)")
		}
		return func(args []string) (jobs.Spec, error) {
			if len(args) > 0 {
				return jobs.Spec{}, usagef("unexpected arguments %q", args)
			}
			if rules {
				it.Rules = r
			}
			return jobs.Spec{Type: jobs.TypeItemsets, Itemsets: it}, nil
		}
	}
}

func sequencesFlags(fs *pflag.FlagSet) func([]string) (jobs.Spec, error) {
	s := &jobs.SequencesSpec{}
	fs.Float64Var(&s.MinSupport, "min-support", 0, "minimum support over customers: a fraction below 1 or a count (required)")
	fs.IntVar(&s.MaxLength, "max-length", 0, "longest pattern in items (0: no limit)")
	fs.Int64Var(&s.MinGap, "min-gap", 0, "least time between consecutive elements, in --time-unit")
	fs.Int64Var(&s.MaxGap, "max-gap", 0, "most time between consecutive elements (0: no limit)")
	fs.Int64Var(&s.MaxWindow, "max-window", 0, "most time from first to last element (0: no limit)")
	fs.StringVar(&s.TimeUnit, "time-unit", "", "unit of gaps and windows: second, minute, hour, day (default), week or a Go duration")
	fs.IntVar(&s.MaxPatterns, "max-patterns", 0, "fail when more patterns are frequent (0: default; -1: no limit)")
	return func(args []string) (jobs.Spec, error) {
		if len(args) > 0 {
			return jobs.Spec{}, usagef("unexpected arguments %q", args)
		}
		return jobs.Spec{Type: jobs.TypeSequences, Sequences: s}, nil
	}
}

func segmentsFlags(fs *pflag.FlagSet) func([]string) (jobs.Spec, error) {
	s := &jobs.SegmentsSpec{}
	var seed uint64
	fs.IntVar(&s.K, "k", 0, "number of segments (required)")
	fs.Uint64Var(&seed, "seed", 1, "k-means seeding seed")
	fs.StringVar(&s.Init, "init", "", "seeding: kmeans|| (default) or kmeans++")
	fs.StringVar(&s.Scale, "scale", "", "feature scaling: standard (default), minmax or logstandard")
	fs.IntVar(&s.MaxIter, "max-iter", 0, "most Lloyd rounds (0: default)")
	return func(args []string) (jobs.Spec, error) {
		if len(args) > 0 {
			return jobs.Spec{}, usagef("unexpected arguments %q", args)
		}
		s.Seed = &seed
		return jobs.Spec{Type: jobs.TypeSegments, Segments: s}, nil
	}
}

func modelFlags(fs *pflag.FlagSet) func([]string) (jobs.Spec, error) {
	m := &jobs.ModelSpec{}
	fs.StringVar(&m.Rules, "rules-job", "", "id of the succeeded rules job to bundle")
	fs.StringVar(&m.Sequences, "sequences-job", "", "id of the succeeded sequences job to bundle")
	fs.StringVar(&m.Segments, "segments-job", "", "id of the succeeded segments job to bundle")
	return func(args []string) (jobs.Spec, error) {
		if len(args) > 0 {
			return jobs.Spec{}, usagef("unexpected arguments %q", args)
		}
		return jobs.Spec{Type: jobs.TypeModel, Model: m}, nil
	}
}

func importSpecFlags(fs *pflag.FlagSet) func([]string) (jobs.Spec, error) {
	s := &jobs.ImportSpec{}
	fs.StringVar(&s.Format, "format", "", "csv (default for .csv), tsv, fimi or spmf")
	fs.IntVar(&s.Partitions, "partitions", 0, "customer-hash partitions (default as quarry dataset import)")
	fs.BoolVar(&s.SkipBadLines, "skip-bad-lines", false, "quarantine bad lines instead of failing")
	fs.Int64Var(&s.SplitSize, "split-size", 0, "target split size in bytes (default 16 MiB)")
	fs.BoolVar(&s.Append, "append", false, "append to the dataset's latest version")
	fs.StringVar(&s.TimeLayout, "time-layout", "", "Go time layout of the time column (default: detected)")
	ratio := fs.Int("max-gzip-ratio", split.DefaultMaxGzipRatio, "refuse a gzip source that inflates more than this many times its compressed size, past 16 MiB (a gzip bomb); 0: no limit")
	return func(args []string) (jobs.Spec, error) {
		if len(args) == 0 {
			return jobs.Spec{}, usagef("name the objects to import: keys in the cluster's store")
		}
		if fs.Changed("max-gzip-ratio") {
			s.MaxGzipRatio = ratio
		}
		s.Sources = args
		return jobs.Spec{Type: jobs.TypeImport, Import: s}, nil
	}
}

// newClientJobID returns a job id for a submission: the type, the time
// and random bytes; it is also the request id, so a retried submission
// finds its job.
func newClientJobID(typ string) string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return typ + "-" + strconv.FormatInt(time.Now().UnixMilli(), 36) + "-" + hex.EncodeToString(b[:])
}

// typeLabel is a job type as the CLI names it.
func typeLabel(t quarryv1.JobType) string {
	return strings.ToLower(strings.TrimPrefix(t.String(), "JOB_TYPE_"))
}
