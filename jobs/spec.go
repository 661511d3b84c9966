package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/support"
	"github.com/quarrydata/quarry/internal/names"
	"github.com/quarrydata/quarry/storage/dataset"
)

// ErrInvalidSpec is wrapped by the errors of Spec.Validate (and of
// Prepare for an import source that does not exist); the message names
// the offending field by its JSON path.
var ErrInvalidSpec = errors.New("invalid job spec")

// Type is a job type.
type Type string

// The job types. An import job reads raw objects into a new version of
// its dataset; the others mine a dataset version.
const (
	TypeItemsets  Type = "itemsets"
	TypeSequences Type = "sequences"
	TypeSegments  Type = "segments"
	TypeModel     Type = "model"
	TypeImport    Type = "import"
)

// Spec is what an analyst submits: a job type, the dataset it reads and
// the parameters of its type (exactly one of the type sections, matching
// Type). It is JSON; see docs/jobs.md.
type Spec struct {
	Type Type `json:"type"`
	// Dataset names the dataset (for an import, the dataset it adds a
	// version to); Version pins a version (0: the latest, resolved by
	// Prepare when the job is submitted; an import leaves it 0).
	Dataset string `json:"dataset"`
	Version int    `json:"version,omitempty"`

	Itemsets  *ItemsetsSpec  `json:"itemsets,omitempty"`
	Sequences *SequencesSpec `json:"sequences,omitempty"`
	Segments  *SegmentsSpec  `json:"segments,omitempty"`
	Model     *ModelSpec     `json:"model,omitempty"`
	Import    *ImportSpec    `json:"import,omitempty"`
}

// ItemsetsSpec are the parameters of an itemsets job (and its rules).
type ItemsetsSpec struct {
	// MinSupport is a fraction of the transactions below 1 or an absolute
	// count of 1 or more (package support's rule).
	MinSupport float64 `json:"min_support"`
	// Kind is "all" (default), "closed" or "maximal".
	Kind string `json:"kind,omitempty"`
	// MaxSize bounds the itemset size (0: none).
	MaxSize int `json:"max_size,omitempty"`
	// MaxPatterns fails the job when more itemsets are frequent, locally
	// or globally (default 10,000,000; -1: no limit).
	MaxPatterns int `json:"max_patterns,omitempty"`
	// Rules, when set, also derives association rules.
	Rules *RulesSpec `json:"rules,omitempty"`
}

// RulesSpec filters association rules (rules.Options without Workers).
type RulesSpec struct {
	MinConfidence float64 `json:"min_confidence"`
	MinLift       float64 `json:"min_lift,omitempty"`
	MinLeverage   float64 `json:"min_leverage,omitempty"`
	MinConviction float64 `json:"min_conviction,omitempty"`
	MaxAntecedent int     `json:"max_antecedent,omitempty"`
	MaxConsequent int     `json:"max_consequent,omitempty"`
}

// SequencesSpec are the parameters of a sequences job; gaps and windows
// are in TimeUnit for logs and in positions for SPMF datasets.
type SequencesSpec struct {
	MinSupport  float64 `json:"min_support"`
	MaxLength   int     `json:"max_length,omitempty"`
	MinGap      int64   `json:"min_gap,omitempty"`
	MaxGap      int64   `json:"max_gap,omitempty"`
	MaxWindow   int64   `json:"max_window,omitempty"`
	TimeUnit    string  `json:"time_unit,omitempty"` // second, minute, hour, day (default), week, or a Go duration ≥ 1s
	MaxPatterns int     `json:"max_patterns,omitempty"`
}

// SegmentsSpec are the parameters of a segments job: k-means|| seeding
// and Lloyd rounds over scaled customer features.
type SegmentsSpec struct {
	// K is the number of segments. ("auto" ranges are not supported by
	// the distributed job yet.)
	K int `json:"k"`
	// Seed seeds every random choice (default 1, as quarry mine).
	Seed *uint64 `json:"seed,omitempty"`
	// Init must be "kmeans||" (the default): greedy k-means++ is
	// sequential and single-process only.
	Init string `json:"init,omitempty"`
	// Scale is standard, minmax or logstandard (default).
	Scale string `json:"scale,omitempty"`
	// MaxIter caps Lloyd rounds (default 300); Tol is the relative
	// convergence tolerance (default 1e-4; 0: until no label changes).
	MaxIter int      `json:"max_iter,omitempty"`
	Tol     *float64 `json:"tol,omitempty"`
	// Rounds and Oversampling tune k-means|| (defaults 5 and 2k).
	Rounds       int     `json:"rounds,omitempty"`
	Oversampling float64 `json:"oversampling,omitempty"`
}

// ModelSpec names the finished jobs whose results a model bundles; the
// coordinator fills in the latest successful job of each type for the
// dataset when the analyst leaves one out. At least one is required.
type ModelSpec struct {
	Rules     string `json:"rules_job,omitempty"`
	Sequences string `json:"sequences_job,omitempty"`
	Segments  string `json:"segments_job,omitempty"`
}

// validate checks the job ids a model names: they become object keys.
func (m *ModelSpec) validate() error {
	for _, f := range []struct{ field, id string }{
		{"model.rules_job", m.Rules}, {"model.sequences_job", m.Sequences}, {"model.segments_job", m.Segments},
	} {
		if f.id == "" {
			continue
		}
		if !names.Valid(f.id) {
			return invalid(f.field, "%s is not a job id: use 1 to 128 letters, digits, '.', '_' or '-'", names.QuoteShort(f.id))
		}
	}
	return nil
}

// ParseSpec decodes a JSON spec strictly (unknown fields are errors) and
// validates it.
func ParseSpec(data []byte) (Spec, error) {
	var s Spec
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&s); err != nil {
		return Spec{}, fmt.Errorf("%w: %v", ErrInvalidSpec, err)
	}
	return s, s.Validate()
}

func invalid(field, format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", ErrInvalidSpec, field, fmt.Sprintf(format, args...))
}

// Validate checks the spec; the error names the field.
func (s *Spec) Validate() error {
	if err := dataset.ValidateName(s.Dataset); err != nil {
		return invalid("dataset", "%v", err)
	}
	if s.Version < 0 {
		return invalid("version", "%d is negative", s.Version)
	}
	sections := 0
	for _, set := range []bool{s.Itemsets != nil, s.Sequences != nil, s.Segments != nil, s.Model != nil, s.Import != nil} {
		if set {
			sections++
		}
	}
	if sections > 1 {
		return invalid("type", "give only the section of type %q", s.Type)
	}
	switch s.Type {
	case TypeItemsets:
		if s.Itemsets == nil {
			return invalid("itemsets", "required for type itemsets")
		}
		return s.Itemsets.validate()
	case TypeSequences:
		if s.Sequences == nil {
			return invalid("sequences", "required for type sequences")
		}
		return s.Sequences.validate()
	case TypeSegments:
		if s.Segments == nil {
			return invalid("segments", "required for type segments")
		}
		return s.Segments.validate()
	case TypeModel:
		if s.Model == nil {
			return invalid("model", "required for type model")
		}
		if s.Model.Rules == "" && s.Model.Sequences == "" && s.Model.Segments == "" {
			return invalid("model", "name at least one of rules_job, sequences_job, segments_job")
		}
		return s.Model.validate()
	case TypeImport:
		if s.Import == nil {
			return invalid("import", "required for type import")
		}
		if s.Version != 0 {
			return invalid("version", "%d: an import creates the next version; leave version out", s.Version)
		}
		return s.Import.validate()
	}
	return invalid("type", "%q is not itemsets, sequences, segments, model or import", s.Type)
}

func checkSupport(field string, v float64) error {
	if _, err := support.FromFloat(v); err != nil {
		return invalid(field, "%v", err)
	}
	return nil
}

func (it *ItemsetsSpec) validate() error {
	if err := checkSupport("itemsets.min_support", it.MinSupport); err != nil {
		return err
	}
	switch it.Kind {
	case "", "all", "closed", "maximal":
	default:
		return invalid("itemsets.kind", "%q is not all, closed or maximal", it.Kind)
	}
	if it.MaxSize < 0 {
		return invalid("itemsets.max_size", "%d is negative", it.MaxSize)
	}
	if it.MaxPatterns < -1 {
		return invalid("itemsets.max_patterns", "%d is below -1", it.MaxPatterns)
	}
	if r := it.Rules; r != nil {
		switch {
		case math.IsNaN(r.MinConfidence) || r.MinConfidence < 0 || r.MinConfidence > 1:
			return invalid("itemsets.rules.min_confidence", "%v is not within [0, 1]", r.MinConfidence)
		case math.IsNaN(r.MinLift) || r.MinLift < 0:
			return invalid("itemsets.rules.min_lift", "%v is negative", r.MinLift)
		case math.IsNaN(r.MinLeverage):
			return invalid("itemsets.rules.min_leverage", "not a number")
		case math.IsNaN(r.MinConviction) || r.MinConviction < 0:
			return invalid("itemsets.rules.min_conviction", "%v is negative", r.MinConviction)
		case r.MaxAntecedent < 0:
			return invalid("itemsets.rules.max_antecedent", "%d is negative", r.MaxAntecedent)
		case r.MaxConsequent < 0:
			return invalid("itemsets.rules.max_consequent", "%d is negative", r.MaxConsequent)
		}
	}
	return nil
}

// maxPatterns resolves the MaxPatterns convention (0 default, -1 none).
func maxPatterns(v int) int {
	switch v {
	case 0:
		return 10_000_000
	case -1:
		return 0
	}
	return v
}

func (sq *SequencesSpec) validate() error {
	if err := checkSupport("sequences.min_support", sq.MinSupport); err != nil {
		return err
	}
	switch {
	case sq.MaxLength < 0:
		return invalid("sequences.max_length", "%d is negative", sq.MaxLength)
	case sq.MinGap < 0:
		return invalid("sequences.min_gap", "%d is negative", sq.MinGap)
	case sq.MaxGap < 0:
		return invalid("sequences.max_gap", "%d is negative", sq.MaxGap)
	case sq.MaxGap > 0 && sq.MinGap > sq.MaxGap:
		return invalid("sequences.min_gap", "%d is above max_gap %d", sq.MinGap, sq.MaxGap)
	case sq.MaxWindow < 0:
		return invalid("sequences.max_window", "%d is negative", sq.MaxWindow)
	case sq.MaxPatterns < -1:
		return invalid("sequences.max_patterns", "%d is below -1", sq.MaxPatterns)
	}
	if _, err := ParseTimeUnit(sq.TimeUnit); err != nil {
		return invalid("sequences.time_unit", "%v", err)
	}
	return nil
}

// ParseTimeUnit reads a time unit as quarry mine sequences does: second,
// minute, hour, day, week (or s, min, h, d, w), or a Go duration of at
// least one second. "" is a day.
func ParseTimeUnit(s string) (time.Duration, error) {
	switch strings.ToLower(s) {
	case "second", "s":
		return time.Second, nil
	case "minute", "min":
		return time.Minute, nil
	case "hour", "h":
		return time.Hour, nil
	case "day", "d", "":
		return 24 * time.Hour, nil
	case "week", "w":
		return 7 * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < time.Second {
		return 0, fmt.Errorf("%q is not second, minute, hour, day, week or a duration of at least 1s", s)
	}
	return d, nil
}

func (sg *SegmentsSpec) validate() error {
	switch {
	case sg.K < 1:
		return invalid("segments.k", "%d: want a number of segments of at least 1 (auto is not supported by jobs yet)", sg.K)
	case sg.Init != "" && sg.Init != "kmeans||":
		return invalid("segments.init", "%q: only kmeans|| runs distributed", sg.Init)
	case sg.MaxIter < 0:
		return invalid("segments.max_iter", "%d is negative", sg.MaxIter)
	case sg.Tol != nil && (*sg.Tol < 0 || math.IsNaN(*sg.Tol)):
		return invalid("segments.tol", "%v is negative", *sg.Tol)
	case sg.Rounds < 0:
		return invalid("segments.rounds", "%d is negative", sg.Rounds)
	case sg.Oversampling < 0 || math.IsNaN(sg.Oversampling):
		return invalid("segments.oversampling", "%v is negative", sg.Oversampling)
	}
	if sg.Scale != "" {
		if _, err := features.ParseMethod(sg.Scale); err != nil {
			return invalid("segments.scale", "%v", err)
		}
	}
	return nil
}
