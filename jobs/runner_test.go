package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

// resultBytes returns every result object of a job by name.
func resultBytes(t *testing.T, store objstore.Bucket, m *ResultManifest) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, o := range m.Objects {
		out[o.Name] = readResult(t, store, m, o.Name)
	}
	return out
}

// TestRetriesGiveIdenticalResults runs each job type cleanly and then with
// every task failed once or duplicated (alternately, on 1 and 3 workers),
// and compares every result object byte for byte. It also checks that no
// orphaned attempt survives GC and that attempt objects are identical.
func TestRetriesGiveIdenticalResults(t *testing.T) {
	in := input{path: "", ff: format.FormatCSV, cols: groceryCols}
	in.path = testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols)(t).path
	specs := map[string]Spec{
		"itemsets":  {Type: TypeItemsets, Dataset: "g", Itemsets: &ItemsetsSpec{MinSupport: 0.003, Rules: &RulesSpec{MinConfidence: 0.1}}},
		"sequences": {Type: TypeSequences, Dataset: "g", Sequences: &SequencesSpec{MinSupport: 0.01}},
		"segments":  {Type: TypeSegments, Dataset: "g", Segments: &SegmentsSpec{K: 3}},
	}
	store := newStore(t)
	importInput(t, store, "g", in, 4)
	ctx := context.Background()
	for name, spec := range specs {
		t.Run(name, func(t *testing.T) {
			clean, err := RunLocal(ctx, store, spec, LocalOptions{JobID: name + "-clean"})
			if err != nil {
				t.Fatal(err)
			}
			want := resultBytes(t, store, clean.Manifest)
			for _, workers := range []int{1, 3} {
				id := fmt.Sprintf("%s-faulty-%d", name, workers)
				faults := func(stage string, task int) Fault { return Fault(1 + (task+len(stage))%2) }
				got, err := RunLocal(ctx, store, spec, LocalOptions{JobID: id, Workers: workers, Faults: faults, KeepPartials: true})
				if err != nil {
					t.Fatal(err)
				}
				gotBytes := resultBytes(t, store, got.Manifest)
				if len(gotBytes) != len(want) {
					t.Fatalf("%d result objects; want %d", len(gotBytes), len(want))
				}
				for n, w := range want {
					if !bytes.Equal(gotBytes[n], w) {
						t.Errorf("%s with faults: %s differs (%d bytes; want %d)", id, n, len(gotBytes[n]), len(w))
					}
				}
				// Only accepted attempts and results remain.
				keys, _ := objstore.List(ctx, store, JobPrefix(id))
				accepted := map[string]bool{}
				for _, c := range got.Stages {
					for _, k := range c.keys() {
						accepted[k] = true
					}
				}
				for _, k := range keys {
					if !accepted[k] && !strings.HasPrefix(k, ResultPrefix(id)) {
						t.Errorf("orphan %s survived GC", k)
					}
				}
				// A rerun of an accepted attempt writes the same bytes.
				for _, c := range got.Stages[:len(got.Stages)-1] {
					task := c.Stage.Tasks[0]
					task.Attempt = "again"
					r, err := RunTask(ctx, store, task)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(r.Summary, c.Results[0].Summary) {
						t.Errorf("stage %s: rerun summary differs", c.Stage.Name)
					}
					if r.Key != "" {
						a, _ := objstore.ReadAll(ctx, store, r.Key)
						b, _ := objstore.ReadAll(ctx, store, c.Results[0].Key)
						if !bytes.Equal(a, b) {
							t.Errorf("stage %s: rerun output differs", c.Stage.Name)
						}
					}
				}
				if _, err := GC(ctx, store, id, nil); err != nil {
					t.Fatal(err)
				}
				keys, _ = objstore.List(ctx, store, JobPrefix(id))
				for _, k := range keys {
					if !strings.HasPrefix(k, ResultPrefix(id)) {
						t.Errorf("partial %s survived the final GC", k)
					}
				}
			}
		})
	}
}

// TestFinalTaskIdempotent reruns a finished job's final task: the
// create-only writes find their keys taken and succeed with the same
// manifest.
func TestFinalTaskIdempotent(t *testing.T) {
	store := newStore(t)
	importInput(t, store, "r", input{path: testdataInput("retail-sample.dat", format.FormatFIMI, format.Columns{})(t).path, ff: format.FormatFIMI}, 2)
	ctx := context.Background()
	res, err := RunLocal(ctx, store, Spec{Type: TypeItemsets, Dataset: "r", Itemsets: &ItemsetsSpec{MinSupport: 0.02}}, LocalOptions{JobID: "j1", KeepPartials: true})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := objstore.ReadAll(ctx, store, ResultPrefix("j1")+ResultManifestName)
	last := res.Stages[len(res.Stages)-1]
	task := last.Stage.Tasks[0]
	task.Attempt = "late"
	r, err := RunTask(ctx, store, task)
	if err != nil {
		t.Fatal(err)
	}
	after, _ := objstore.ReadAll(ctx, store, r.Key)
	if !bytes.Equal(before, after) {
		t.Errorf("result manifest changed: got %s; want %s", after, before)
	}
}

// TestCorruptPartitionFails flips a byte in one partition object: the job
// fails with an error naming the partition and its corruption.
func TestCorruptPartitionFails(t *testing.T) {
	dir := t.TempDir()
	store := newStoreAt(t, dir)
	m := importInput(t, store, "r", input{path: testdataInput("retail-sample.dat", format.FormatFIMI, format.Columns{})(t).path, ff: format.FormatFIMI}, 4)
	key := m.Partitions[2].Key
	path := filepath.Join(dir, filepath.FromSlash(key))
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	data[len(data)/2] ^= 0x55
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = RunLocal(context.Background(), store, Spec{Type: TypeItemsets, Dataset: "r", Itemsets: &ItemsetsSpec{MinSupport: 0.02}}, LocalOptions{Workers: 2})
	if err == nil {
		t.Fatal("got no error; want one naming the corrupt partition")
	}
	if !strings.Contains(err.Error(), key) {
		t.Errorf("got %v; want an error naming %s", err, key)
	}
	if !errors.Is(err, dataset.ErrCorrupt) && !errors.Is(err, objstore.ErrChecksum) {
		t.Errorf("got %v; want dataset.ErrCorrupt or objstore.ErrChecksum", err)
	}
	t.Logf("error: %v", err)
}

// TestCorruptPartialFails damages an accepted partial between stages: the
// next stage fails with ErrCorrupt or a checksum error naming the key.
func TestCorruptPartialFails(t *testing.T) {
	store := newStore(t)
	m := importInput(t, store, "r", input{path: testdataInput("retail-sample.dat", format.FormatFIMI, format.Columns{})(t).path, ff: format.FormatFIMI}, 2)
	ctx := context.Background()
	spec := Spec{Type: TypeItemsets, Dataset: "r", Version: m.Version, Itemsets: &ItemsetsSpec{MinSupport: 0.02}}
	st := State{Job: Job{ID: "c1", Spec: spec}, Manifest: m}
	s, err := Next(st)
	if err != nil {
		t.Fatal(err)
	}
	results, err := runStage(ctx, store, s, LocalOptions{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte("QJOB\x01\x01"), 0xff, 0xff, 0xff)
	if err := store.Publish(ctx, results[0].Key, bytes.NewReader(bad)); err != nil {
		t.Fatal(err)
	}
	st.Stages = append(st.Stages, Completed{Stage: *s, Results: results})
	s, err = Next(st)
	if err != nil {
		t.Fatal(err)
	}
	_, err = runStage(ctx, store, s, LocalOptions{Workers: 1})
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), results[0].Key) {
		t.Errorf("got %v; want ErrCorrupt naming %s", err, results[0].Key)
	}
}

// TestFinishRefusesUnknownItems: a candidate list that decodes (valid
// envelope and checksum) but names an item beyond the dataset's dictionary
// made the finish task panic translating it back to raw ids; it must fail
// with ErrCorrupt.
func TestFinishRefusesUnknownItems(t *testing.T) {
	store := newStore(t)
	m := importInput(t, store, "r", input{path: testdataInput("retail-sample.dat", format.FormatFIMI, format.Columns{})(t).path, ff: format.FormatFIMI}, 2)
	ctx := context.Background()
	spec := Spec{Type: TypeItemsets, Dataset: "r", Version: m.Version, Itemsets: &ItemsetsSpec{MinSupport: 0.02}}
	st := State{Job: Job{ID: "unknown-items", Spec: spec}, Manifest: m}
	for {
		s, err := Next(st)
		if err != nil {
			t.Fatal(err)
		}
		if s == nil {
			t.Fatal("job finished without a finish task")
		}
		if s.Name == "finish" {
			key := s.Tasks[0].Inputs[0]
			if st.stage("candidates") == nil {
				t.Fatalf("phase one was one task; want candidates and count stages")
			}
			sets, err := readInput(ctx, store, key, decodeItemLists)
			if err != nil {
				t.Fatal(err)
			}
			for i := range sets { // every candidate gets an unknown last item
				sets[i] = append(slices.Clone(sets[i][:len(sets[i])-1]), 1<<30)
			}
			if err := store.Publish(ctx, key, bytes.NewReader(encodeItemLists(sets))); err != nil {
				t.Fatal(err)
			}
			if _, err := runStage(ctx, store, s, LocalOptions{Workers: 1}); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("got %v; want ErrCorrupt", err)
			}
			return
		}
		results, err := runStage(ctx, store, s, LocalOptions{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		st.Stages = append(st.Stages, Completed{Stage: *s, Results: results})
	}
}
