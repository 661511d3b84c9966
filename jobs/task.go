package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// RunTask runs one attempt of a task against the store: it reads the
// task's partitions and inputs, runs the kernel, writes its partial result
// under the attempt's own key (AttemptKey) or, for a final task, publishes
// the job's results create-only, and reports what it did. (An import's
// build tasks write partition objects create-only where the dataset
// manifest references them, and its last task publishes that manifest.)
// Its output depends only on the task's inputs and spec, never on the
// attempt, so every attempt of a task writes the same bytes and any one
// can be accepted. Errors name the task, and the partition or object at fault.
func RunTask(ctx context.Context, b objstore.Bucket, t TaskSpec) (TaskResult, error) {
	start := time.Now()
	var res TaskResult
	if err := runTask(ctx, b, &t, &res); err != nil {
		return TaskResult{}, fmt.Errorf("job %s: task %s/%d (%s): %w", t.Job, t.Stage, t.Index, t.Op, err)
	}
	if len(res.Summary) > MaxSummary {
		return TaskResult{}, fmt.Errorf("job %s: task %s/%d: summary of %d bytes exceeds %d", t.Job, t.Stage, t.Index, len(res.Summary), MaxSummary)
	}
	res.Duration = time.Since(start)
	return res, nil
}

func runTask(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	if err := ValidateID(t.Job); err != nil {
		return err
	}
	if err := ValidateID(t.Attempt); err != nil {
		return err
	}
	if err := t.Spec.Validate(); err != nil {
		return err
	}
	if t.Op == OpModel {
		return runModel(ctx, b, t, res)
	}
	if t.Spec.Type == TypeImport {
		return runImport(ctx, b, t, res)
	}
	d, err := dataset.Open(ctx, b, t.Spec.Dataset, t.Spec.Version)
	if err != nil {
		return err
	}
	switch t.Op {
	case OpSize:
		return runSize(ctx, d, t, res)
	case OpItemsetsLocal:
		return runItemsetsLocal(ctx, b, d, t, res)
	case OpItemsetsUnion:
		return runItemsetsUnion(ctx, b, t, res)
	case OpItemsetsCount:
		return runItemsetsCount(ctx, b, d, t, res)
	case OpItemsetsFinish:
		return runItemsetsFinish(ctx, b, d, t, res)
	case OpSequencesLocal:
		return runSequencesLocal(ctx, b, d, t, res)
	case OpSequencesUnion:
		return runSequencesUnion(ctx, b, t, res)
	case OpSequencesCount:
		return runSequencesCount(ctx, b, d, t, res)
	case OpSequencesFinish:
		return runSequencesFinish(ctx, b, d, t, res)
	case OpSegScan:
		return runSegScan(ctx, b, d, t, res)
	case OpSegFeatures:
		return runSegFeatures(ctx, b, d, t, res)
	case OpSegBounds, OpSegCost, OpSegSample, OpSegLloyd:
		return runSegStep(ctx, b, t, res)
	case OpSegAssign:
		return runSegAssign(ctx, b, t, res)
	case OpSegFinish:
		return runSegFinish(ctx, b, d, t, res)
	}
	return fmt.Errorf("%w: unknown operation %q", ErrPlan, t.Op)
}
