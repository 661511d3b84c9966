package crmapi

import (
	"context"
	"os"
	"sync"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// fixture is a store holding the retail sample imported as dataset
// "retail" with two model versions: v1 (rules at confidence ≥ 0.6) and v2
// (rules at confidence ≥ 0.3, sequences of support ≥ 3 with a 30-day max
// gap; v1 sequences of support ≥ 3 without gap limit), both with
// 4 segments.
type fixture struct {
	dir   string
	store *local.Bucket
}

var (
	fixOnce sync.Once
	fix     *fixture
	fixErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if fix != nil {
		os.RemoveAll(fix.dir)
	}
	os.Exit(code)
}

// sharedFixture builds the fixture once per test binary.
func sharedFixture(t testing.TB) *fixture {
	t.Helper()
	src := testenv.Path(t, "online-retail-sample.csv.gz")
	fixOnce.Do(func() { fix, fixErr = buildFixture(src) })
	if fixErr != nil {
		t.Fatal(fixErr)
	}
	return fix
}

func buildFixture(src string) (*fixture, error) {
	dir, err := os.MkdirTemp("", "crmapi-test-")
	if err != nil {
		return nil, err
	}
	f := &fixture{dir: dir}
	if f.store, err = local.New(dir); err != nil {
		return f, err
	}
	ctx := context.Background()
	in, err := os.Open(src)
	if err != nil {
		return f, err
	}
	defer in.Close()
	if err := f.store.Upload(ctx, "raw/online-retail-sample.csv.gz", in); err != nil {
		return f, err
	}
	run := func(id string, s jobs.Spec) error {
		s.Dataset = "retail"
		_, err := jobs.RunLocal(ctx, f.store, s, jobs.LocalOptions{JobID: id, Workers: 2})
		return err
	}
	steps := []struct {
		id   string
		spec jobs.Spec
	}{
		{"import", jobs.Spec{Type: jobs.TypeImport, Import: &jobs.ImportSpec{Sources: []string{"raw/online-retail-sample.csv.gz"}, Partitions: 4}}},
		{"rules-1", jobs.Spec{Type: jobs.TypeItemsets, Itemsets: &jobs.ItemsetsSpec{MinSupport: 0.015, MaxSize: 3, Rules: &jobs.RulesSpec{MinConfidence: 0.6}}}},
		{"rules-2", jobs.Spec{Type: jobs.TypeItemsets, Itemsets: &jobs.ItemsetsSpec{MinSupport: 0.02, MaxSize: 3, Rules: &jobs.RulesSpec{MinConfidence: 0.3}}}},
		{"seqs-1", jobs.Spec{Type: jobs.TypeSequences, Sequences: &jobs.SequencesSpec{MinSupport: 3, MaxLength: 4}}},
		{"seqs-2", jobs.Spec{Type: jobs.TypeSequences, Sequences: &jobs.SequencesSpec{MinSupport: 3, MaxLength: 4, MaxGap: 30}}},
		{"segs", jobs.Spec{Type: jobs.TypeSegments, Segments: &jobs.SegmentsSpec{K: 4}}},
		{"model-1", jobs.Spec{Type: jobs.TypeModel, Model: &jobs.ModelSpec{Rules: "rules-1", Sequences: "seqs-1", Segments: "segs"}}},
		{"model-2", jobs.Spec{Type: jobs.TypeModel, Model: &jobs.ModelSpec{Rules: "rules-2", Sequences: "seqs-2", Segments: "segs"}}},
	}
	for _, s := range steps {
		if err := run(s.id, s.spec); err != nil {
			return f, err
		}
	}
	return f, nil
}

var (
	modelsOnce sync.Once
	models     [3]*Model // by version
	modelsErr  error
)

// loadedModels returns models v1 and v2 of the fixture, loaded once.
func loadedModels(t testing.TB) (*Model, *Model) {
	t.Helper()
	f := sharedFixture(t)
	modelsOnce.Do(func() {
		for v := 1; v <= 2 && modelsErr == nil; v++ {
			models[v], modelsErr = Load(context.Background(), f.store, "retail", v)
		}
	})
	if modelsErr != nil {
		t.Fatal(modelsErr)
	}
	return models[1], models[2]
}
