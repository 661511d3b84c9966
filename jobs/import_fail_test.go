package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

// retailText returns the lines of the online retail sample, header first.
func retailText(t testing.TB) []string {
	t.Helper()
	f, err := format.Open(testenv.Path(t, "online-retail-sample.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(f); err != nil {
		t.Fatal(err)
	}
	return strings.SplitAfter(buf.String(), "\n")
}

func put(t testing.TB, store objstore.Bucket, key string, lines []string) string {
	t.Helper()
	if err := store.Upload(context.Background(), key, strings.NewReader(strings.Join(lines, ""))); err != nil {
		t.Fatal(err)
	}
	return key
}

// nothingLeft checks that dataset name has no version and no object, and
// that job id left nothing but results.
func nothingLeft(t *testing.T, store objstore.Bucket, name, id string) {
	t.Helper()
	ctx := context.Background()
	if vs, _ := dataset.Versions(ctx, store, name); len(vs) != 0 {
		t.Errorf("versions %v published; want none", vs)
	}
	if keys, _ := objstore.List(ctx, store, dataset.Root+name+"/"); len(keys) != 0 {
		t.Errorf("dataset objects left: %v", keys)
	}
	keys, _ := objstore.List(ctx, store, JobPrefix(id))
	for _, k := range keys {
		if !strings.HasPrefix(k, ResultPrefix(id)) {
			t.Errorf("partial %s left", k)
		}
	}
}

// TestImportBadLine puts a bad quantity in a later split of the second
// source: the job fails after parsing with the error 'quarry dataset
// import' gives (object, line counted from the start of that source,
// field), and publishes and leaves nothing.
func TestImportBadLine(t *testing.T) {
	store := newStore(t)
	lines := retailText(t)
	bad := append([]string(nil), lines...)
	f := strings.Split(bad[12000], ",")
	f[3] = "12x"
	bad[12000] = strings.Join(f, ",")
	keys := []string{put(t, store, "raw/good.csv", lines), put(t, store, "raw/bad.csv", bad)}
	spec := retailRef
	spec.Partitions = 4
	var srcs []dataset.SourceObject
	for _, k := range keys {
		srcs = append(srcs, dataset.SourceObject{Bucket: store, Key: k, URL: store.String() + "/" + k})
	}
	_, want := dataset.Import(context.Background(), store, "ref", srcs, dataset.Options{Spec: spec, SplitSize: 200_000})
	var wantLE *format.LineError
	if !errors.As(want, &wantLE) || wantLE.Line != 12001 || wantLE.Field != "Quantity" {
		t.Fatalf("dataset.Import: got %v; want a line error on line 12001, field Quantity", want)
	}
	_, err := RunLocal(context.Background(), store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: keys, SplitSize: 200_000}},
		LocalOptions{JobID: "bad", Workers: 2})
	var le *format.LineError
	if !errors.As(err, &le) || le.Error() != wantLE.Error() || le.Text != wantLE.Text {
		t.Fatalf("got %v; want %v", err, want)
	}
	t.Logf("error: %v", err)
	nothingLeft(t, store, "d", "bad")
}

// TestImportCancelled cancels an import in its build stage, after some
// partitions are written: nothing is published and nothing is left.
func TestImportCancelled(t *testing.T) {
	store := newStore(t)
	key := put(t, store, "raw/r.csv", retailText(t))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	faults := func(stage string, task int) Fault {
		if stage == stageBuild && task == 2 {
			if written, _ := objstore.List(ctx, store, dataset.ObjectsPrefix("d", "job-cancelled")); len(written) != 2 {
				t.Errorf("partitions written before the cancellation: %v; want 2", written)
			}
			cancel()
		}
		return FaultNone
	}
	_, err := RunLocal(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{key}, Partitions: 4, SplitSize: 300_000}},
		LocalOptions{JobID: "cancelled", Faults: faults})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v; want context.Canceled", err)
	}
	nothingLeft(t, store, "d", "cancelled")
}

// TestImportSourceChanged rewrites a source after submission: the parse
// task refuses it.
func TestImportSourceChanged(t *testing.T) {
	store := newStore(t)
	lines := retailText(t)
	key := put(t, store, "raw/r.csv", lines)
	faults := func(stage string, task int) Fault {
		if stage == stageParse && task == 0 {
			put(t, store, key, lines[:100])
		}
		return FaultNone
	}
	_, err := RunLocal(context.Background(), store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{key}}},
		LocalOptions{JobID: "changed", Faults: faults})
	if err == nil || !strings.Contains(err.Error(), "changed since the job was submitted") {
		t.Fatalf("got %v; want an error saying the source changed", err)
	}
	nothingLeft(t, store, "d", "changed")
}

// TestImportAppend imports the first part of the sample and appends the
// second with jobs, and compares both versions with dataset.Import and
// dataset.Append; then an append that another import overtakes fails
// with ErrConflict and leaves nothing.
func TestImportAppend(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	lines := retailText(t)
	a := put(t, store, "raw/a.csv", lines[:9000])
	b := put(t, store, "raw/b.csv", append([]string{lines[0]}, lines[9000:]...))
	spec := retailRef
	spec.Partitions = 3
	src := func(k string) []dataset.SourceObject {
		return []dataset.SourceObject{{Bucket: store, Key: k, URL: store.String() + "/" + k}}
	}
	opt := dataset.Options{Spec: spec, SplitSize: 100_000, InlineItems: 100}
	w1, err := dataset.Import(ctx, store, "ref", src(a), opt)
	if err != nil {
		t.Fatal(err)
	}
	w2, err := dataset.Append(ctx, store, "ref", src(b), opt)
	if err != nil {
		t.Fatal(err)
	}
	g1, err := RunLocal(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{a}, Partitions: 3, SplitSize: 100_000, InlineItems: 100}}, LocalOptions{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	sameVersion(t, store, g1.Dataset, w1)
	faults := func(stage string, task int) Fault { return Fault(1 + task%2) }
	g2, err := RunLocal(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{b}, Append: true, SplitSize: 100_000, InlineItems: 100}}, LocalOptions{Workers: 3, Faults: faults})
	if err != nil {
		t.Fatal(err)
	}
	if g2.Dataset.Version != 2 || g2.Dataset.Parent != 1 || len(g2.Dataset.Segments) != 2 {
		t.Fatalf("append: got v%d parent %d with %d segments; want v2 parent 1, 2 segments", g2.Dataset.Version, g2.Dataset.Parent, len(g2.Dataset.Segments))
	}
	sameVersion(t, store, g2.Dataset, w2)

	race := func(stage string, task int) Fault {
		if stage == stagePublish {
			if _, err := dataset.Import(ctx, store, "d", src(a), opt); err != nil {
				t.Error(err)
			}
		}
		return FaultNone
	}
	_, err = RunLocal(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{b}, Append: true}}, LocalOptions{JobID: "late", Faults: race})
	if !errors.Is(err, dataset.ErrConflict) {
		t.Fatalf("got %v; want ErrConflict", err)
	}
	if vs, _ := dataset.Versions(ctx, store, "d"); len(vs) != 3 {
		t.Errorf("versions %v; want 1, 2 and the racing import's 3", vs)
	}
	if keys, _ := objstore.List(ctx, store, dataset.ObjectsPrefix("d", "job-late")); len(keys) != 0 {
		t.Errorf("the failed append left %v", keys)
	}
}

// TestImportGCWhileRunning drives an import stage by stage as the
// coordinator does: reruns of accepted tasks write identical bytes, a GC
// that keeps the accepted keys mid-job removes the orphans and lets the
// job finish, and a GC of a job abandoned before publishing removes every
// object it wrote.
func TestImportGCWhileRunning(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	key := put(t, store, "raw/r.csv", retailText(t))
	spec, m, err := Prepare(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{key}, Partitions: 4, SplitSize: 250_000}})
	if err != nil {
		t.Fatal(err)
	}
	again, _, _ := Prepare(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{key}, Partitions: 4, SplitSize: 250_000}})
	if m != nil || !specEqual(spec, again) {
		t.Fatalf("Prepare: got manifest %v, specs %+v and %+v; want nil and equal specs", m, spec.Import.Pinned, again.Import.Pinned)
	}
	for _, abandon := range []bool{false, true} {
		id := map[bool]string{false: "run", true: "abandoned"}[abandon]
		st := State{Job: Job{ID: id, Spec: spec}}
		for {
			// The coordinator keeps the spec and the stages as JSON.
			var again State
			data, _ := json.Marshal(st)
			if err := json.Unmarshal(data, &again); err != nil {
				t.Fatal(err)
			}
			s, err := Next(again)
			if err != nil {
				t.Fatal(err)
			}
			if s == nil || (abandon && s.Name == stagePublish) {
				break
			}
			results, err := runStage(ctx, store, s, LocalOptions{Workers: 2, Faults: func(string, int) Fault { return FaultDuplicate }})
			if err != nil {
				t.Fatal(err)
			}
			st.Stages = append(st.Stages, Completed{Stage: *s, Results: results})
			var keep []string
			for _, c := range st.Stages {
				keep = append(keep, c.keys()...)
			}
			if _, err := GC(ctx, store, id, keep); err != nil {
				t.Fatal(err)
			}
			for i, task := range s.Tasks {
				if s.Name == stagePublish {
					break
				}
				task.Attempt = "rerun"
				r, err := RunTask(ctx, store, task)
				if err != nil {
					t.Fatal(err)
				}
				got, _ := objstore.ReadAll(ctx, store, r.Key)
				want, _ := objstore.ReadAll(ctx, store, results[i].Key)
				if !bytes.Equal(got, want) || !bytes.Equal(r.Summary, results[i].Summary) {
					t.Errorf("stage %s task %d: a rerun wrote other bytes", s.Name, i)
				}
			}
		}
		if _, err := GC(ctx, store, id, nil); err != nil {
			t.Fatal(err)
		}
		left, _ := objstore.List(ctx, store, dataset.ObjectsPrefix("d", "job-"+id))
		if abandon && len(left) != 0 {
			t.Errorf("abandoned import left %v", left)
		}
		if !abandon {
			m, err := dataset.LoadManifest(ctx, store, "d", 1)
			if err != nil {
				t.Fatal(err)
			}
			want := m.Keys()
			slices.Sort(want)
			if !slices.Equal(left, want) {
				t.Errorf("published import kept %v; want what its manifest references, %v", left, want)
			}
		}
	}
	if vs, _ := dataset.Versions(ctx, store, "d"); len(vs) != 1 {
		t.Errorf("versions %v; want one", vs)
	}
}
