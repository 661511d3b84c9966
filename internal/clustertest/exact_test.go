package clustertest

import (
	"context"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/jobs"
)

// checkExact checks that job st succeeded and that its result manifest and
// objects in the cluster's store equal, byte for byte, those jobs.RunLocal
// writes for the same job over the same import.
func (c *cluster) checkExact(st *quarryv1.JobStatus) {
	t := c.t
	t.Helper()
	if st.State != quarryv1.JobState_JOB_STATE_SUCCEEDED {
		t.Fatalf("job %s: got %v (%s); want SUCCEEDED", st.JobId, st.State, st.Reason)
	}
	spec, err := jobs.ParseSpec([]byte(rulesSpec))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := CheckJob(ctx, c.Store, localReference(t), st.JobId, spec); err != nil {
		t.Fatal(err)
	}
}
