package jobs

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/quarrydata/quarry/internal/names"
	"github.com/quarrydata/quarry/storage/dataset"
)

// Op names the operation a task runs; RunTask dispatches on it.
type Op string

// The operations. Partition operations read hash buckets of the dataset;
// merge operations read only the objects named in TaskSpec.Inputs.
const (
	OpSize            Op = "size"              // partition: count transactions or sequences
	OpItemsetsLocal   Op = "itemsets-local"    // partition: mine at the scaled threshold
	OpItemsetsUnion   Op = "itemsets-union"    // merge: union of the local candidates
	OpItemsetsCount   Op = "itemsets-count"    // partition: exact counts of the union
	OpItemsetsFinish  Op = "itemsets-finish"   // merge: filter, select, rules, results
	OpSequencesLocal  Op = "sequences-local"   // partition: mine at the scaled threshold
	OpSequencesUnion  Op = "sequences-union"   // merge: union of the local candidates
	OpSequencesCount  Op = "sequences-count"   // partition: exact counts of the union
	OpSequencesFinish Op = "sequences-finish"  // merge: filter, results
	OpSegScan         Op = "segments-scan"     // partition: customer ids, latest time
	OpSegFeatures     Op = "segments-features" // partition: features, global row ids, stats
	OpSegBounds       Op = "segments-bounds"   // partition: bounds, first k-means|| candidate
	OpSegCost         Op = "segments-cost"     // partition: k-means|| cost and weights (and moments)
	OpSegSample       Op = "segments-sample"   // partition: k-means|| samples of a round
	OpSegLloyd        Op = "segments-lloyd"    // partition: one Lloyd step's partial sums
	OpSegAssign       Op = "segments-assign"   // partition: final labels
	OpSegFinish       Op = "segments-finish"   // merge: segment profiles, results
	OpModel           Op = "model"             // merge: bundle results into a model
	OpImportParse     Op = "import-parse"      // split: parse one split of a source
	OpImportDict      Op = "import-dictionary" // merge: the global item dictionary
	OpImportBuild     Op = "import-build"      // bucket: build and write one partition
	OpImportPublish   Op = "import-publish"    // merge: publish the dataset version
)

// Job is a submitted job: its id (assigned by the coordinator, unique,
// usable in an object key) and its spec as Prepare returned it (the
// dataset version pinned, or an import's sources).
type Job struct {
	ID   string `json:"id"`
	Spec Spec   `json:"spec"`
}

// Stage is a set of independent tasks; the next stage starts when every
// task has an accepted attempt.
type Stage struct {
	Name  string     `json:"name"`
	Tasks []TaskSpec `json:"tasks"`
}

// TaskSpec is what a worker needs to run one attempt of a task. The
// scheduler copies it per attempt and sets Attempt.
type TaskSpec struct {
	Job   string `json:"job"`
	Spec  Spec   `json:"spec"`
	Stage string `json:"stage"`
	Op    Op     `json:"op"`
	// Index is the task's position in its stage.
	Index int `json:"index"`
	// Buckets are the hash buckets a partition task reads (every segment's
	// partition of each).
	Buckets []int `json:"buckets,omitempty"`
	// Inputs are objects written by accepted attempts of earlier stages.
	Inputs []string `json:"inputs,omitempty"`
	// Params are small values computed by Next from earlier summaries
	// (thresholds, merged statistics, centroids): JSON, at most
	// MaxSummary bytes.
	Params json.RawMessage `json:"params,omitempty"`
	// Attempt identifies the attempt; it names the output key.
	Attempt string `json:"attempt"`
}

// TaskResult is what an attempt reports: its output object, a small
// summary for Next, and statistics for progress.
type TaskResult struct {
	// Key is the object written ("" when the task writes none). For a
	// final task it is the result manifest's key.
	Key string `json:"key,omitempty"`
	// Summary is a small encoded value (at most MaxSummary bytes) read by
	// Next, e.g. a count, statistics or a k-means partial.
	Summary []byte `json:"summary,omitempty"`
	// Rows are the records read, BytesRead the partition bytes read,
	// BytesWritten the output's size.
	Rows         int64         `json:"rows"`
	BytesRead    int64         `json:"bytes_read"`
	BytesWritten int64         `json:"bytes_written"`
	Duration     time.Duration `json:"duration"`
}

// Completed is a finished stage with the accepted result of each task,
// Results[i] for Stage.Tasks[i].
type Completed struct {
	Stage   Stage        `json:"stage"`
	Results []TaskResult `json:"results"`
}

// State is what Next plans from: the job, its pinned dataset manifest
// (nil for an import), and the stages completed so far, in order.
type State struct {
	Job      Job
	Manifest *dataset.Manifest
	Stages   []Completed
}

// ErrPlan is wrapped by the errors of Plan and Next: a spec that does not
// fit the dataset, or results that do not fit the plan.
var ErrPlan = errors.New("cannot plan job")

// Plan returns the first stage of job over the dataset version described
// by m. The version in job.Spec must be m's; an import plans with a nil m
// from the spec Prepare pinned.
func Plan(job Job, m *dataset.Manifest) (*Stage, error) {
	return Next(State{Job: job, Manifest: m})
}

// Next returns the stage that follows the completed ones, or nil when the
// job is done (the last stage's single result then holds the result
// manifest's key, or for an import the published dataset manifest's). It
// is a pure function of st: the coordinator calls it after every stage,
// so iterative jobs (k-means rounds until convergence) grow their stage
// list as they go. An import whose input has a bad line (and no
// skip_bad_lines) fails here, after its parse stage, with the
// *format.LineError naming the source object and line.
func Next(st State) (*Stage, error) {
	if err := ValidateID(st.Job.ID); err != nil {
		return nil, err
	}
	if st.Job.Spec.Type == TypeImport {
		st.Manifest = nil // an import reads no dataset version
	} else if st.Manifest == nil {
		return nil, fmt.Errorf("%w: no dataset manifest", ErrPlan)
	}
	if err := st.Job.Spec.Validate(); err != nil {
		return nil, err
	}
	if m := st.Manifest; m != nil && (st.Job.Spec.Version != m.Version || st.Job.Spec.Dataset != m.Name) {
		return nil, fmt.Errorf("%w: job pinned to %s v%d, manifest is %s v%d", ErrPlan,
			st.Job.Spec.Dataset, st.Job.Spec.Version, st.Manifest.Name, st.Manifest.Version)
	}
	for i, c := range st.Stages {
		if len(c.Results) != len(c.Stage.Tasks) {
			return nil, fmt.Errorf("%w: stage %d %q has %d results for %d tasks", ErrPlan, i, c.Stage.Name, len(c.Results), len(c.Stage.Tasks))
		}
	}
	var (
		s   *Stage
		err error
	)
	switch st.Job.Spec.Type {
	case TypeItemsets:
		s, err = nextItemsets(&st)
	case TypeSequences:
		s, err = nextSequences(&st)
	case TypeSegments:
		s, err = nextSegments(&st)
	case TypeModel:
		s, err = nextModel(&st)
	case TypeImport:
		s, err = nextImport(&st)
	default:
		err = fmt.Errorf("%w: job type %q", ErrPlan, st.Job.Spec.Type)
	}
	if err != nil || s == nil {
		return nil, err
	}
	for i := range s.Tasks {
		t := &s.Tasks[i]
		t.Job, t.Spec, t.Stage, t.Index = st.Job.ID, st.Job.Spec, s.Name, i
		if len(t.Params) > MaxSummary {
			return nil, fmt.Errorf("%w: stage %s: parameters of %d bytes exceed %d", ErrPlan, s.Name, len(t.Params), MaxSummary)
		}
	}
	return s, nil
}

// partitionStage returns a stage of one task per hash bucket.
func partitionStage(name string, m *dataset.Manifest, op Op, inputs []string, params any) *Stage {
	s := &Stage{Name: name}
	p := rawParams(params)
	for b := 0; b < m.Partitioning.Partitions; b++ {
		s.Tasks = append(s.Tasks, TaskSpec{Op: op, Buckets: []int{b}, Inputs: inputs, Params: p})
	}
	return s
}

// mergeStage returns a stage of one task.
func mergeStage(name string, op Op, inputs []string, params any) *Stage {
	return &Stage{Name: name, Tasks: []TaskSpec{{Op: op, Inputs: inputs, Params: rawParams(params)}}}
}

func rawParams(v any) json.RawMessage {
	if v == nil {
		return nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // parameters are plain structs that always encode
	}
	return b
}

// keys returns the output keys of a completed stage, in task order.
func (c *Completed) keys() []string {
	out := make([]string, len(c.Results))
	for i, r := range c.Results {
		out[i] = r.Key
	}
	return out
}

// stage returns the completed stage named name, or nil.
func (st *State) stage(name string) *Completed {
	for i := range st.Stages {
		if st.Stages[i].Stage.Name == name {
			return &st.Stages[i]
		}
	}
	return nil
}

// ValidateID checks a job or attempt id: 1 to 128 letters, digits, '.',
// '_' or '-', starting with a letter or digit, so that it is safe in an
// object key.
func ValidateID(id string) error {
	if !names.Valid(id) {
		return fmt.Errorf("%w: id %s: use 1 to 128 letters, digits, '.', '_' or '-'", ErrInvalidSpec, names.QuoteShort(id))
	}
	return nil
}
