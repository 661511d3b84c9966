package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
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
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/storage/split"
)

// demoDataset is the dataset the demo imports and mines.
const demoDataset = "retail"

// The demo jobs.
const (
	demoRulesSpec    = `{"type":"itemsets","dataset":"retail","itemsets":{"min_support":0.015,"max_size":3,"rules":{"min_confidence":0.6}}}`
	demoSegmentsSpec = `{"type":"segments","dataset":"retail","segments":{"k":4,"seed":1}}`
)

// demo imports the sample log unless present, runs the demo jobs on the
// cluster and prints their results.
func (c *devCluster) demo(ctx context.Context, out io.Writer, input string) error {
	if err := c.importDemo(ctx, out, input); err != nil {
		return err
	}
	stamp := strconv.FormatInt(time.Now().UnixMilli(), 10)
	rulesID, segID := "demo-rules-"+stamp, "demo-segments-"+stamp
	for _, j := range []struct{ id, spec string }{{rulesID, demoRulesSpec}, {segID, demoSegmentsSpec}} {
		if err := c.driver.Submit(ctx, j.id, []byte(j.spec), 0); err != nil {
			return fmt.Errorf("submit %s: %w", j.id, err)
		}
		fmt.Fprintf(out, "submitted job %s: %s\n", j.id, j.spec)
	}
	if err := c.waitJobs(ctx, out, rulesID, segID); err != nil {
		return err
	}
	if err := c.printRules(ctx, out, rulesID); err != nil {
		return err
	}
	if err := c.printSegments(ctx, out, segID); err != nil {
		return err
	}
	fmt.Fprintf(out, "results: %s and %s\n",
		filepath.Join(c.bucket.Dir(), jobs.ResultPrefix(rulesID)), filepath.Join(c.bucket.Dir(), jobs.ResultPrefix(segID)))
	return nil
}

// importDemo imports input as the demo dataset unless it exists.
func (c *devCluster) importDemo(ctx context.Context, out io.Writer, input string) error {
	m, err := dataset.LoadManifest(ctx, c.bucket, demoDataset, 0)
	if err == nil {
		fmt.Fprintf(out, "dataset %s v%d already present\n", m.Name, m.Version)
		return nil
	}
	if !errors.Is(err, dataset.ErrNotFound) {
		return err
	}
	abs, err := filepath.Abs(input)
	if err != nil {
		return fmt.Errorf("demo input: %w", err)
	}
	src, err := local.New(filepath.Dir(abs))
	if err != nil {
		return err
	}
	defer src.Close()
	so := dataset.SourceObject{Bucket: src, Key: filepath.Base(abs), URL: abs}
	in := inputFlags{cols: format.DefaultColumns(), cancelPrefix: "C"}
	header, err := split.Header(ctx, src, so.Key)
	if err != nil {
		return fmt.Errorf("demo input %s (see --demo-input): %w", abs, err)
	}
	spec := dataset.Spec{Format: format.FormatCSV, Partitions: 4, MaxLineBytes: 1 << 20, CancelPrefix: in.cancelPrefix,
		Columns: in.columnsFor(peekHeader(bufio.NewReader(bytes.NewReader(header)), format.FormatCSV.Comma()))}
	m, err = dataset.Import(ctx, c.bucket, demoDataset, []dataset.SourceObject{so}, dataset.Options{Spec: spec, Logger: slog.Default()})
	if err != nil {
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
