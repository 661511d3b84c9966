package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/worker/registry"
)

// TestClientCommands drives a dev cluster with the client commands: the
// first --coordinator address is dead, so every call also shows the
// client moving on to the next one.
func TestClientCommands(t *testing.T) {
	c := startExactCluster(t, 2)
	coord := []string{"--coordinator", "127.0.0.1:1," + c.addr, "--log-level", "error"}
	store := []string{"--store", c.bucket.Dir()}
	sample := testenv.Path(t, "online-retail-sample.csv.gz")

	// A distributed import of a raw object of the store.
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(c.bucket.Dir(), "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(c.bucket.Dir(), "raw", "sample.csv.gz"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out := mustRun(t, append([]string{"submit", "import", "--dataset", "shop", "--partitions", "4", "--id", "imp", "--watch", "raw/sample.csv.gz"}, coord...)...)
	for _, want := range []string{"submitted job imp (import over shop", "stage 4 publish", "job imp succeeded after", "result dataset: datasets/shop/"} {
		if !strings.Contains(out, want) {
			t.Errorf("submit import --watch: got output without %q:\n%s", want, out)
		}
	}
	if out := mustRun(t, append([]string{"dataset", "describe", "shop"}, store...)...); !strings.Contains(out, "15015") {
		t.Errorf("dataset describe shop after the import job: got %s; want its 15015 records", out)
	}

	if ds := c.store.FSM().Datasets(); len(ds) != 1 || ds[0].Name != "shop" || ds[0].Version != 1 {
		t.Errorf("FSM datasets after the import job: got %+v; want shop v1", ds)
	}

	out = mustRun(t, append([]string{"submit", "rules", "--dataset", "shop", "--min-support", "0.03", "--min-confidence", "0.6", "--id", "r1", "--watch"}, coord...)...)
	if !strings.Contains(out, "job r1 succeeded after") || !strings.Contains(out, "result rules: jobs/r1/result/rules.jsonl") {
		t.Errorf("submit rules --watch: got\n%s\nwant success and the rules result", out)
	}
	mustRun(t, append([]string{"submit", "model", "--dataset", "shop", "--rules-job", "r1", "--id", "m1", "--watch"}, coord...)...)
	if ms := c.store.FSM().Models(); len(ms) != 1 || ms[0].Name != "shop" || ms[0].Version != 1 || ms[0].Key != "models/shop/v1/manifest.json" || ms[0].JobID != "m1" {
		t.Errorf("FSM models after the model job: got %+v; want shop v1 from m1", ms)
	}
	// The leader publishes the version in etcd for the CRM API servers.
	wctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for v := range registry.WatchModelVersion(wctx, c.cli, devPrefix, "shop") {
		if v == 1 {
			break
		}
	}
	if wctx.Err() != nil {
		t.Error("model shop v1 not published in etcd within 10 s")
	}
	// Resubmitting an id returns that job instead of running another.
	out = mustRun(t, append([]string{"submit", "rules", "--dataset", "shop", "--min-support", "0.5", "--id", "r1"}, coord...)...)
	if !strings.Contains(out, "submitted job r1") {
		t.Errorf("resubmit r1: got %s", out)
	}
	var st struct {
		State  string `json:"state"`
		Stages []struct {
			TasksDone  int `json:"tasksDone"`
			TasksTotal int `json:"tasksTotal"`
		} `json:"stages"`
		Spec []byte `json:"spec"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, append([]string{"jobs", "get", "r1", "--output", "json"}, coord...)...)), &st); err != nil {
		t.Fatal(err)
	}
	if st.State != "JOB_STATE_SUCCEEDED" || len(st.Stages) == 0 || !strings.Contains(string(st.Spec), `"min_support":0.03`) {
		t.Errorf("jobs get r1: got %+v; want the first submission, succeeded", st)
	}

	out = mustRun(t, append([]string{"jobs", "ls"}, coord...)...)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 4 || !strings.HasPrefix(lines[1], "m1 ") || !strings.HasPrefix(lines[2], "r1 ") || !strings.HasPrefix(lines[3], "imp ") {
		t.Errorf("jobs ls: got\n%s\nwant a header, m1, r1 then imp", out)
	}
	if out := mustRun(t, append([]string{"jobs", "ls", "--state", "failed"}, coord...)...); strings.Count(out, "\n") != 1 {
		t.Errorf("jobs ls --state failed: got\n%s\nwant the header alone", out)
	}
	out = mustRun(t, append([]string{"workers", "ls"}, coord...)...)
	if !strings.Contains(out, "worker-1") || !strings.Contains(out, "worker-2") || !strings.Contains(out, "active") || !strings.Contains(out, " dev") {
		t.Errorf("workers ls: got\n%s\nwant both workers, active, version dev", out)
	}
	out = mustRun(t, "workers", "drain", "worker-2", "--etcd", c.etcd.Endpoint(), "--prefix", devPrefix, "--timeout", "30s", "--log-level", "error")
	if !strings.Contains(out, "worker worker-2: draining") || !strings.Contains(out, "worker worker-2: left") {
		t.Errorf("workers drain: got\n%s\nwant draining then left", out)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		out = mustRun(t, append([]string{"workers", "ls"}, coord...)...)
		if !strings.Contains(out, "worker-2") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("workers ls 10 s after the drain: got\n%s\nwant worker-2 gone", out)
		}
	}
	out = mustRun(t, append([]string{"jobs", "cancel", "r1"}, coord...)...)
	if !strings.Contains(out, "job r1: succeeded") {
		t.Errorf("cancel a finished job: got %s; want it unchanged", out)
	}

	// Errors name what is wrong.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"jobs", "get", "nope"}, `job "nope" not found`},
		{[]string{"submit", "itemsets", "--dataset", "nope", "--min-support", "0.1"}, "nope"},
		{[]string{"submit", "itemsets", "--dataset", "shop", "--min-support", "0"}, "itemsets.min_support"},
		{[]string{"jobs", "watch", "nope"}, `job "nope" not found`},
	} {
		_, err := runOut(t, append(tc.args, coord...)...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("quarry %s: got %v; want an error naming %q", strings.Join(tc.args, " "), err, tc.want)
		}
	}
	_, err = runOut(t, append([]string{"submit", "itemsets", "--min-support", "0.1"}, coord...)...)
	var ue usageError
	if !errors.As(err, &ue) {
		t.Errorf("submit without --dataset: got %v; want a usage error", err)
	}
}
