package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// Fault is a failure RunLocal simulates for a task, to exercise the
// attempt and commit protocol in process.
type Fault int

const (
	// FaultNone runs the task once.
	FaultNone Fault = iota
	// FaultFailOnce runs a first attempt whose result is then lost (as if
	// its worker died after writing), then a second attempt, which is
	// accepted; the first attempt's object is an orphan.
	FaultFailOnce
	// FaultDuplicate runs two attempts at once, as a speculative copy of a
	// straggler: the first to complete is accepted, the other ignored.
	FaultDuplicate
)

// LocalOptions tune RunLocal.
type LocalOptions struct {
	// JobID names the job (default: "local-" and 12 random hex digits).
	JobID string
	// Workers is the number of tasks run at once (default 1).
	Workers int
	// Faults, when set, picks a simulated failure per task.
	Faults func(stage string, task int) Fault
	// KeepPartials keeps the accepted partial objects after the job;
	// orphans are always collected.
	KeepPartials bool
}

// Result is a finished job: the job as planned, its result manifest (nil
// for an import), the dataset version an import published (nil for the
// other types), and every stage with its accepted results.
type Result struct {
	Job      Job
	Manifest *ResultManifest
	Dataset  *dataset.Manifest
	Stages   []Completed
}

// RunLocal runs a job in process: it prepares the spec (Prepare: the
// dataset version pinned, or an import's sources), then loops Next → run
// every task of the stage → record the accepted attempts, until Next says
// done, and garbage-collects the orphaned attempts. When the job fails or
// ctx ends it collects every partial (and what an import wrote into its
// dataset) before returning the error, so a failed import publishes and
// leaves nothing. It is the reference loop the coordinator follows, with
// workers replaced by goroutines.
func RunLocal(ctx context.Context, b objstore.Bucket, spec Spec, opt LocalOptions) (*Result, error) {
	if opt.JobID == "" {
		var r [6]byte
		rand.Read(r[:])
		opt.JobID = "local-" + hex.EncodeToString(r[:])
	}
	if opt.Workers < 1 {
		opt.Workers = 1
	}
	spec, m, err := Prepare(ctx, b, spec)
	if err != nil {
		return nil, err
	}
	st := State{Job: Job{ID: opt.JobID, Spec: spec}, Manifest: m}
	if err := runStages(ctx, b, &st, opt); err != nil {
		// Collect even when ctx is cancelled; keep nothing but results.
		gctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Minute)
		defer cancel()
		GC(gctx, b, opt.JobID, nil)
		return nil, err
	}
	var keep []string
	if opt.KeepPartials {
		for _, c := range st.Stages {
			keep = append(keep, c.keys()...)
		}
	}
	if _, err := GC(ctx, b, opt.JobID, keep); err != nil {
		return nil, err
	}
	res := &Result{Job: st.Job, Stages: st.Stages}
	if spec.Type == TypeImport {
		var ps publishSummary
		if err := decodeJSON(st.Stages[len(st.Stages)-1].Results[0].Summary, &ps); err != nil {
			return nil, err
		}
		if res.Dataset, err = dataset.LoadManifest(ctx, b, spec.Dataset, ps.Version); err != nil {
			return nil, err
		}
		return res, nil
	}
	if res.Manifest, err = LoadResult(ctx, b, opt.JobID); err != nil {
		return nil, err
	}
	return res, nil
}

// runStages runs the stages Next plans until it says done.
func runStages(ctx context.Context, b objstore.Bucket, st *State, opt LocalOptions) error {
	for {
		s, err := Next(*st)
		if err != nil {
			return err
		}
		if s == nil {
			return nil
		}
		results, err := runStage(ctx, b, s, opt)
		if err != nil {
			return err
		}
		st.Stages = append(st.Stages, Completed{Stage: *s, Results: results})
	}
}

// runStage runs every task of s on opt.Workers goroutines and returns the
// accepted result of each.
func runStage(ctx context.Context, b objstore.Bucket, s *Stage, opt LocalOptions) ([]TaskResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]TaskResult, len(s.Tasks))
	errs := make([]error, len(s.Tasks))
	next := make(chan int)
	var wg sync.WaitGroup
	for range min(opt.Workers, len(s.Tasks)) {
		wg.Go(func() {
			for i := range next {
				fault := FaultNone
				if opt.Faults != nil {
					fault = opt.Faults(s.Name, i)
				}
				results[i], errs[i] = runWithFault(ctx, b, s.Tasks[i], fault)
				if errs[i] != nil {
					cancel()
				}
			}
		})
	}
	for i := range s.Tasks {
		next <- i
	}
	close(next)
	wg.Wait()
	// Report the cause, not a task that stopped because another failed:
	// the first error that is not this stage's own cancellation.
	var first error
	for _, err := range errs {
		switch {
		case err == nil:
		case first == nil:
			first = err
		case errors.Is(first, context.Canceled) && !errors.Is(err, context.Canceled):
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	return results, nil
}

// runWithFault runs the attempts of one task that fault calls for and
// returns the accepted one's result: the first completion wins.
func runWithFault(ctx context.Context, b objstore.Bucket, t TaskSpec, fault Fault) (TaskResult, error) {
	attempt := func(n int) (TaskResult, error) {
		a := t
		a.Attempt = fmt.Sprintf("a%d", n)
		return RunTask(ctx, b, a)
	}
	switch fault {
	case FaultFailOnce:
		if _, err := attempt(1); err != nil {
			return TaskResult{}, err
		}
		return attempt(2)
	case FaultDuplicate:
		var (
			mu       sync.Mutex
			accepted bool
			won      TaskResult
			firstErr error
			wg       sync.WaitGroup
		)
		for n := 1; n <= 2; n++ {
			wg.Go(func() {
				r, err := attempt(n)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err != nil && firstErr == nil:
					firstErr = err
				case err == nil && !accepted:
					accepted, won = true, r
				}
			})
		}
		wg.Wait()
		if !accepted {
			return TaskResult{}, firstErr
		}
		return won, nil
	}
	return attempt(1)
}
