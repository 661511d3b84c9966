package jobs

import (
	"context"
	"testing"

	"github.com/quarrydata/quarry/storage/format"
)

// TestModel bundles rules, sequences and segments results into model
// versions: a rerun of the same model job publishes nothing new, another
// model job takes the next version.
func TestModel(t *testing.T) {
	store := newStore(t)
	importInput(t, store, "g", input{path: testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols)(t).path, ff: format.FormatCSV, cols: groceryCols}, 4)
	ctx := context.Background()
	run := func(id string, s Spec) *Result {
		t.Helper()
		r, err := RunLocal(ctx, store, s, LocalOptions{JobID: id, Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	run("rules", Spec{Type: TypeItemsets, Dataset: "g", Itemsets: &ItemsetsSpec{MinSupport: 0.003, Rules: &RulesSpec{MinConfidence: 0.1}}})
	run("seqs", Spec{Type: TypeSequences, Dataset: "g", Sequences: &SequencesSpec{MinSupport: 0.01}})
	run("segs", Spec{Type: TypeSegments, Dataset: "g", Segments: &SegmentsSpec{K: 3}})
	spec := Spec{Type: TypeModel, Dataset: "g", Model: &ModelSpec{Rules: "rules", Sequences: "seqs", Segments: "segs"}}
	m1 := run("model-1", spec)
	if m1.Manifest.Model != ModelKey("g", 1) {
		t.Fatalf("model key %q; want %q", m1.Manifest.Model, ModelKey("g", 1))
	}
	mm, err := LoadModel(ctx, store, "g", 0)
	if err != nil {
		t.Fatal(err)
	}
	if mm.Version != 1 || mm.Job != "model-1" || mm.Rules == nil || mm.Sequences == nil || mm.Segments == nil || mm.Items.Count == 0 {
		t.Errorf("model %+v: want version 1 of job model-1 with rules, sequences, segments and items", mm)
	}
	if len(mm.Segments.Objects) != 3 || mm.Segments.Objects[2].Name != "kmeans.json" {
		t.Errorf("segments objects %v; want segments.json, customers.jsonl, kmeans.json", mm.Segments.Objects)
	}
	// The same job's bundle task again (a retry): no new version.
	task := m1.Stages[0].Stage.Tasks[0]
	task.Attempt = "retry"
	if _, err := RunTask(ctx, store, task); err != nil {
		t.Fatal(err)
	}
	if vs, _ := ModelVersions(ctx, store, "g"); len(vs) != 1 {
		t.Errorf("versions %v after a retry; want [1]", vs)
	}
	m2 := run("model-2", Spec{Type: TypeModel, Dataset: "g", Model: &ModelSpec{Segments: "segs"}})
	if m2.Manifest.Model != ModelKey("g", 2) {
		t.Errorf("second model key %q; want %q", m2.Manifest.Model, ModelKey("g", 2))
	}
	// A result of the wrong type is refused.
	if _, err := RunLocal(ctx, store, Spec{Type: TypeModel, Dataset: "g", Model: &ModelSpec{Rules: "segs"}}, LocalOptions{}); err == nil {
		t.Error("a segments job as rules: got no error")
	}
}
