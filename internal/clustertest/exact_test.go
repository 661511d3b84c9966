package clustertest

import (
	"bytes"
	"context"
	"io"
	"testing"
	"time"

	quarryv1 "github.com/quarrydata/quarry/api/quarry/v1"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore"
)

// checkExact checks that job id succeeded and that its result manifest and
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
	ref := localReference(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if _, err := jobs.RunLocal(ctx, ref, spec, jobs.LocalOptions{JobID: st.JobId, Workers: 2}); err != nil {
		t.Fatalf("RunLocal: %v", err)
	}
	mkey := jobs.ResultPrefix(st.JobId) + jobs.ResultManifestName
	if got, want := readAll(t, c.store, mkey), readAll(t, ref, mkey); !bytes.Equal(got, want) {
		t.Fatalf("result manifest: got %s; want %s", got, want)
	}
	m, err := jobs.LoadResult(ctx, ref, st.JobId)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Objects) == 0 {
		t.Fatal("result objects: got none; want some")
	}
	for _, o := range m.Objects {
		if got, want := readAll(t, c.store, o.Key), readAll(t, ref, o.Key); !bytes.Equal(got, want) {
			t.Errorf("result %s: got %d bytes differing from RunLocal's %d", o.Name, len(got), len(want))
		}
	}
}

// readAll reads object key of b.
func readAll(t *testing.T, b objstore.Bucket, key string) []byte {
	t.Helper()
	rc, err := b.Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
