package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// exactInput is a raw file the exactness matrix imports into the cluster
// and mines with quarry mine, with the same input flags on both sides.
type exactInput struct {
	name    string
	file    string // testdata file, or shared dataset when shared
	shared  bool
	flags   []string // input flags of both quarry dataset import and quarry mine
	numeric bool     // FIMI or SPMF: items are their own ids in every output
	jobs    []exactJob
	model   bool // also bundle the jobs into a model
}

// exactJob is one job of the matrix and the quarry mine runs that give
// each of its result objects.
type exactJob struct {
	name    string // also the model part it fills: rules, sequences, segments
	typ     jobs.Type
	section string // the type's section of the spec, as JSON
	refs    []exactRef
}

// exactRef is a quarry mine run whose output file is the reference of one
// result object. In args, {out} is the output file compared and {scratch}
// a file that is not.
type exactRef struct {
	object string
	args   []string
}

// patternRefs returns the JSON Lines and SPMF references of object kind
// (itemsets, rules or sequences) for the quarry mine arguments args.
func patternRefs(kind string, args ...string) []exactRef {
	return []exactRef{
		{kind + ".jsonl", append(args[:len(args):len(args)], "-o", "{out}")},
		{kind + ".spmf", append(args[:len(args):len(args)], "--output-format", "spmf", "-o", "{out}")},
	}
}

// rulesJob is an itemsets job with rules: its itemsets.* compare with
// quarry mine itemsets and its rules.* with quarry mine rules.
func rulesJob(section string, support string, ruleArgs ...string) exactJob {
	refs := patternRefs("itemsets", "mine", "itemsets", "--min-support", support)
	refs = append(refs, patternRefs("rules", append([]string{"mine", "rules", "--min-support", support}, ruleArgs...)...)...)
	return exactJob{"rules", jobs.TypeItemsets, section, refs}
}

// segmentsJob is a segments job: segments.json compares with quarry mine
// segments' output and customers.jsonl with its --customers file.
func segmentsJob(section string, args ...string) exactJob {
	mine := append([]string{"mine", "segments"}, args...)
	return exactJob{"segments", jobs.TypeSegments, section, []exactRef{
		{"segments.json", append(mine[:len(mine):len(mine)], "-o", "{out}")},
		{"customers.jsonl", append(mine[:len(mine):len(mine)], "-o", "{scratch}", "--customers", "{out}")},
	}}
}

// exactInputs are the matrix's inputs: the bundled samples, which a fresh
// clone always has, and the shared real datasets, skipped when absent. The
// thresholds keep the whole matrix near 80 s under -race on 2 cores (the
// 16-partition itemsets jobs on the retail logs dominate: their local
// thresholds fall to 2–4 orders). Where the time constraints bite: the
// retail logs span days, so their few multi-element patterns fall below
// these supports and max_gap / max_window change nothing there; on the
// groceries sample (two years) max_gap 90 cuts 1,310 patterns to 367 and
// the week window 578, and on the SPMF example max_gap 1 cuts 49 to 23.
// On the part log every frequent itemset at 3% is closed, so its closed
// job checks the closed pipeline, not the filter; the sample (241 of 270)
// and retail-part (660 of 665) check the filter.
var exactInputs = []exactInput{
	{name: "sample", file: "online-retail-sample.csv.gz", model: true, jobs: []exactJob{
		rulesJob(`{"min_support":0.03,"rules":{"min_confidence":0.5}}`, "0.03", "--min-confidence", "0.5"),
		{"closed", jobs.TypeItemsets, `{"min_support":0.03,"kind":"closed"}`,
			patternRefs("itemsets", "mine", "itemsets", "--closed", "--min-support", "0.03")},
		{"sequences", jobs.TypeSequences, `{"min_support":0.05,"time_unit":"hour","max_gap":48}`,
			patternRefs("sequences", "mine", "sequences", "--min-support", "0.05", "--time-unit", "hour", "--max-gap", "48")},
		segmentsJob(`{"k":4,"seed":1}`, "--k", "4", "--seed", "1"),
	}},
	{name: "groceries", file: "groceries-sample.csv.gz", flags: []string{"--customer", "Member_number", "--time", "Date", "--item", "itemDescription"},
		model: true, jobs: []exactJob{
			{"sequences", jobs.TypeSequences, `{"min_support":0.01,"max_gap":90}`,
				patternRefs("sequences", "mine", "sequences", "--min-support", "0.01", "--max-gap", "90")},
			{"window", jobs.TypeSequences, `{"min_support":0.01,"time_unit":"week","min_gap":1,"max_window":26}`,
				patternRefs("sequences", "mine", "sequences", "--min-support", "0.01", "--time-unit", "week", "--min-gap", "1", "--max-window", "26")},
		}},
	{name: "spmf", file: "spmf-example-sequences.txt", numeric: true, model: true, jobs: []exactJob{
		{"sequences", jobs.TypeSequences, `{"min_support":2,"max_gap":1,"max_length":3}`,
			patternRefs("sequences", "mine", "sequences", "--min-support", "2", "--max-gap", "1", "--max-length", "3")},
	}},
	{name: "part", file: "online-retail-part.csv", shared: true, flags: []string{"--skip-bad-lines"}, model: true, jobs: []exactJob{
		rulesJob(`{"min_support":0.03,"rules":{"min_confidence":0.5,"min_lift":2,"max_consequent":1}}`, "0.03",
			"--min-confidence", "0.5", "--min-lift", "2", "--max-consequent", "1"),
		{"closed", jobs.TypeItemsets, `{"min_support":0.03,"kind":"closed","max_size":2}`,
			patternRefs("itemsets", "mine", "itemsets", "--closed", "--max-size", "2", "--min-support", "0.03")},
		{"sequences", jobs.TypeSequences, `{"min_support":0.05,"max_length":4,"max_window":7}`,
			patternRefs("sequences", "mine", "sequences", "--min-support", "0.05", "--max-length", "4", "--max-window", "7")},
		segmentsJob(`{"k":5,"seed":3}`, "--k", "5", "--seed", "3"),
	}},
	{name: "retail", file: "retail-part.dat", shared: true, numeric: true, model: true, jobs: []exactJob{
		rulesJob(`{"min_support":0.005,"rules":{"min_confidence":0.5}}`, "0.005", "--min-confidence", "0.5"),
		{"closed", jobs.TypeItemsets, `{"min_support":0.005,"kind":"closed"}`,
			patternRefs("itemsets", "mine", "itemsets", "--closed", "--min-support", "0.005")},
	}},
}

var (
	exactWorkers    = []int{1, 2, 3}
	exactPartitions = []int{1, 4, 16}
)

// TestClusterExact is issue 4's exactness matrix: for 1, 2 and 3 workers
// (one in-process dev cluster each) and 1, 4 and 16 partitions, every job
// type's result, submitted through the HTTP API, equals quarry mine's
// output on the raw file: byte for byte for numeric items and for
// segments, and for logs after canonical ordering (testdata_exact_canon_test.go
// says why the order differs). Model jobs are checked against the jobs
// they bundle.
func TestClusterExact(t *testing.T) {
	defer slog.SetDefault(slog.Default())
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))

	// The references, once per input: quarry mine does not depend on the
	// cluster's workers or partitions.
	paths := map[string]string{}
	refs := map[string]map[string][]byte{} // input/job → object → bytes
	for _, in := range exactInputs {
		t.Run("mine/"+in.name, func(t *testing.T) {
			path := exactPath(t, in)
			for _, j := range in.jobs {
				refs[in.name+"/"+j.name] = mineRefs(t, in, path, j)
			}
			paths[in.name] = path
		})
	}
	if len(paths) == 0 {
		t.Fatal("no input available; testdata/ should always be")
	}
	for _, w := range exactWorkers {
		t.Run(fmt.Sprintf("W%d", w), func(t *testing.T) {
			start := time.Now()
			c := startExactCluster(t, w)
			// Imported through the command line, with the input flags quarry
			// mine gets; 256 KiB splits so that the larger files are parsed
			// as several byte ranges.
			for _, p := range exactPartitions {
				for _, in := range exactInputs {
					if path, ok := paths[in.name]; ok {
						mustRun(t, append([]string{"dataset", "import", path, "--name", exactDataset(in, p), "--partitions",
							fmt.Sprint(p), "--split-size", "262144", "--store", c.bucket.Dir()}, in.flags...)...)
					}
				}
			}
			// Every job at once, so that the workers' slots stay busy; the
			// models once the jobs they bundle have finished.
			var ids []string
			for _, p := range exactPartitions {
				for _, in := range exactInputs {
					if _, ok := paths[in.name]; !ok {
						continue
					}
					ids = append(ids, submitImportJob(t, c, in, paths[in.name], p))
					for _, j := range in.jobs {
						id := exactJobID(in, p, j.name)
						submitExact(t, c, id, fmt.Sprintf(`{"type":%q,"dataset":%q,%q:%s}`, j.typ, exactDataset(in, p), j.typ, j.section))
						ids = append(ids, id)
					}
				}
			}
			waitExact(t, c, ids)
			var models []string
			for _, p := range exactPartitions {
				for _, in := range exactInputs {
					if _, ok := paths[in.name]; ok && in.model {
						id := exactJobID(in, p, "model")
						submitExact(t, c, id, modelSpec(in, p))
						models = append(models, id)
					}
				}
			}
			waitExact(t, c, models)
			t.Logf("%d workers: %d jobs and %d models on %d datasets in %v", w, len(ids), len(models),
				len(paths)*len(exactPartitions), time.Since(start).Round(time.Millisecond))

			for _, p := range exactPartitions {
				t.Run(fmt.Sprintf("P%d", p), func(t *testing.T) {
					for _, in := range exactInputs {
						t.Run(in.name, func(t *testing.T) {
							if _, ok := paths[in.name]; !ok {
								t.Skip("input absent: see mine/" + in.name)
							}
							t.Run("import", func(t *testing.T) { checkImportJob(t, c, in, p) })
							for _, j := range in.jobs {
								t.Run(j.name, func(t *testing.T) {
									checkJob(t, c, in, p, j, refs[in.name+"/"+j.name])
								})
							}
							if in.model {
								t.Run("model", func(t *testing.T) { checkModel(t, c, in, p) })
							}
						})
					}
				})
			}
		})
	}
}

// exactPath returns the input's raw file, skipping when a shared one is
// absent.
func exactPath(t *testing.T, in exactInput) string {
	if in.shared {
		return testenv.Shared(t, in.file)
	}
	return testenv.Path(t, in.file)
}

// mineRefs runs quarry mine for each result object of job j.
func mineRefs(t *testing.T, in exactInput, path string, j exactJob) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	out := map[string][]byte{}
	for _, r := range j.refs {
		file := filepath.Join(dir, j.name+"-"+r.object)
		args := make([]string, 0, len(r.args)+len(in.flags)+2)
		for _, a := range r.args {
			args = append(args, strings.NewReplacer("{out}", file, "{scratch}", file+".scratch").Replace(a))
		}
		args = append(append(args, "--input", path), in.flags...)
		mustRun(t, args...)
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(data)) == 0 {
			t.Fatalf("quarry %s: empty output: a weak test", strings.Join(args, " "))
		}
		out[r.object] = data
	}
	return out
}

func exactDataset(in exactInput, p int) string { return fmt.Sprintf("%s-p%d", in.name, p) }

func exactJobID(in exactInput, p int, job string) string {
	return fmt.Sprintf("%s-p%d-%s", in.name, p, job)
}

// modelSpec bundles the input's rules, sequences and segments jobs, those
// it has, at p partitions.
func modelSpec(in exactInput, p int) string {
	parts := map[string]string{}
	for _, j := range in.jobs {
		switch j.name {
		case "rules", "sequences", "segments":
			parts[j.name+"_job"] = exactJobID(in, p, j.name)
		}
	}
	m, _ := json.Marshal(parts)
	return fmt.Sprintf(`{"type":"model","dataset":%q,"model":%s}`, exactDataset(in, p), m)
}

// startExactCluster starts an in-process dev cluster of n workers on free
// loopback ports, stopped when the test ends.
func startExactCluster(t *testing.T, n int) *devCluster {
	t.Helper()
	c := &devCluster{log: slog.Default().With("component", "dev")}
	t.Cleanup(func() {
		if err := c.close(); err != nil {
			t.Errorf("close cluster: %v", err)
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := c.start(ctx, devFlags{dataDir: t.TempDir(), workers: n, grpcAddr: "127.0.0.1:0",
		httpAddr: "127.0.0.1:0", raftAddr: "127.0.0.1:0", etcdClient: "0"}); err != nil {
		t.Fatal(err)
	}
	return c
}

// submitExact submits job id through the HTTP API.
func submitExact(t *testing.T, c *devCluster, id, spec string) {
	t.Helper()
	body, _ := json.Marshal(coordinator.SubmitRequest{ID: id, Spec: json.RawMessage(spec)})
	resp, err := http.Post("http://"+c.http+"/v1/jobs", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		var msg bytes.Buffer
		msg.ReadFrom(resp.Body)
		t.Fatalf("POST /v1/jobs %s: got %s %s; want 201", spec, resp.Status, msg.String())
	}
}

// waitExact polls GET /v1/jobs until every job in ids has ended, and fails
// unless all succeeded with a result.
func waitExact(t *testing.T, c *devCluster, ids []string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		var list struct {
			Jobs []coordinator.JobView `json:"jobs"`
		}
		resp, err := http.Get("http://" + c.http + "/v1/jobs")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&list)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		views := map[string]coordinator.JobView{}
		for _, v := range list.Jobs {
			views[v.ID] = v
		}
		pending := 0
		for _, id := range ids {
			v, ok := views[id]
			switch {
			case !ok:
				t.Fatalf("job %s: not listed by GET /v1/jobs", id)
			case v.State == "succeeded":
				want := jobs.ResultPrefix(id) + jobs.ResultManifestName
				if v.Type == string(jobs.TypeImport) { // an import's result is its dataset's manifest
					want = dataset.ManifestKey(strings.TrimSuffix(id, "-import")+"-job", 1)
				}
				if v.ResultKey != want {
					t.Fatalf("job %s: got result key %q; want %q", id, v.ResultKey, want)
				}
			case v.State == "failed" || v.State == "cancelled":
				t.Fatalf("job %s: got %s (%s); want succeeded", id, v.State, v.Reason)
			default:
				pending++
			}
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs still running after 5 minutes", pending, len(ids))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// checkJob compares each result object of job j at p partitions with its
// quarry mine reference.
func checkJob(t *testing.T, c *devCluster, in exactInput, p int, j exactJob, refs map[string][]byte) {
	ctx := context.Background()
	id := exactJobID(in, p, j.name)
	m, err := jobs.LoadResult(ctx, c.bucket, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range j.refs {
		o, ok := m.Object(r.object)
		if !ok {
			t.Errorf("job %s: got objects %v; want one named %s", id, m.Objects, r.object)
			continue
		}
		got, err := objstore.ReadAll(ctx, c.bucket, o.Key)
		if err != nil {
			t.Fatal(err)
		}
		what := fmt.Sprintf("job %s %s", id, r.object)
		switch {
		case in.numeric || j.typ == jobs.TypeSegments:
			// Items are the file's own integers, or there are none:
			// the bytes themselves must match.
			sameLines(t, what, string(got), string(refs[r.object]))
		case strings.HasSuffix(r.object, ".jsonl"):
			sameLines(t, what, canonJSONL(string(got)), canonJSONL(string(refs[r.object])))
			inOwnOrder(t, c, exactDataset(in, p), what, got)
		default:
			g, err := canonSPMF(string(got))
			if err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			w, err := canonSPMF(string(refs[r.object]))
			if err != nil {
				t.Fatalf("%s reference: %v", what, err)
			}
			sameLines(t, what, g, w)
		}
	}
	if j.typ == jobs.TypeSegments {
		checkKMeans(t, c, m, refs["segments.json"])
	}
}
