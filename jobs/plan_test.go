package jobs

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/storage/format"
)

// TestStages checks the stage lists of each job type and the grouping of
// phase one.
func TestStages(t *testing.T) {
	store := newStore(t)
	importInput(t, store, "r", input{path: testdataInput("retail-sample.dat", format.FormatFIMI, format.Columns{})(t).path, ff: format.FormatFIMI}, 16)
	importInput(t, store, "g", input{path: testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols)(t).path, ff: format.FormatCSV, cols: groceryCols}, 4)
	ctx := context.Background()
	names := func(r *Result) []string {
		var out []string
		for _, c := range r.Stages {
			out = append(out, c.Stage.Name)
		}
		return out
	}
	cases := []struct {
		name   string
		spec   Spec
		stages []string // a prefix when ending in "..."
		local  int      // tasks in the local stage, 0 to skip
	}{
		{"itemsets/baskets", Spec{Type: TypeItemsets, Dataset: "r", Itemsets: &ItemsetsSpec{MinSupport: 0.1}}, []string{"local", "candidates", "count", "finish"}, 16},
		{"itemsets/grouped", Spec{Type: TypeItemsets, Dataset: "r", Itemsets: &ItemsetsSpec{MinSupport: 40}}, []string{"local", "candidates", "count", "finish"}, 5},
		{"itemsets/one-group", Spec{Type: TypeItemsets, Dataset: "r", Itemsets: &ItemsetsSpec{MinSupport: 10}}, []string{"local", "finish"}, 1},
		{"itemsets/log", Spec{Type: TypeItemsets, Dataset: "g", Itemsets: &ItemsetsSpec{MinSupport: 0.01}}, []string{"size", "local", "candidates", "count", "finish"}, 0},
		{"sequences/log", Spec{Type: TypeSequences, Dataset: "g", Sequences: &SequencesSpec{MinSupport: 0.05}}, []string{"size", "local", "candidates", "count", "finish"}, 0},
		{"segments", Spec{Type: TypeSegments, Dataset: "g", Segments: &SegmentsSpec{K: 2}}, []string{"scan", "features", "bounds", "seed-cost-1", "seed-sample-1", "seed-cost-2", "..."}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := RunLocal(ctx, store, c.spec, LocalOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := names(r)
			want := c.stages
			if want[len(want)-1] == "..." {
				want = want[:len(want)-1]
				if len(got) > len(want) {
					got = got[:len(want)]
				}
				last := names(r)[len(names(r))-1]
				if last != "finish" || !slices.ContainsFunc(names(r), func(s string) bool { return strings.HasPrefix(s, "lloyd-") }) {
					t.Errorf("stages %v: want lloyd rounds and a finish", names(r))
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("stages %v; want %v", got, want)
			}
			if c.local > 0 {
				if n := len(r.Stages[0].Stage.Tasks); n != c.local {
					t.Errorf("local tasks %d; want %d", n, c.local)
				}
			}
		})
	}
}

// TestPlanRejects checks the errors of Plan for specs that do not fit
// the dataset.
func TestPlanRejects(t *testing.T) {
	store := newStore(t)
	m := importInput(t, store, "r", input{path: testdataInput("retail-sample.dat", format.FormatFIMI, format.Columns{})(t).path, ff: format.FormatFIMI}, 2)
	for _, s := range []Spec{
		{Type: TypeSequences, Dataset: "r", Version: m.Version, Sequences: &SequencesSpec{MinSupport: 0.1}},
		{Type: TypeSegments, Dataset: "r", Version: m.Version, Segments: &SegmentsSpec{K: 2}},
		{Type: TypeItemsets, Dataset: "r", Version: m.Version + 1, Itemsets: &ItemsetsSpec{MinSupport: 0.1}},
	} {
		if _, err := Plan(Job{ID: "x", Spec: s}, m); err == nil {
			t.Errorf("%s on a baskets dataset (version %d): got no error", s.Type, s.Version)
		}
	}
	if _, err := Plan(Job{ID: "bad/id", Spec: Spec{Type: TypeItemsets, Dataset: "r", Version: m.Version, Itemsets: &ItemsetsSpec{MinSupport: 0.1}}}, m); err == nil {
		t.Error("job id with a slash: got no error")
	}
}
