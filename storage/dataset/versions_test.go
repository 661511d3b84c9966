package dataset_test

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

// splitCSV cuts a CSV log into two files with the header each, at line n.
func splitCSV(t *testing.T, path string, n int) (string, string) {
	t.Helper()
	f, err := format.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	data, err := io.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	if err := os.WriteFile(a, []byte(strings.Join(lines[:n], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(b, []byte(lines[0]+strings.Join(lines[n:], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return a, b
}

func TestVersionsAppendRemove(t *testing.T) {
	backends(t, func(t *testing.T, store objstore.Bucket) {
		ctx := context.Background()
		a, b := splitCSV(t, testenv.Path(t, "online-retail-sample.csv.gz"), 9000)
		opt := dataset.Options{Spec: retailSpec(3), InlineItems: 100}
		v1 := importFile(t, store, "r", opt, fileSource(t, a))
		v2 := importFile(t, store, "r", opt, fileSource(t, a))
		if v1.Version != 1 || v2.Version != 2 {
			t.Fatalf("got versions %d, %d; want 1, 2", v1.Version, v2.Version)
		}
		v3, err := dataset.Append(ctx, store, "r", []dataset.SourceObject{fileSource(t, b)}, dataset.Options{})
		if err != nil {
			t.Fatalf("Append: %v", err)
		}
		if v3.Version != 3 || v3.Parent != 2 || len(v3.Segments) != 2 || len(v3.Partitions) != 6 {
			t.Fatalf("got v%d parent %d with %d segments, %d partitions; want v3 parent 2, 2 segments, 6 partitions",
				v3.Version, v3.Parent, len(v3.Segments), len(v3.Partitions))
		}
		for i := range 3 {
			if v3.Partitions[i].Key != v2.Partitions[i].Key {
				t.Fatalf("v3 partition %d is %s; want v2's %s", i, v3.Partitions[i].Key, v2.Partitions[i].Key)
			}
		}
		if got := v3.Bucket(1); !slices.Equal(got, []int{1, 4}) {
			t.Errorf("got bucket 1 = %v; want [1 4]", got)
		}
		// The dictionary grows: v2's ids keep their names.
		d2, err := dataset.Open(ctx, store, "r", 2)
		if err != nil {
			t.Fatal(err)
		}
		d3, err := dataset.Open(ctx, store, "r", 3)
		if err != nil {
			t.Fatal(err)
		}
		i2, _ := d2.Items(ctx)
		i3, _ := d3.Items(ctx)
		if len(i3) <= len(i2) || !slices.Equal(i3[:len(i2)], i2) {
			t.Fatalf("got %d items in v3, %d in v2; want v2's a prefix of v3's", len(i3), len(i2))
		}

		if err := dataset.Remove(ctx, store, "r", 2); err != nil {
			t.Fatalf("Remove v2: %v", err)
		}
		if vs, _ := dataset.Versions(ctx, store, "r"); !slices.Equal(vs, []int{1, 3}) {
			t.Fatalf("got versions %v; want [1 3]", vs)
		}
		d3, parts := readAll(t, store, "r", 3)
		got := partitionRows(t, d3, parts)
		want := append(rawRows(t, a, format.DefaultColumns(), false), rawRows(t, b, format.DefaultColumns(), false)...)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("v3: got %d rows; want %d", len(got), len(want))
		}
		if _, err := dataset.Open(ctx, store, "r", 2); !errors.Is(err, dataset.ErrNotFound) {
			t.Errorf("open removed v2: got %v; want ErrNotFound", err)
		}

		// A stale append (its base is no longer the latest) conflicts.
		if names, err := dataset.List(ctx, store); err != nil || !slices.Equal(names, []string{"r"}) {
			t.Fatalf("List: got %v, %v; want [r]", names, err)
		}
		if err := dataset.Remove(ctx, store, "r", 0); err != nil {
			t.Fatalf("Remove all: %v", err)
		}
		if keys := listAll(t, store, dataset.Root); len(keys) != 0 {
			t.Fatalf("got %v after removing everything; want nothing", keys)
		}
	})
}

// uploadHook is a bucket that calls hook before the n-th upload (1-based).
type uploadHook struct {
	objstore.Bucket
	n     int64
	count atomic.Int64
	hook  func()
}

func (b *uploadHook) Upload(ctx context.Context, key string, r io.Reader) error {
	if b.count.Add(1) == b.n {
		b.hook()
	}
	return b.Bucket.Upload(ctx, key, r)
}

func TestInterruptedImportPublishesNothing(t *testing.T) {
	path := testenv.Path(t, "online-retail-sample.csv.gz")
	t.Run("cancel", func(t *testing.T) {
		backends(t, func(t *testing.T, store objstore.Bucket) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			hooked := &uploadHook{Bucket: store, n: 3, hook: cancel}
			_, err := dataset.Import(ctx, hooked, "r", []dataset.SourceObject{fileSource(t, path)},
				dataset.Options{Spec: retailSpec(6), Workers: 1})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("got %v; want context.Canceled", err)
			}
			checkNothingLeft(t, store)
		})
	})
	t.Run("minio-stops", func(t *testing.T) {
		srv := sharedMinio(t)
		store := newMinio(t, srv, "stop")
		hooked := &uploadHook{Bucket: store, n: 3, hook: srv.Stop}
		_, err := dataset.Import(context.Background(), hooked, "r", []dataset.SourceObject{fileSource(t, path)},
			dataset.Options{Spec: retailSpec(6), Workers: 1})
		if err == nil {
			t.Fatal("import with MinIO stopped: got nil error")
		}
		srv.Restart()
		if vs, err := dataset.Versions(context.Background(), store, "r"); err != nil || len(vs) != 0 {
			t.Fatalf("got versions %v, %v; want none", vs, err)
		}
		// Cleanup could not run with the server down: GC removes the rest.
		if _, err := dataset.GC(context.Background(), store, "r", 0); err != nil {
			t.Fatalf("GC: %v", err)
		}
		checkNothingLeft(t, store)
	})
}

func checkNothingLeft(t *testing.T, store objstore.Bucket) {
	t.Helper()
	ctx := context.Background()
	if names, err := dataset.List(ctx, store); err != nil || len(names) != 0 {
		t.Fatalf("List: got %v, %v; want no dataset", names, err)
	}
	if keys := listAll(t, store, dataset.Root); len(keys) != 0 {
		t.Fatalf("got objects %v; want none", keys)
	}
}

func TestConcurrentImportsTakeNextVersion(t *testing.T) {
	store := newLocal(t)
	src := fileSource(t, testenv.Path(t, "retail-sample.dat"))
	opt := dataset.Options{Spec: dataset.Spec{Format: format.FormatFIMI, Partitions: 2}}
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			_, err := dataset.Import(context.Background(), store, "f", []dataset.SourceObject{src}, opt)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	vs, _ := dataset.Versions(context.Background(), store, "f")
	if !slices.Equal(vs, []int{1, 2, 3, 4}) {
		t.Fatalf("got versions %v; want [1 2 3 4]", vs)
	}
	// An append whose base stops being the latest conflicts and cleans up.
	racer := &uploadHook{Bucket: store, n: 1, hook: func() {
		if _, err := dataset.Import(context.Background(), store, "f", []dataset.SourceObject{src}, opt); err != nil {
			t.Error(err)
		}
	}}
	before := listAll(t, store, dataset.Root)
	_, err := dataset.Append(context.Background(), racer, "f", []dataset.SourceObject{src}, dataset.Options{})
	if !errors.Is(err, dataset.ErrConflict) {
		t.Fatalf("stale append: got %v; want ErrConflict", err)
	}
	after := listAll(t, store, dataset.Root)
	m5, err := dataset.LoadManifest(context.Background(), store, "f", 5)
	if err != nil {
		t.Fatal(err)
	}
	if want := len(before) + len(m5.Keys()) + 1; len(after) != want { // v5 and nothing of the append
		t.Fatalf("got %d objects after the conflict; want %d", len(after), want)
	}
}
