package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/quarrydata/quarry/jobs"
)

// The cluster cases measure the overhead of the cluster (issue 4: a job
// on the dev cluster with 2 workers finishes within 1.3× of `quarry mine`
// on the same data). In one child process each runs, best of two:
//
//   - mine: the built `quarry mine` binary (bin/quarry beside
//     bin/quarry-bench; `make build`), exec'd and timed from start to
//     exit: process start, parsing the raw file, mining, writing its one
//     JSON output file into a tmpfs folder;
//   - cluster: the same job submitted to an in-process dev cluster
//     (embedded etcd, 1-node raft, local-folder store on tmpfs, 2 workers
//     of 2 slots each over gRPC on loopback), timed from Submit to the
//     job's terminal state in the FSM: planning, scheduling through raft,
//     every task reading its partitions, writing partials, the merges,
//     and the result objects (JSON Lines and SPMF for pattern jobs).
//
// The dataset is imported before the cluster run; its import time is in
// the note but in neither side's seconds. "seconds" is the cluster's,
// "patterns" its pattern (or segment) count; the note gives mine's
// seconds and count and the ratio cluster/mine, flagged when over 1.3.
//
// Set QUARRY_BENCH_CPUPROFILE to a folder to write a CPU profile of each
// cluster run there (the whole process: coordinator and both workers).

// overheadTarget is the bound on cluster/mine.
const overheadTarget = 1.3

// overheadCase is one job compared with its `quarry mine` command.
type overheadCase struct {
	name    string // case name part, e.g. "rules"
	dataset string // shared file
	copies  int    // >1: the file replicated this many times (see replicateLog)
	param   string
	mine    []string // quarry mine arguments after the input
	spec    string   // job spec JSON; dataset "d"
	object  string   // result object whose count is the pattern count
}

var overheadCases = []overheadCase{
	{name: "rules", dataset: "T10I4D100K.dat", copies: 1, param: "0.0005 conf 0.5",
		mine:   []string{"rules", "--min-support", "0.0005", "--min-confidence", "0.5"},
		spec:   `{"type":"itemsets","dataset":"d","itemsets":{"min_support":0.0005,"rules":{"min_confidence":0.5}}}`,
		object: "rules.jsonl"},
	{name: "sequences", dataset: "online-retail-part.csv", copies: 16, param: "x16 0.01",
		mine:   []string{"sequences", "--skip-bad-lines", "--min-support", "0.01"},
		spec:   `{"type":"sequences","dataset":"d","sequences":{"min_support":0.01}}`,
		object: "sequences.jsonl"},
	{name: "segments", dataset: "online-retail-part.csv", copies: 16, param: "x16 k=5",
		mine:   []string{"segments", "--skip-bad-lines", "--k", "5", "--seed", "1"},
		spec:   `{"type":"segments","dataset":"d","segments":{"k":5,"seed":1}}`,
		object: "segments.json"},
}

func init() {
	for _, oc := range overheadCases {
		for _, p := range []int{2, 4} {
			register(Case{
				Name:    fmt.Sprintf("cluster/overhead/%s/%s/P=%d", oc.name, oc.dataset, p),
				Task:    "cluster-" + oc.name,
				Dataset: oc.dataset,
				Param:   fmt.Sprintf("%s P=%d", oc.param, p),
				Run:     func(path string) (Result, error) { return runOverhead(path, oc, p) },
			})
		}
	}
}

// quarryBinary returns the quarry binary beside this one.
func quarryBinary() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(filepath.Dir(exe), "quarry")
	if _, err := os.Stat(bin); err != nil {
		return "", fmt.Errorf("quarry binary not found beside quarry-bench (run make build first): %w", err)
	}
	return bin, nil
}

func runOverhead(path string, oc overheadCase, parts int) (Result, error) {
	bin, err := quarryBinary()
	if err != nil {
		return Result{}, err
	}
	dir, err := os.MkdirTemp(benchTmp(), "quarry-bench-cluster-")
	if err != nil {
		return Result{}, err
	}
	defer os.RemoveAll(dir)
	input := path
	if oc.copies > 1 {
		input = filepath.Join(dir, fmt.Sprintf("x%d-%s", oc.copies, filepath.Base(path)))
		if _, err := replicateLog(path, input, oc.copies); err != nil {
			return Result{}, err
		}
	}

	mineS, mineN, mineB := 0.0, 0, int64(0)
	for i := range 2 {
		s, n, err := runMine(bin, input, filepath.Join(dir, fmt.Sprintf("mine-%d.out", i)), oc.mine)
		if err != nil {
			return Result{}, err
		}
		if mineS == 0 || s < mineS {
			mineS, mineN = s, n
		}
		if st, err := os.Stat(filepath.Join(dir, fmt.Sprintf("mine-%d.out", i))); err == nil {
			mineB = st.Size()
		}
	}

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	c, err := startBenchCluster(ctx, filepath.Join(dir, "cluster"), 2)
	if err != nil {
		return Result{}, err
	}
	defer c.close()
	importS, err := c.importDataset(ctx, "d", input, parts)
	if err != nil {
		return Result{}, err
	}
	clusterS, clusterN, stages, written := 0.0, 0, "", ""
	for i := range 2 {
		id := fmt.Sprintf("bench-%d", i)
		m, s, err := profiled(id, func() (*jobs.ResultManifest, float64, error) { return c.runJob(ctx, id, oc.spec) })
		if err != nil {
			return Result{}, err
		}
		o, ok := m.Object(oc.object)
		if !ok {
			return Result{}, fmt.Errorf("job %s: no result object %s", id, oc.object)
		}
		if clusterS == 0 || s < clusterS {
			clusterS, clusterN = s, o.Count
			stages = stageTimes(c, id)
			written = resultSizes(m)
		}
	}
	workers := len(c.workers)
	if err := c.close(); err != nil {
		return Result{}, err
	}

	ratio := clusterS / mineS
	flag := "ok"
	if ratio > overheadTarget {
		flag = fmt.Sprintf("OVER %.1f", overheadTarget)
	}
	same := ""
	if mineN != clusterN {
		same = fmt.Sprintf(" (DIFFERS from cluster's %d)", clusterN)
	}
	note := fmt.Sprintf("cluster/mine = %.2f (%s; target ≤ %.1f); mine %.3f s, %d patterns%s, wrote %.1f MB; cluster %d workers, %d partitions, import %.3f s excluded, wrote %s; %s",
		ratio, flag, overheadTarget, mineS, mineN, same, float64(mineB)/1e6, workers, parts, importS, written, stages)
	return Result{Patterns: clusterN, Seconds: clusterS, Note: note}, nil
}

// runMine execs `quarry mine` on input, writing to out, and returns its
// wall time and its pattern count (the lines of its JSON Lines output, or
// the segments of its JSON object).
func runMine(bin, input, out string, args []string) (float64, int, error) {
	argv := append([]string{"mine", args[0], "--input", input, "-o", out, "--log-level", "warn"}, args[1:]...)
	cmd := exec.Command(bin, argv...)
	var errb bytes.Buffer
	cmd.Stderr = &errb
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, fmt.Errorf("quarry %s: %v: %s", strings.Join(argv, " "), err, firstLine(errb.String()))
	}
	secs := time.Since(start).Seconds()
	data, err := os.ReadFile(out)
	if err != nil {
		return 0, 0, err
	}
	if args[0] == "segments" {
		var seg struct {
			Segments []json.RawMessage `json:"segments"`
		}
		if err := json.Unmarshal(data, &seg); err != nil {
			return 0, 0, fmt.Errorf("quarry mine segments output: %w", err)
		}
		return secs, len(seg.Segments), nil
	}
	return secs, bytes.Count(data, []byte("\n")), nil
}

// resultSizes lists a job's result objects and their sizes.
func resultSizes(m *jobs.ResultManifest) string {
	var parts []string
	total := int64(0)
	for _, o := range m.Objects {
		total += o.Size
		parts = append(parts, fmt.Sprintf("%s %.1f", o.Name, float64(o.Size)/1e6))
	}
	return fmt.Sprintf("%.1f MB (%s)", float64(total)/1e6, strings.Join(parts, ", "))
}

// profiled runs f, under a CPU profile named after id when
// QUARRY_BENCH_CPUPROFILE names a folder.
func profiled[T any](id string, f func() (T, float64, error)) (T, float64, error) {
	dir := os.Getenv("QUARRY_BENCH_CPUPROFILE")
	if dir == "" {
		return f()
	}
	pf, err := os.CreateTemp(dir, "cluster-"+id+"-*.pprof")
	if err != nil {
		var zero T
		return zero, 0, err
	}
	defer pf.Close()
	if err := pprof.StartCPUProfile(pf); err != nil {
		var zero T
		return zero, 0, err
	}
	defer pprof.StopCPUProfile()
	return f()
}

// stageTimes summarises where job id's time went: per stage, the longest
// accepted task's own duration (the stage's critical path inside the
// workers), and their sum against the job's wall time from start to end
// in the FSM.
func stageTimes(c *benchCluster, id string) string {
	j, ok := c.node.Store().FSM().Job(id)
	if !ok {
		return ""
	}
	var parts []string
	crit := time.Duration(0)
	tasks := 0
	for _, s := range j.Stages {
		longest := time.Duration(0)
		for _, t := range s.Tasks {
			var r jobs.TaskResult
			if err := json.Unmarshal([]byte(t.Result), &r); err == nil {
				longest = max(longest, r.Duration)
			}
		}
		tasks += len(s.Tasks)
		crit += longest
		parts = append(parts, fmt.Sprintf("%s %d×≤%.0fms", s.Name, len(s.Tasks), longest.Seconds()*1000))
	}
	wall := j.EndTime.Sub(j.SubmitTime)
	return fmt.Sprintf("%d stages, %d tasks, longest task per stage summed %.3f s of job %.3f s (rest: scheduling, barriers, reporting): %s",
		len(j.Stages), tasks, crit.Seconds(), wall.Seconds(), strings.Join(parts, ", "))
}
