package jobs

import (
	"encoding/json"
	"fmt"
	"slices"

	"github.com/quarrydata/quarry/algorithms/support"
	"github.com/quarrydata/quarry/storage/dataset"
)

// twoPhaseOps are the operations of a two-phase (SON) pattern job.
type twoPhaseOps struct {
	local, union, count, finish Op
}

// thresholdParams carry the database size and the global count threshold
// to the tasks of a two-phase job.
type thresholdParams struct {
	N        int `json:"n"`
	MinCount int `json:"min_count"`
}

// sizeSummary is the summary of a size task.
type sizeSummary struct {
	Records int `json:"records"`
}

// nextTwoPhase plans the stages of a two-phase job:
//
//	size       (logs only) one task per bucket: count the records
//	local      one task per bucket: mine at support.Local's scaled threshold
//	candidates one task: the union of the local results
//	count      one task per bucket: exact counts of every candidate
//	finish     one task: sum, filter at MinCount, write the results
//
// When phase one is a single task (one bucket, or buckets grouped, see
// MinLocalCount), it mined at the global threshold and its supports are
// exact: candidates and count are skipped and finish reads its output.
// For baskets and sequence datasets the record count comes from the
// manifest; a log's transactions (orders with a sale) or sequences
// (customers with a sale) are only known by reading, hence the size stage.
func nextTwoPhase(st *State, ops twoPhaseOps, minSupport float64) (*Stage, error) {
	m := st.Manifest
	names := []string{"local", "candidates", "count", "finish"}
	if m.Kind == dataset.KindLog {
		names = append([]string{"size"}, names...)
	}
	// One phase-one task mines everything at the global threshold: its
	// local supports are the exact ones, so the job skips to finish.
	if c := st.stage("local"); c != nil && len(c.Stage.Tasks) == 1 {
		names = slices.DeleteFunc(names, func(n string) bool { return n == "candidates" || n == "count" })
	}
	done := len(st.Stages)
	if done == len(names) {
		return nil, nil
	}
	if done > len(names) {
		return nil, fmt.Errorf("%w: %d stages completed, the job has %d", ErrPlan, done, len(names))
	}
	name := names[done]
	if name == "size" {
		return partitionStage("size", m, OpSize, nil, nil), nil
	}
	th, err := support.FromFloat(minSupport)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrPlan, err)
	}
	n := 0
	if c := st.stage("size"); c != nil {
		for i, r := range c.Results {
			var s sizeSummary
			if err := decodeJSON(r.Summary, &s); err != nil {
				return nil, fmt.Errorf("size task %d: %w", i, err)
			}
			n += s.Records
		}
	} else {
		for _, p := range m.Partitions {
			n += p.Records
		}
	}
	p := thresholdParams{N: n, MinCount: th.MinCount(n)}
	switch name {
	case "local":
		return groupStage("local", localGroups(m.Partitioning.Partitions, p.MinCount), ops.local, p), nil
	case "candidates":
		return mergeStage("candidates", ops.union, st.stage("local").keys(), nil), nil
	case "count":
		return partitionStage("count", m, ops.count, st.stage("candidates").keys(), nil), nil
	default:
		if st.stage("candidates") == nil {
			return mergeStage("finish", ops.finish, st.stage("local").keys(), p), nil
		}
		inputs := append(st.stage("candidates").keys(), st.stage("count").keys()...)
		return mergeStage("finish", ops.finish, inputs, p), nil
	}
}

// MinLocalCount is the least scaled threshold a phase-one task mines at.
// Phase one's threshold for a task reading a share f of the records is
// about f × MinCount; with many small partitions and a low support it
// falls to 1 or 2, where every subset of every transaction is a candidate
// and mining explodes (2^40 itemsets for a basket of 40 items). So phase
// one groups buckets: G = min(P, max(1, MinCount / MinLocalCount)) tasks,
// bucket b in group b mod G. Exactness does not depend on the grouping;
// the count stage still has one task per bucket.
const MinLocalCount = 8

// localGroups returns the buckets of each phase-one task.
func localGroups(p, minCount int) [][]int {
	g := min(p, max(1, minCount/MinLocalCount))
	groups := make([][]int, g)
	for b := 0; b < p; b++ {
		groups[b%g] = append(groups[b%g], b)
	}
	return groups
}

// groupStage returns a stage of one task per group of buckets.
func groupStage(name string, groups [][]int, op Op, params any) *Stage {
	s := &Stage{Name: name}
	p := rawParams(params)
	for _, g := range groups {
		s.Tasks = append(s.Tasks, TaskSpec{Op: op, Buckets: g, Params: p})
	}
	return s
}

// params decodes a task's parameters into v.
func params(t *TaskSpec, v any) error {
	if len(t.Params) > MaxSummary {
		return fmt.Errorf("task %s/%d: parameters of %d bytes exceed %d", t.Stage, t.Index, len(t.Params), MaxSummary)
	}
	if err := json.Unmarshal(t.Params, v); err != nil {
		return fmt.Errorf("task %s/%d: parameters: %w", t.Stage, t.Index, err)
	}
	return nil
}

// summarize sets a task's summary.
func summarize(res *TaskResult, v any) {
	res.Summary = mustJSON(v)
}
