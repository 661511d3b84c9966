package dataset_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

func TestImportLogReadBack(t *testing.T) {
	backends(t, func(t *testing.T, store objstore.Bucket) {
		cases := []struct {
			file  string
			path  func(t *testing.T) string
			parts int
		}{
			{"online-retail-sample.csv.gz", func(t *testing.T) string { return testenv.Path(t, "online-retail-sample.csv.gz") }, 4},
			{"online-retail-part.csv", func(t *testing.T) string { return testenv.Shared(t, "online-retail-part.csv") }, 7},
		}
		for _, tc := range cases {
			t.Run(tc.file, func(t *testing.T) {
				path := tc.path(t)
				skip := strings.HasSuffix(tc.file, "part.csv") // its last line is truncated
				spec := retailSpec(tc.parts)
				spec.SkipBadLines = skip
				src := storeSource(t, store, path)
				name := strings.TrimSuffix(tc.file, ".gz")
				m := importFile(t, store, name, dataset.Options{Spec: spec, SplitSize: 256 << 10, Workers: 3}, src)
				if m.Version != 1 || len(m.Partitions) != tc.parts || m.Kind != dataset.KindLog {
					t.Fatalf("got version %d, %d partitions, kind %s; want 1, %d, log", m.Version, len(m.Partitions), m.Kind, tc.parts)
				}
				if m.Import.TimeLayout != "2/1/2006 15:04" {
					t.Errorf("got time layout %q; want %q", m.Import.TimeLayout, "2/1/2006 15:04")
				}
				d, parts := readAll(t, store, name, 0)
				got := partitionRows(t, d, parts)
				want := rawRows(t, path, format.DefaultColumns(), skip)
				if !slices.Equal(got, want) {
					t.Fatalf("got %d rows from the partitions; want the %d of the raw file (first difference at %d)", len(got), len(want), firstDiff(got, want))
				}
				if m.Counts.Records != len(want) {
					t.Errorf("got manifest records %d; want %d", m.Counts.Records, len(want))
				}
				if m.DictionaryObject == nil {
					t.Errorf("got an inline dictionary of %d items; want a dictionary object", m.NumItems)
				}
			})
		}
	})
}

func firstDiff(a, b []string) int {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return i
		}
	}
	return min(len(a), len(b))
}

func TestImportFIMIReadBack(t *testing.T) {
	backends(t, func(t *testing.T, store objstore.Bucket) {
		path := testenv.Path(t, "retail-sample.dat")
		src := fileSource(t, path)
		m := importFile(t, store, "fimi", dataset.Options{Spec: dataset.Spec{Format: format.FormatFIMI, Partitions: 3}, SplitSize: 10_000}, src)
		if m.Counts.Records != 2000 {
			t.Errorf("got %d records; want 2000", m.Counts.Records)
		}
		d, err := dataset.Open(context.Background(), store, "fimi", 0)
		if err != nil {
			t.Fatal(err)
		}
		items, err := d.Items(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var got [][]string
		for i, ref := range d.Manifest.Partitions {
			bs, err := d.ReadBaskets(context.Background(), i)
			if err != nil {
				t.Fatal(err)
			}
			if len(bs) != ref.Records {
				t.Errorf("partition %d: got %d baskets; manifest says %d", i, len(bs), ref.Records)
			}
			for _, b := range bs {
				names := []string{}
				for _, it := range b {
					names = append(names, items[it].Name)
				}
				got = append(got, names)
			}
		}
		if g, w := basketKeys(got), basketKeys(rawBaskets(t, path)); !slices.Equal(g, w) {
			t.Fatalf("got %d baskets; want the %d of the raw file (first difference at %d)", len(g), len(w), firstDiff(g, w))
		}
	})
}

// TestSplitsDoNotMatter imports the same files with many split sizes and
// worker counts and expects byte-identical partitions and dictionaries.
func TestSplitsDoNotMatter(t *testing.T) {
	ctx := context.Background()
	files := []struct {
		path func(t *testing.T) string
		spec dataset.Spec
	}{
		{func(t *testing.T) string { return testenv.Path(t, "retail-sample.dat") }, dataset.Spec{Format: format.FormatFIMI, Partitions: 4}},
		{func(t *testing.T) string { return testenv.Path(t, "spmf-example-sequences.txt") }, dataset.Spec{Format: format.FormatSPMF, Partitions: 3}},
		{func(t *testing.T) string { return testenv.Shared(t, "online-retail-part.csv") },
			func() dataset.Spec { s := retailSpec(5); s.SkipBadLines = true; return s }()},
	}
	for _, f := range files {
		path := f.path(t)
		t.Run(path[strings.LastIndex(path, "/")+1:], func(t *testing.T) {
			store := newLocal(t)
			src := fileSource(t, path)
			var ref [][]byte
			var refItems []dataset.Item
			for _, cfg := range []struct {
				split   int64
				workers int
			}{{0, 1}, {7, 4}, {1000, 2}, {77_777, 3}, {1 << 20, 1}, {333_333, 2}} {
				if cfg.split > 0 && cfg.split < size(t, path)/500 {
					continue // thousands of splits: slow and no more telling
				}
				m := importFile(t, store, "d", dataset.Options{Spec: f.spec, SplitSize: cfg.split, Workers: cfg.workers}, src)
				d, err := dataset.Open(ctx, store, "d", m.Version)
				if err != nil {
					t.Fatal(err)
				}
				items, err := d.Items(ctx)
				if err != nil {
					t.Fatal(err)
				}
				var raw [][]byte
				for i := range m.Partitions {
					b, err := d.ReadRaw(ctx, i)
					if err != nil {
						t.Fatal(err)
					}
					raw = append(raw, b)
				}
				if ref == nil {
					ref, refItems = raw, items
					continue
				}
				if !slices.Equal(items, refItems) {
					t.Fatalf("split %d, workers %d: got a different dictionary", cfg.split, cfg.workers)
				}
				for i := range raw {
					if !bytes.Equal(raw[i], ref[i]) {
						t.Fatalf("split %d, workers %d: partition %d differs (%d bytes; want %d)", cfg.split, cfg.workers, i, len(raw[i]), len(ref[i]))
					}
				}
			}
		})
	}
}

func size(t *testing.T, path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Size()
}

func TestBadLines(t *testing.T) {
	path := testenv.Shared(t, "online-retail-part.csv")
	backends(t, func(t *testing.T, store objstore.Bucket) {
		ctx := context.Background()
		src := storeSource(t, store, path)
		_, err := dataset.Import(ctx, store, "bad", []dataset.SourceObject{src}, dataset.Options{Spec: retailSpec(3), SplitSize: 500_000})
		var le *format.LineError
		if !errors.As(err, &le) {
			t.Fatalf("strict import: got error %v; want a *format.LineError", err)
		}
		if le.Line != 39531 || le.Object != src.URL {
			t.Errorf("got error at %s:%d; want %s:39531 (%v)", le.Object, le.Line, src.URL, err)
		}
		if vs, _ := dataset.Versions(ctx, store, "bad"); len(vs) != 0 {
			t.Errorf("got versions %v after a failed import; want none", vs)
		}
		if keys := listAll(t, store, dataset.Root); len(keys) != 0 {
			t.Errorf("got objects %v after a failed import; want none", keys)
		}

		spec := retailSpec(3)
		spec.SkipBadLines = true
		m := importFile(t, store, "bad", dataset.Options{Spec: spec, SplitSize: 500_000}, src)
		seg := m.Segments[0]
		if seg.Quarantine == nil || seg.Counts.Skipped != 1 || seg.Quarantine.Samples != 1 {
			t.Fatalf("got quarantine %+v, skipped %d; want one sampled line", seg.Quarantine, seg.Counts.Skipped)
		}
		q, err := objstore.ReadAll(ctx, store, seg.Quarantine.Key)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf(`{"object":%q,"line":39531,`, src.URL); !strings.HasPrefix(string(q), want) {
			t.Errorf("got quarantine %s; want it to start with %s", q, want)
		}
	})
}
