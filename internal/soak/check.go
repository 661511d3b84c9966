package soak

import (
	"context"
	"fmt"
	"regexp"
	"strings"

	clientv3 "go.etcd.io/etcd/client/v3"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/internal/clustertest"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// retriesExhausted matches the reasons the scheduler gives when it stops
// retrying a task: the only failures faults may cause.
var retriesExhausted = regexp.MustCompile(`^task \S+ (failed|was lost) [0-9]+ times: `)

// checker checks a run's invariants once every job has ended.
type checker struct {
	c    *clustertest.Cluster
	etcd *clientv3.Client
	ref  objstore.Bucket
	in   inputs
	rep  *Report
	subs []*submission
	// listed are the jobs the cluster lists, by id.
	listed map[string]*quarryv1.JobStatus
	kinds  map[string]JobKind
}

// run checks, in order: that the cluster lists every accepted job once and
// nothing else; each job's outcome, results and exactness; that
// resubmitting returns the same jobs; and what the store publishes.
func (k *checker) run(ctx context.Context) {
	if !k.checkListing() {
		return
	}
	k.checkOutcomes(ctx)
	k.checkResubmission()
	k.checkPublished(ctx)
}

// checkListing: no job lost (an accepted submission not listed),
// duplicated (an id listed twice) or unknown.
func (k *checker) checkListing() bool {
	all, err := k.c.Jobs()
	if err != nil {
		k.rep.violate("list jobs after the run: %v", err)
		return false
	}
	k.listed, k.kinds = map[string]*quarryv1.JobStatus{}, map[string]JobKind{}
	for _, j := range all {
		if k.listed[j.JobId] != nil {
			k.rep.violate("job %s: listed twice", j.JobId)
		}
		k.listed[j.JobId] = j
	}
	for _, s := range k.subs {
		k.kinds[s.ID] = s.Kind
		counts := k.rep.counts(s.Kind)
		switch {
		case k.listed[s.ID] != nil:
			counts.Submitted++
		case s.Accepted:
			k.rep.violate("job %s (%s): lost: SubmitJob accepted it at %s but the cluster does not list it", s.ID, s.Kind, s.Submitted.Format("15:04:05.000"))
		default:
			counts.Unaccepted++
			k.rep.note("submission %s (%s) never accepted in %d tries (last: %s); not listed", s.ID, s.Kind, s.Tries, s.Err)
		}
	}
	for id := range k.listed {
		if _, ok := k.kinds[id]; !ok {
			k.rep.violate("job %s: listed but never submitted", id)
		}
	}
	return true
}

// checkOutcomes checks every listed job's end, models last (their
// reference runs read the bundled jobs' reference results).
func (k *checker) checkOutcomes(ctx context.Context) {
	for _, models := range []bool{false, true} {
		for _, s := range k.subs {
			if st := k.listed[s.ID]; st != nil && (s.Kind == Model) == models {
				k.checkOutcome(ctx, s, st)
			}
		}
	}
}

// checkOutcome checks one job: ended; succeeded with the reference's
// results, every object its status names existing, unless it is a bad
// import, which must fail with its line's error; or failed with retries
// exhausted.
func (k *checker) checkOutcome(ctx context.Context, s *submission, st *quarryv1.JobStatus) {
	counts := k.rep.counts(s.Kind)
	badLine := fmt.Sprintf("%s:%d: ", rawBadKey, k.in.badLine)
	switch st.State {
	case quarryv1.JobState_JOB_STATE_SUCCEEDED:
		counts.Succeeded++
		if s.Kind == BadImport {
			k.rep.violate("job %s (%s): succeeded; want it failed at %s", s.ID, s.Kind, badLine)
			return
		}
		if err := k.checkResults(ctx, s); err != nil {
			k.rep.violate("job %s (%s): %v", s.ID, s.Kind, err)
			return
		}
		spec, err := jobs.ParseSpec([]byte(s.Spec))
		if err == nil {
			err = clustertest.CheckJob(ctx, k.c.Store, k.ref, s.ID, spec)
		}
		if err != nil {
			k.rep.violate("%s (%s) differs from the single-process run: %v", s.ID, s.Kind, err)
			return
		}
		counts.Exact++
	case quarryv1.JobState_JOB_STATE_FAILED:
		switch {
		case s.Kind == BadImport && strings.Contains(st.Reason, badLine) && strings.Contains(st.Reason, "12x"):
			counts.FailedExpected++
		case s.Kind == BadImport:
			k.rep.violate("job %s (%s): failed with %q; want the error of %s", s.ID, s.Kind, st.Reason, badLine)
		case retriesExhausted.MatchString(st.Reason):
			counts.FailedFaults++
			k.rep.note("job %s (%s) failed, retries exhausted: %s", s.ID, s.Kind, st.Reason)
		default:
			k.rep.violate("job %s (%s): failed for a reason no fault explains: %q", s.ID, s.Kind, st.Reason)
		}
	case quarryv1.JobState_JOB_STATE_CANCELLED:
		k.rep.violate("job %s (%s): cancelled, though nothing cancels jobs (%s)", s.ID, s.Kind, st.Reason)
	default:
		k.rep.violate("job %s (%s): did not end: %s", s.ID, s.Kind, unfinished(st))
	}
}

// checkResults checks the result objects a succeeded job's status names:
// at least one, each under the job's result prefix (an import's: its
// dataset's first version), each existing.
func (k *checker) checkResults(ctx context.Context, s *submission) error {
	st, err := k.c.Job(s.ID)
	if err != nil {
		return err
	}
	if len(st.Results) == 0 {
		return fmt.Errorf("succeeded with no result in its status")
	}
	for _, r := range st.Results {
		want := jobs.ResultPrefix(s.ID)
		if s.Kind == Import {
			want = dataset.ManifestKey("imported-"+s.ID, 1)
		}
		if !strings.HasPrefix(r.Key, want) {
			return fmt.Errorf("status names result %s; want it under %s", r.Key, want)
		}
		if ok, err := k.c.Store.Exists(ctx, r.Key); err != nil || !ok {
			return fmt.Errorf("status names result %s: exists %v (%v)", r.Key, ok, err)
		}
	}
	return nil
}

// checkResubmission resubmits every listed job with its request id: each
// answer must be the job first accepted, and no job may appear.
func (k *checker) checkResubmission() {
	for _, s := range k.subs {
		first := k.listed[s.ID]
		if first == nil {
			continue
		}
		st, err := k.c.Submit(s.ID, s.Spec)
		switch {
		case err != nil:
			k.rep.violate("job %s: resubmitting with its request id: %v", s.ID, err)
		case st.JobId != s.ID || !st.SubmittedAt.AsTime().Equal(first.SubmittedAt.AsTime()) || st.State != first.State:
			k.rep.violate("job %s: resubmitting with its request id: got job %s submitted %v (%v); want the first, submitted %v (%v)",
				s.ID, st.JobId, st.SubmittedAt.AsTime(), st.State, first.SubmittedAt.AsTime(), first.State)
		}
	}
	all, err := k.c.Jobs()
	if err != nil {
		k.rep.violate("list jobs after resubmitting: %v", err)
		return
	}
	if len(all) != len(k.listed) {
		k.rep.violate("resubmitting every job with its request id: got %d jobs listed; want the %d listed before", len(all), len(k.listed))
	}
}

// unfinished describes a job's state and its unfinished stages.
func unfinished(st *quarryv1.JobStatus) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(strings.TrimPrefix(st.State.String(), "JOB_STATE_")))
	done := 0
	for _, s := range st.Stages {
		if s.TasksDone == s.TasksTotal && s.TasksTotal > 0 {
			done++
			continue
		}
		fmt.Fprintf(&b, ", stage %s: %d/%d tasks done, %d running, %d failed attempts", s.Name, s.TasksDone, s.TasksTotal, s.TasksRunning, s.AttemptsFailed)
	}
	fmt.Fprintf(&b, " (%d of %d stages done)", done, len(st.Stages))
	return b.String()
}
