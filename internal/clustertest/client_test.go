package clustertest

import (
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
)

// rulesSpec is the job every scenario runs: itemsets with rules over "r",
// two stages of partitions tasks each.
const rulesSpec = `{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.02,"rules":{"min_confidence":0.3}}}`

// The scenarios' helpers: the harness's calls, failing the test on error.

// leader waits up to within for a coordinator other than not (may be nil)
// to lead, and returns it.
func (c *cluster) leader(within time.Duration, not *Coordinator) *Coordinator {
	c.t.Helper()
	co, err := c.WaitLeader(within, not)
	if err != nil {
		c.t.Fatal(err)
	}
	return co
}

// submit submits rulesSpec as job id.
func (c *cluster) submit(id string) {
	c.t.Helper()
	if _, err := c.Submit(id, rulesSpec); err != nil {
		c.t.Fatal(err)
	}
}

// job returns job id's status.
func (c *cluster) job(id string) *quarryv1.JobStatus {
	c.t.Helper()
	st, err := c.Job(id)
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

// workers returns the workers the leader knows, by id.
func (c *cluster) workers() map[string]*quarryv1.WorkerStatus {
	c.t.Helper()
	ws, err := c.Workers()
	if err != nil {
		c.t.Fatal(err)
	}
	return ws
}

// waitWorkers waits until the leader knows exactly the workers ids.
func (c *cluster) waitWorkers(ids ...string) {
	c.t.Helper()
	if err := c.WaitWorkers(30*time.Second, ids...); err != nil {
		c.t.Fatal(err)
	}
}

// waitJob waits up to within for job id to end and returns its status.
func (c *cluster) waitJob(id string, within time.Duration) *quarryv1.JobStatus {
	c.t.Helper()
	st, err := c.WaitJob(id, within)
	if err != nil {
		c.t.Fatal(err)
	}
	return st
}

// waitFor polls cond every 10 ms until it holds, failing the test after
// within.
func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if err := WaitFor(within, what, cond); err != nil {
		t.Fatal(err)
	}
}
