package coordinator

import (
	"fmt"
	"os"
	"sync"

	"github.com/quarrydata/quarry/coordinator/scheduler"
)

// EnvTestFault names the environment variable that switches on a
// deliberate fault in the coordinator. It is FOR TESTS ONLY: the soak
// suite (internal/soak) sets it to show that it catches a broken retry
// path. It is read when the process starts; a coordinator that has it set
// says so at error level when it first leads, and again for every task it
// breaks. Never set it on a real cluster.
const EnvTestFault = "QUARRY_TEST_FAULT"

// TestFaultSkipRetry is the EnvTestFault value that breaks retries: the
// leader drops every assignment of a task that already had an attempt
// (a retry after a failed or lost attempt, or a speculative copy), so a
// task whose attempt is lost is never run again and its job never ends.
const TestFaultSkipRetry = "skip-retry"

var (
	// testFault is EnvTestFault's value at start.
	testFault     = os.Getenv(EnvTestFault)
	testFaultOnce sync.Once
	// skipped remembers the tasks whose retry was dropped, to log each
	// once.
	skippedMu sync.Mutex
	skipped   = map[string]bool{}
)

// applyTestFault returns d unchanged unless EnvTestFault is set; with
// TestFaultSkipRetry, it returns d without the assignments of tasks that
// already had an attempt. The scheduler's Plan stays pure: only the leader
// loop, which applies plans, calls this.
func (s *Store) applyTestFault(d scheduler.Decision) scheduler.Decision {
	testFaultOnce.Do(func() {
		switch testFault {
		case "":
		case TestFaultSkipRetry:
			s.log.Error("TEST FAULT ON: " + EnvTestFault + "=" + TestFaultSkipRetry +
				": retries of failed or lost attempts are dropped and their jobs never end; for tests only, never on a real cluster")
		default:
			s.log.Error("unknown "+EnvTestFault+" value ignored; for tests only", "value", testFault)
		}
	})
	if testFault != TestFaultSkipRetry {
		return d
	}
	keep := d.Actions[:0:0]
	for _, a := range d.Actions {
		if a.Kind == scheduler.ActAssign && s.hadAttempt(a.JobID, a.Stage, a.Task) {
			s.logSkipped(a)
			continue
		}
		keep = append(keep, a)
	}
	d.Actions = keep
	return d
}

// hadAttempt reports whether the task already has an attempt.
func (s *Store) hadAttempt(job string, stage, task int) bool {
	j, ok := s.fsm.Job(job)
	if !ok || stage >= len(j.Stages) || task >= len(j.Stages[stage].Tasks) {
		return false
	}
	return len(j.Stages[stage].Tasks[task].Attempts) > 0
}

// logSkipped logs, once per task, that its retry was dropped.
func (s *Store) logSkipped(a scheduler.Action) {
	key := fmt.Sprintf("%s/%d/%d", a.JobID, a.Stage, a.Task)
	skippedMu.Lock()
	seen := skipped[key]
	skipped[key] = true
	skippedMu.Unlock()
	if !seen {
		s.log.Error("TEST FAULT "+TestFaultSkipRetry+": retry dropped", "job", a.JobID, "stage", a.Stage, "task", a.Task)
	}
}
