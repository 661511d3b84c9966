package soak

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"
)

// Report is what a run found: what it injected and ran, and every
// violation of the suite's invariants.
type Report struct {
	Seed       uint64
	FaultPhase time.Duration
	Total      time.Duration
	// Faults counts the faults injected, by kind.
	Faults map[FaultKind]int
	// Failovers are the times from the leader's SIGKILL until another
	// coordinator served the JobService.
	Failovers []time.Duration
	// Jobs counts the jobs by kind and outcome.
	Jobs map[JobKind]*JobCounts
	// Violations are the invariants broken, each naming the job or object
	// at fault; a run passes when there is none.
	Violations []string
	// Notes are what is worth knowing but breaks nothing (garbage left
	// unreferenced, submissions the cluster never accepted).
	Notes []string

	mu sync.Mutex
}

// JobCounts are the outcomes of the jobs of one kind.
type JobCounts struct {
	// Submitted counts the jobs listed by the cluster; Unaccepted the
	// submissions no SubmitJob call acknowledged (and that are not listed).
	Submitted, Unaccepted int
	Succeeded, Exact      int
	// FailedFaults failed with retries exhausted; FailedExpected are the
	// bad imports that failed with their line's error, as they must.
	FailedFaults, FailedExpected int
}

func newReport(seed uint64) *Report {
	return &Report{Seed: seed, Faults: map[FaultKind]int{}, Jobs: map[JobKind]*JobCounts{}}
}

// violate records a violation.
func (r *Report) violate(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
}

// note records a note.
func (r *Report) note(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Notes = append(r.Notes, fmt.Sprintf(format, args...))
}

// counts returns kind's counts, created on first use.
func (r *Report) counts(kind JobKind) *JobCounts {
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.Jobs[kind]
	if c == nil {
		c = &JobCounts{}
		r.Jobs[kind] = c
	}
	return c
}

// Table renders the report as the table the suite prints.
func (r *Report) Table() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "soak: seed %d (replay with %s=%d), fault phase %v, whole run %v\n",
		r.Seed, EnvSeed, r.Seed, r.FaultPhase.Round(time.Second), r.Total.Round(time.Second))
	tw := tabwriter.NewWriter(&b, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "fault\tinjected\t")
	total := 0
	for _, k := range AllFaults {
		fmt.Fprintf(tw, "%s\t%d\t\n", k, r.Faults[k])
		total += r.Faults[k]
	}
	fmt.Fprintf(tw, "total\t%d\t\n", total)
	tw.Flush()
	fmt.Fprintf(&b, "failovers: %d, time to new leader %s\n", len(r.Failovers), spread(r.Failovers))
	tw = tabwriter.NewWriter(&b, 2, 8, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "job\tsubmitted\tsucceeded\texact\tfailed (faults)\tfailed (expected)\tunaccepted\t")
	var sum JobCounts
	for _, k := range allKinds {
		c := r.Jobs[k]
		if c == nil {
			c = &JobCounts{}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%d\t%d\t\n", k, c.Submitted, c.Succeeded, c.Exact, c.FailedFaults, c.FailedExpected, c.Unaccepted)
		sum.Submitted += c.Submitted
		sum.Succeeded += c.Succeeded
		sum.Exact += c.Exact
		sum.FailedFaults += c.FailedFaults
		sum.FailedExpected += c.FailedExpected
		sum.Unaccepted += c.Unaccepted
	}
	fmt.Fprintf(tw, "total\t%d\t%d\t%d\t%d\t%d\t%d\t\n", sum.Submitted, sum.Succeeded, sum.Exact, sum.FailedFaults, sum.FailedExpected, sum.Unaccepted)
	tw.Flush()
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	fmt.Fprintf(&b, "violations: %d\n", len(r.Violations))
	for _, v := range r.Violations {
		fmt.Fprintf(&b, "  VIOLATION: %s\n", v)
	}
	return b.String()
}

// spread describes durations as min/median/max.
func spread(ds []time.Duration) string {
	if len(ds) == 0 {
		return "-"
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	ms := func(d time.Duration) string { return d.Round(time.Millisecond).String() }
	return fmt.Sprintf("min %s / median %s / max %s", ms(s[0]), ms(s[len(s)/2]), ms(s[len(s)-1]))
}
