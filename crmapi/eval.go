package crmapi

import (
	"context"
	"fmt"
	"os"

	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// EvalConfig configures Evaluate: the dataset version to evaluate on, how
// many orders to hide per customer, the length of the recommendation list
// and the parameters of the jobs the model is built from.
type EvalConfig struct {
	// Dataset and Version name the dataset (Version 0: the latest).
	Dataset string
	Version int
	// Holdout is the number of each customer's last orders with a sale
	// that are hidden from training and recommended for (default 1).
	Holdout int
	// K is the length of the recommendation lists scored (default 10).
	K int
	// Rules, Sequences and Segments are the parameters of the itemsets
	// (with rules), sequences and segments jobs run on the training data.
	Rules     jobs.ItemsetsSpec
	Sequences jobs.SequencesSpec
	Segments  jobs.SegmentsSpec
	// Workers is the number of tasks the jobs run at once (default 1);
	// the results do not depend on it.
	Workers int
	// ScratchDir is the folder the training dataset, the jobs' results
	// and the model are written to. Empty: a temporary folder, removed
	// when Evaluate returns. A folder given is kept, for inspection; it
	// must not hold an earlier evaluation.
	ScratchDir string
}

// DefaultEvalConfig returns the defaults for dataset name: hide the last
// order, score the top 10; rules at support 2% of the orders (at most 3
// items) and confidence 0.3, sequences at support 0.5% of the customers
// (at most 4 items, consecutive purchases at most 30 days apart), 4
// segments with seed 1: on the shared Online Retail log the settings with
// the best hit rate among those tried (docs/crmapi.md, "Ranking quality").
func DefaultEvalConfig(name string) EvalConfig {
	seed := uint64(1)
	return EvalConfig{
		Dataset:   name,
		Holdout:   1,
		K:         10,
		Rules:     jobs.ItemsetsSpec{MinSupport: 0.02, MaxSize: 3, Rules: &jobs.RulesSpec{MinConfidence: 0.3}},
		Sequences: jobs.SequencesSpec{MinSupport: 0.005, MaxLength: 4, MaxGap: 30},
		Segments:  jobs.SegmentsSpec{K: 4, Seed: &seed},
		Workers:   1,
	}
}

// MaxEvalK bounds EvalConfig.K.
const MaxEvalK = 1000

// Validate checks the configuration; the error names the field.
func (c *EvalConfig) Validate() error {
	if c.Holdout < 1 {
		return fmt.Errorf("holdout %d: want at least 1 order", c.Holdout)
	}
	if c.K < 1 || c.K > MaxEvalK {
		return fmt.Errorf("k %d: want an integer in [1, %d]", c.K, MaxEvalK)
	}
	if c.Workers < 1 {
		return fmt.Errorf("workers %d: want at least 1", c.Workers)
	}
	if c.Rules.Rules == nil {
		return fmt.Errorf("rules: no rules section (min confidence)")
	}
	for _, s := range c.specs() {
		if err := s.Validate(); err != nil {
			return err
		}
	}
	return nil
}

// Job ids of an evaluation, in its scratch store.
const (
	evalRulesJob     = "eval-rules"
	evalSequencesJob = "eval-sequences"
	evalSegmentsJob  = "eval-segments"
	evalModelJob     = "eval-model"
)

// specs returns the job specs of the evaluation, in the order they run.
func (c *EvalConfig) specs() []jobs.Spec {
	rules, seqs, segs := c.Rules, c.Sequences, c.Segments
	return []jobs.Spec{
		{Type: jobs.TypeItemsets, Dataset: c.Dataset, Itemsets: &rules},
		{Type: jobs.TypeSequences, Dataset: c.Dataset, Sequences: &seqs},
		{Type: jobs.TypeSegments, Dataset: c.Dataset, Segments: &segs},
		{Type: jobs.TypeModel, Dataset: c.Dataset, Model: &jobs.ModelSpec{Rules: evalRulesJob, Sequences: evalSequencesJob, Segments: evalSegmentsJob}},
	}
}

// EvalReport is the outcome of an offline evaluation.
type EvalReport struct {
	Dataset        string `json:"dataset"`
	DatasetVersion int    `json:"dataset_version"`
	Holdout        int    `json:"holdout_last"`
	K              int    `json:"k"`
	// Jobs are the specs the model was built with, in the order run.
	Jobs []jobs.Spec `json:"jobs"`
	// TrainingOrders are the orders kept, HiddenOrders those hidden
	// (the evaluated customers' last orders and what followed them).
	TrainingOrders int `json:"training_orders"`
	HiddenOrders   int `json:"hidden_orders"`
	// Catalogue is the number of items sold in the training data, the
	// denominator of coverage.
	Catalogue int `json:"catalogue_items"`
	// Rules and Sequences count the model's association rules and its
	// sequential patterns of two or more elements; Segments its segments.
	Rules     int `json:"rules"`
	Sequences int `json:"sequence_rules"`
	Segments  int `json:"segments"`
	// Methods are the scores: the recommender as served, its rule and
	// sequence part alone, and the popularity baseline.
	Methods []MethodScore `json:"methods"`
}

// Evaluate measures the ranking quality of the recommender on dataset
// cfg.Dataset of store: it writes, into a scratch store, the dataset
// minus each customer's last cfg.Holdout orders with a sale, runs the
// itemsets (with rules), sequences, segments and model jobs on it with
// jobs.RunLocal, loads the model, and scores the top cfg.K
// recommendations of every customer with more than cfg.Holdout such
// orders against the items they bought in the hidden orders, beside a
// popularity baseline (see MethodScore). The report depends only on the
// data and cfg.
func Evaluate(ctx context.Context, store objstore.Bucket, cfg EvalConfig) (*EvalReport, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	src, err := dataset.Open(ctx, store, cfg.Dataset, cfg.Version)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	cfg.Version = src.Manifest.Version
	dir := cfg.ScratchDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "quarry-eval-"); err != nil {
			return nil, fmt.Errorf("evaluate: %w", err)
		}
		defer os.RemoveAll(dir)
	}
	scratch, err := local.New(dir)
	if err != nil {
		return nil, fmt.Errorf("evaluate: scratch store: %w", err)
	}
	defer scratch.Close()
	tr, err := buildTraining(ctx, src, scratch, cfg.Holdout)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	specs := cfg.specs()
	ids := []string{evalRulesJob, evalSequencesJob, evalSegmentsJob, evalModelJob}
	for i, s := range specs {
		if _, err := jobs.RunLocal(ctx, scratch, s, jobs.LocalOptions{JobID: ids[i], Workers: cfg.Workers}); err != nil {
			return nil, fmt.Errorf("evaluate: %s job on the training data: %w", s.Type, err)
		}
	}
	m, err := Load(ctx, scratch, cfg.Dataset, 0)
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	rep := &EvalReport{
		Dataset: cfg.Dataset, DatasetVersion: cfg.Version, Holdout: cfg.Holdout, K: cfg.K, Jobs: specs,
		TrainingOrders: tr.orders, HiddenOrders: tr.hidden,
		Rules: len(m.rules), Sequences: len(m.seqs), Segments: len(m.segments),
	}
	rep.Catalogue, rep.Methods = m.score(tr.held, cfg.K)
	return rep, nil
}
