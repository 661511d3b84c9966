package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/quarrydata/quarry/coordinator"
	"github.com/quarrydata/quarry/coordinator/scheduler"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
)

// demoDataset is the dataset the demo imports and mines.
const demoDataset = "retail"

// The demo jobs.
const (
	demoRulesSpec     = `{"type":"itemsets","dataset":"retail","itemsets":{"min_support":0.015,"max_size":3,"rules":{"min_confidence":0.6}}}`
	demoSequencesSpec = `{"type":"sequences","dataset":"retail","sequences":{"min_support":0.03,"max_gap":30}}`
	demoSegmentsSpec  = `{"type":"segments","dataset":"retail","segments":{"k":4,"seed":1}}`
	demoModelSpec     = `{"type":"model","dataset":"retail","model":{"rules_job":%q,"sequences_job":%q,"segments_job":%q}}`
)

// demoSource is the key the demo copies its input to in the store, for
// the import job to read.
const demoSource = "raw/online-retail-sample.csv.gz"

// demo imports the sample log with an import job unless the dataset
// exists, runs the rules, sequences, segments and model jobs on the
// cluster, prints their results and what to try next.
func (c *devCluster) demo(ctx context.Context, out io.Writer, input string) error {
	stamp := strconv.FormatInt(time.Now().UnixMilli(), 10)
	if err := c.importDemo(ctx, out, input, "demo-import-"+stamp); err != nil {
		return err
	}
	rulesID, seqID, segID := "demo-rules-"+stamp, "demo-sequences-"+stamp, "demo-segments-"+stamp
	if err := c.submitDemo(ctx, out, rulesID, demoRulesSpec, seqID, demoSequencesSpec, segID, demoSegmentsSpec); err != nil {
		return err
	}
	if err := c.printRules(ctx, out, rulesID); err != nil {
		return err
	}
	if err := c.printSequences(ctx, out, seqID); err != nil {
		return err
	}
	if err := c.printSegments(ctx, out, segID); err != nil {
		return err
	}
	modelID := "demo-model-" + stamp
	if err := c.submitDemo(ctx, out, modelID, fmt.Sprintf(demoModelSpec, rulesID, seqID, segID)); err != nil {
		return err
	}
	m, err := jobs.LoadResult(ctx, c.bucket, modelID)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "model published: %s\n", m.Model)
	fmt.Fprintf(out, "results: %s\n", filepath.Join(c.bucket.Dir(), "jobs"))
	if c.crmServer != nil {
		return c.showCRM(ctx, out, m.Model)
	}
	return nil
}

// showCRM waits until the CRM API serves the model just published (the
// coordinator publishes its version in etcd, the API follows it) and
// prints one customer's recommendations from it.
func (c *devCluster) showCRM(ctx context.Context, out io.Writer, modelKey string) error {
	for {
		if m := c.crmServer.Model(); m != nil && jobs.ModelKey(m.Dataset, m.Version) == modelKey {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	base := "http://" + c.crm
	var page struct {
		Customers []string `json:"customers"`
	}
	if err := c.getCRM(ctx, base+"/v1/segments/0/customers?limit=1", &page); err != nil {
		return err
	}
	if len(page.Customers) == 0 {
		return nil
	}
	var recs struct {
		Items []struct {
			Item   string  `json:"item"`
			Name   string  `json:"name"`
			Source string  `json:"source"`
			Score  float64 `json:"score"`
		} `json:"items"`
	}
	url := base + "/v1/customers/" + page.Customers[0] + "/recommendations?k=3"
	if err := c.getCRM(ctx, url, &recs); err != nil {
		return err
	}
	fmt.Fprintf(out, "CRM API serves it: curl -H 'Authorization: Bearer %s' '%s'\n", c.crmToken, url)
	for _, r := range recs.Items {
		fmt.Fprintf(out, "  %s %s (%s, score %.2f)\n", r.Item, r.Name, r.Source, r.Score)
	}
	return nil
}

// getCRM decodes the JSON answer of a GET of url from the CRM API into v.
func (c *devCluster) getCRM(ctx context.Context, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.crmToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// submitDemo submits jobs given as id, spec pairs and waits for them.
func (c *devCluster) submitDemo(ctx context.Context, out io.Writer, idSpec ...string) error {
	var ids []string
	for i := 0; i+1 < len(idSpec); i += 2 {
		id, spec := idSpec[i], idSpec[i+1]
		if err := c.driver.Submit(ctx, id, []byte(spec), 0); err != nil {
			return fmt.Errorf("submit %s: %w", id, err)
		}
		fmt.Fprintf(out, "submitted job %s: %s\n", id, spec)
		ids = append(ids, id)
	}
	return c.waitJobs(ctx, out, ids...)
}

// importDemo imports input as the demo dataset, unless it exists, with
// the distributed import job: the file is copied into the store first.
func (c *devCluster) importDemo(ctx context.Context, out io.Writer, input, id string) error {
	m, err := dataset.LoadManifest(ctx, c.bucket, demoDataset, 0)
	if err == nil {
		fmt.Fprintf(out, "dataset %s v%d already present\n", m.Name, m.Version)
		return nil
	}
	if !errors.Is(err, dataset.ErrNotFound) {
		return err
	}
	f, err := os.Open(input)
	if err != nil {
		return fmt.Errorf("demo input (see --demo-input): %w", err)
	}
	defer f.Close()
	if err := c.bucket.Publish(ctx, demoSource, f); err != nil {
		return fmt.Errorf("copy demo input into the store: %w", err)
	}
	spec := fmt.Sprintf(`{"type":"import","dataset":%q,"import":{"sources":[%q],"partitions":4}}`, demoDataset, demoSource)
	if err := c.submitDemo(ctx, out, id, spec); err != nil {
		return err
	}
	if m, err = dataset.LoadManifest(ctx, c.bucket, demoDataset, 0); err != nil {
		return err
	}
	return printImported(out, m)
}

// waitJobs polls the FSM until every job ends, printing each stage's
// progress as it advances; a job that does not succeed is an error.
func (c *devCluster) waitJobs(ctx context.Context, out io.Writer, ids ...string) error {
	last := map[string]string{}
	pending := len(ids)
	for pending > 0 {
		pending = 0
		for _, id := range ids {
			j, ok := c.store.FSM().Job(id)
			if !ok {
				return fmt.Errorf("job %s: not found", id)
			}
			line := progress(j)
			if line != last[id] {
				fmt.Fprintln(out, line)
				last[id] = line
			}
			if !j.State.Terminal() {
				pending++
			} else if j.State != scheduler.JobSucceeded {
				return fmt.Errorf("job %s %v: %s", id, j.State, j.Reason)
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
	return nil
}

// progress describes job j's current stage.
func progress(j *coordinator.Job) string {
	if j.State.Terminal() {
		return fmt.Sprintf("job %s: %v after %d stages", j.ID, j.State, len(j.Stages))
	}
	if len(j.Stages) == 0 {
		return fmt.Sprintf("job %s: %v", j.ID, j.State)
	}
	st := j.Stages[len(j.Stages)-1]
	done := 0
	for _, t := range st.Tasks {
		if t.Done {
			done++
		}
	}
	return fmt.Sprintf("job %s: stage %d %s: %d/%d tasks done", j.ID, len(j.Stages), st.Name, done, len(st.Tasks))
}

// demoRule is the part of a rules.jsonl line the demo prints.
type demoRule struct {
	Antecedent []string `json:"antecedent"`
	Consequent []string `json:"consequent"`
	Support    int      `json:"support"`
	Confidence float64  `json:"confidence"`
	Lift       float64  `json:"lift"`
}

// printRules prints the five rules of job id with the highest lift (the
// first in file order among equals), keeping only those in memory.
func (c *devCluster) printRules(ctx context.Context, out io.Writer, id string) error {
	rc, m, err := c.resultObject(ctx, id, "rules.jsonl")
	if err != nil {
		return err
	}
	defer rc.Close()
	var top []demoRule
	n := 0
	for dec := json.NewDecoder(rc); dec.More(); n++ {
		var r demoRule
		if err := dec.Decode(&r); err != nil {
			return fmt.Errorf("job %s rules.jsonl: %w", id, err)
		}
		i := sort.Search(len(top), func(i int) bool { return top[i].Lift < r.Lift })
		top = slices.Insert(top, i, r)[:min(len(top)+1, 5)]
	}
	describe, err := c.describer(ctx, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d rules; top %d by lift:\n", n, len(top))
	for _, r := range top {
		fmt.Fprintf(out, "  {%s} => {%s}  support %d  confidence %.3f  lift %.2f\n",
			describe(r.Antecedent), describe(r.Consequent), r.Support, r.Confidence, r.Lift)
	}
	return nil
}

// describer returns a function listing items with their descriptions from
// the catalogue of the dataset version job m mined.
func (c *devCluster) describer(ctx context.Context, m *jobs.ResultManifest) (func([]string) string, error) {
	d, err := dataset.Open(ctx, c.bucket, m.Dataset, m.Version)
	if err != nil {
		return nil, err
	}
	items, err := d.Items(ctx)
	if err != nil {
		return nil, err
	}
	desc := make(map[string]string, len(items))
	for _, it := range items {
		desc[it.Name] = it.Description
	}
	return func(names []string) string {
		parts := make([]string, len(names))
		for i, n := range names {
			parts[i] = strings.TrimSpace(n + " " + desc[n])
		}
		return strings.Join(parts, ", ")
	}, nil
}

// demoSequence is the part of a sequences.jsonl line the demo prints.
type demoSequence struct {
	Pattern [][]string `json:"elements"`
	Support int        `json:"support"`
}

// printSequences prints the number of sequential patterns of job id and
// the three with the most items (the highest support among equals).
func (c *devCluster) printSequences(ctx context.Context, out io.Writer, id string) error {
	rc, m, err := c.resultObject(ctx, id, "sequences.jsonl")
	if err != nil {
		return err
	}
	defer rc.Close()
	var top []demoSequence
	size := func(p demoSequence) (n int) {
		for _, el := range p.Pattern {
			n += len(el)
		}
		return n
	}
	better := func(a, b demoSequence) bool {
		if size(a) != size(b) {
			return size(a) > size(b)
		}
		return a.Support > b.Support
	}
	n := 0
	for dec := json.NewDecoder(rc); dec.More(); n++ {
		var p demoSequence
		if err := dec.Decode(&p); err != nil {
			return fmt.Errorf("job %s sequences.jsonl: %w", id, err)
		}
		i := sort.Search(len(top), func(i int) bool { return better(p, top[i]) })
		top = slices.Insert(top, i, p)[:min(len(top)+1, 3)]
	}
	describe, err := c.describer(ctx, m)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "%d sequential patterns; the longest:\n", n)
	for _, p := range top {
		steps := make([]string, len(p.Pattern))
		for i, el := range p.Pattern {
			steps[i] = "{" + describe(el) + "}"
		}
		fmt.Fprintf(out, "  %s  support %d customers\n", strings.Join(steps, " -> "), p.Support)
	}
	return nil
}

// printSegments prints the segment sizes of job id.
func (c *devCluster) printSegments(ctx context.Context, out io.Writer, id string) error {
	rc, _, err := c.resultObject(ctx, id, "segments.json")
	if err != nil {
		return err
	}
	defer rc.Close()
	var s jobs.SegmentsJSON
	if err := json.NewDecoder(rc).Decode(&s); err != nil {
		return fmt.Errorf("job %s segments.json: %w", id, err)
	}
	fmt.Fprintf(out, "%d segments:\n", len(s.Segments))
	for _, seg := range s.Segments {
		fmt.Fprintf(out, "  segment %d: %d customers (%.1f%%)\n", seg.Segment, seg.Size, 100*seg.Share)
	}
	return nil
}

// resultObject opens result object name of job id, found through the
// job's result manifest.
func (c *devCluster) resultObject(ctx context.Context, id, name string) (io.ReadCloser, *jobs.ResultManifest, error) {
	m, err := jobs.LoadResult(ctx, c.bucket, id)
	if err != nil {
		return nil, nil, err
	}
	o, ok := m.Object(name)
	if !ok {
		return nil, nil, fmt.Errorf("job %s: no result %s", id, name)
	}
	rc, err := c.bucket.Get(ctx, o.Key)
	return rc, m, err
}
