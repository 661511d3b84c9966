package dataset_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/split"
)

// plainSource uploads the decompressed content of a local file (gzip or
// not) under key, so that it can be cut into several splits.
func plainSource(t testing.TB, store objstore.Bucket, path, key string) dataset.SourceObject {
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
	if err := store.Upload(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return dataset.SourceObject{Bucket: store, Key: key, URL: store.String() + "/" + key}
}

// shuffleImport runs the distributed pieces in sequence: ParseSplit and
// EncodeShuffle per split, MergeShuffled, EncodePlan, then BuildShuffled
// per bucket. It returns the plan and every bucket's encoded partition.
func shuffleImport(t *testing.T, store objstore.Bucket, srcs []dataset.SourceObject, spec dataset.Spec, splitSize int64) (*dataset.Merged, [][]byte) {
	t.Helper()
	ctx := context.Background()
	var err error
	if spec.TimeLayout, err = dataset.SourcesTimeLayout(ctx, srcs, spec); err != nil {
		t.Fatal(err)
	}
	var shuffled []dataset.ShuffledSplit
	var keys []string
	for i, src := range srcs {
		splits, err := split.PlanObject(ctx, src.Bucket, src.Key, splitSize)
		if err != nil {
			t.Fatal(err)
		}
		var header []byte
		if spec.Kind() == dataset.KindLog && len(splits) > 1 {
			if header, err = split.Header(ctx, src.Bucket, src.Key); err != nil {
				t.Fatal(err)
			}
		}
		for _, s := range splits {
			sr, err := dataset.ParseSplit(ctx, src.Bucket, src.Key, src.URL, s, header, spec)
			if err != nil {
				t.Fatal(err)
			}
			key := fmt.Sprintf("shuffle/%d/%d.bin", i, s.Index)
			if err := store.Upload(ctx, key, bytes.NewReader(sr.EncodeShuffle(spec.Partitions))); err != nil {
				t.Fatal(err)
			}
			shuffled = append(shuffled, dataset.ShuffledSplit{Key: key, Source: i, URL: src.URL})
			keys = append(keys, key)
		}
	}
	merged, err := dataset.MergeShuffled(ctx, store, shuffled, nil, nil, spec)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Upload(ctx, "shuffle/plan.bin", bytes.NewReader(merged.EncodePlan())); err != nil {
		t.Fatal(err)
	}
	plan, err := dataset.ReadBuildPlan(ctx, store, "shuffle/plan.bin", spec)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := dataset.ReadPublishPlan(ctx, store, "shuffle/plan.bin", spec)
	if err != nil {
		t.Fatal(err)
	}
	parts := make([][]byte, spec.Partitions)
	for b := range parts {
		p, err := plan.BuildShuffled(ctx, store, keys, b)
		if err != nil {
			t.Fatal(err)
		}
		parts[b] = dataset.Encode(p)
	}
	return pub, parts
}

// TestShuffleBuildsIdenticalPartitions checks that the distributed pieces
// build every partition byte for byte as Merge and Build do in process,
// with the same dictionary, counts, time range and bad-line samples, for
// several split sizes and partition counts.
func TestShuffleBuildsIdenticalPartitions(t *testing.T) {
	type input struct {
		name  string
		path  func(t *testing.T) string
		spec  dataset.Spec
		sizes []int64
	}
	groceries := dataset.Spec{Format: format.FormatCSV, Columns: format.Columns{Customer: "Member_number", Time: "Date", Item: "itemDescription"}}
	withSkip := retailSpec(0)
	withSkip.SkipBadLines, withSkip.MaxSamples = true, 3
	inputs := []input{
		{"online-retail-sample", func(t *testing.T) string { return testenv.Path(t, "online-retail-sample.csv.gz") }, retailSpec(0), []int64{0, 100_000, 333_333}},
		{"retail-sample.dat", func(t *testing.T) string { return testenv.Path(t, "retail-sample.dat") }, dataset.Spec{Format: format.FormatFIMI}, []int64{0, 7_000, 30_001}},
		{"spmf-example", func(t *testing.T) string { return testenv.Path(t, "spmf-example-sequences.txt") }, dataset.Spec{Format: format.FormatSPMF}, []int64{0, 20, 50}},
		{"groceries-sample", func(t *testing.T) string { return testenv.Path(t, "groceries-sample.csv.gz") }, groceries, []int64{50_000}},
		{"shared/online-retail-part", func(t *testing.T) string { return testenv.Shared(t, "online-retail-part.csv") }, withSkip, []int64{500_000}},
	}
	for _, in := range inputs {
		t.Run(in.name, func(t *testing.T) {
			path := in.path(t)
			store := newLocal(t)
			srcs := []dataset.SourceObject{plainSource(t, store, path, "raw/a"), plainSource(t, store, path, "raw/b")}
			for _, p := range []int{1, 4, 16} {
				for _, size := range in.sizes {
					t.Run(fmt.Sprintf("P%d/split%d", p, size), func(t *testing.T) {
						spec := in.spec
						spec.Partitions = p
						splits, _, used, err := dataset.ParseSources(context.Background(), srcs, dataset.Options{Spec: spec, SplitSize: size, Workers: 2})
						if err != nil {
							t.Fatal(err)
						}
						want := dataset.Merge(splits, nil, nil, used)
						got, parts := shuffleImport(t, store, srcs, spec, size)
						for b := range p {
							if w := dataset.Encode(want.Build(b)); !bytes.Equal(parts[b], w) {
								t.Errorf("bucket %d: got %d bytes; want %d", b, len(parts[b]), len(w))
							}
						}
						if !reflect.DeepEqual(got.Items, want.Items) || !reflect.DeepEqual(got.Categories, want.Categories) {
							t.Errorf("got %d items, %d categories; want %d, %d", len(got.Items), len(got.Categories), len(want.Items), len(want.Categories))
						}
						if got.Counts != want.Counts || !reflect.DeepEqual(got.TimeRange, want.TimeRange) {
							t.Errorf("got counts %+v, range %v; want %+v, %v", got.Counts, got.TimeRange, want.Counts, want.TimeRange)
						}
						if gs, ws := fmt.Sprint(got.Samples()), fmt.Sprint(want.Samples()); gs != ws {
							t.Errorf("got samples %s; want %s", gs, ws)
						}
					})
				}
			}
		})
	}
}

// TestShuffleCorrupt flips a byte of a split object's section and of its
// index: reading fails with ErrCorrupt naming the object.
func TestShuffleCorrupt(t *testing.T) {
	ctx := context.Background()
	store := newLocal(t)
	src := plainSource(t, store, testenv.Path(t, "retail-sample.dat"), "raw.dat")
	spec := dataset.Spec{Format: format.FormatFIMI, Partitions: 3}
	splits, err := split.PlanObject(ctx, store, src.Key, 0)
	if err != nil {
		t.Fatal(err)
	}
	sr, err := dataset.ParseSplit(ctx, store, src.Key, src.URL, splits[0], nil, spec)
	if err != nil {
		t.Fatal(err)
	}
	good := sr.EncodeShuffle(3)
	for _, at := range []int{5, 20, len(good) / 2, len(good) - 1} {
		bad := bytes.Clone(good)
		bad[at] ^= 0x40
		if err := store.Upload(ctx, "s.bin", bytes.NewReader(bad)); err != nil {
			t.Fatal(err)
		}
		m, err := dataset.MergeShuffled(ctx, store, []dataset.ShuffledSplit{{Key: "s.bin", URL: src.URL}}, nil, nil, spec)
		if err == nil {
			_, err = m.BuildShuffled(ctx, store, []string{"s.bin"}, 1)
			if err == nil {
				_, err = m.BuildShuffled(ctx, store, []string{"s.bin"}, 2)
			}
		}
		if !errors.Is(err, dataset.ErrCorrupt) || !strings.Contains(err.Error(), "s.bin") {
			t.Errorf("byte %d flipped: got %v; want ErrCorrupt naming s.bin", at, err)
		}
	}
}

// TestPublishOnce publishes the same manifest from several attempts at
// once (one version results, every attempt returns it), then a second
// import (the next version), then checks an append's conflict, on both
// backends.
func TestPublishOnce(t *testing.T) {
	backends(t, func(t *testing.T, store objstore.Bucket) {
		ctx := context.Background()
		ref, err := dataset.WriteOnce(ctx, store, "datasets/d/objects/job-1/part-000-00000.qp", []byte("partition"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := dataset.WriteOnce(ctx, store, ref.Key, []byte("partition")); err != nil {
			t.Errorf("same bytes again: got %v; want success", err)
		}
		if _, err := dataset.WriteOnce(ctx, store, ref.Key, []byte("other")); !errors.Is(err, objstore.ErrExists) {
			t.Errorf("other bytes: got %v; want ErrExists", err)
		}
		manifest := func(prefix string) *dataset.Manifest {
			return &dataset.Manifest{Format: dataset.ManifestFormat, Name: "d", Kind: dataset.KindBaskets, Created: time.Unix(0, 0).UTC(),
				Partitioning: dataset.Partitioning{Partitions: 1}, Segments: []dataset.Segment{{}},
				Partitions: []dataset.PartitionRef{{ObjectRef: dataset.ObjectRef{Key: prefix + "part-000-00000.qp"}}}}
		}
		var wg sync.WaitGroup
		versions := make([]int, 4)
		errs := make([]error, 4)
		for i := range versions {
			wg.Go(func() {
				m, err := dataset.PublishOnce(ctx, store, manifest("datasets/d/objects/job-1/"), nil, 0)
				if err == nil {
					versions[i] = m.Version
				}
				errs[i] = err
			})
		}
		wg.Wait()
		for i := range versions {
			if errs[i] != nil || versions[i] != 1 {
				t.Errorf("attempt %d: got v%d, %v; want v1", i, versions[i], errs[i])
			}
		}
		m2, err := dataset.PublishOnce(ctx, store, manifest("datasets/d/objects/job-2/"), nil, 1)
		if err != nil || m2.Version != 2 {
			t.Fatalf("second import: got %v, %v; want v2", m2, err)
		}
		base, err := dataset.LoadManifest(ctx, store, "d", 1)
		if err != nil {
			t.Fatal(err)
		}
		app := manifest("datasets/d/objects/job-3/")
		if _, err := dataset.PublishOnce(ctx, store, app, base, 2); !errors.Is(err, dataset.ErrConflict) {
			t.Errorf("append to v1 after v2: got %v; want ErrConflict", err)
		}
		if vs, _ := dataset.Versions(ctx, store, "d"); len(vs) != 2 {
			t.Errorf("got versions %v; want [1 2]", vs)
		}
		// What no version references goes; what one does stays.
		if _, err := dataset.WriteOnce(ctx, store, "datasets/d/objects/job-1/extra", []byte("x")); err != nil {
			t.Fatal(err)
		}
		gone, err := dataset.CollectUnpublished(ctx, store, "d", "datasets/d/objects/job-1/", nil)
		if err != nil || len(gone) != 1 || gone[0] != "datasets/d/objects/job-1/extra" {
			t.Errorf("CollectUnpublished: got %v, %v; want only the extra object", gone, err)
		}
	})
}

// TestSourcesTimeLayout checks the layout a spec without one gets: that
// of the first source with a time, RFC 3339 when none has one.
func TestSourcesTimeLayout(t *testing.T) {
	ctx := context.Background()
	store := newLocal(t)
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.csv")
	if err := os.WriteFile(empty, []byte("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srcs := []dataset.SourceObject{plainSource(t, store, empty, "e.csv"), plainSource(t, store, testenv.Path(t, "online-retail-sample.csv.gz"), "r.csv")}
	spec := retailSpec(2)
	for _, c := range []struct {
		srcs []dataset.SourceObject
		want string
	}{{srcs, "2/1/2006 15:04"}, {srcs[:1], time.RFC3339}} {
		got, err := dataset.SourcesTimeLayout(ctx, c.srcs, spec)
		if err != nil || got != c.want {
			t.Errorf("got %q, %v; want %q", got, err, c.want)
		}
	}
}

// FuzzShuffleDecode feeds the shuffle decoders arbitrary bytes, seeded
// with the sections of real split objects: they fail or succeed, never
// panic or allocate beyond the input.
func FuzzShuffleDecode(f *testing.F) {
	ctx := context.Background()
	store := newLocal(f)
	for _, c := range []struct {
		file string
		spec dataset.Spec
	}{
		{"online-retail-sample.csv.gz", retailSpec(3)},
		{"retail-sample.dat", dataset.Spec{Format: format.FormatFIMI, Partitions: 3}},
		{"spmf-example-sequences.txt", dataset.Spec{Format: format.FormatSPMF, Partitions: 3}},
	} {
		src := plainSource(f, store, testenv.Path(f, c.file), strings.TrimSuffix(c.file, ".gz"))
		spec := c.spec
		var err error
		if spec.TimeLayout, err = dataset.SourcesTimeLayout(ctx, []dataset.SourceObject{src}, spec); err != nil {
			f.Fatal(err)
		}
		s := split.Split{End: 20_000, Size: 30_000}
		if a, err := store.Attributes(ctx, src.Key); err == nil {
			s.End, s.Size = min(a.Size, 20_000), a.Size
		}
		sr, err := dataset.ParseSplit(ctx, store, src.Key, src.URL, s, nil, spec)
		if err != nil {
			f.Fatal(err)
		}
		for i, sec := range dataset.ShuffleSections(sr.EncodeShuffle(3)) {
			f.Add(sec, uint8(i), string(spec.Kind()))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8, kind string) {
		if which == 0 {
			dataset.DecodeShuffleHead(data)
			return
		}
		dataset.DecodeShuffleSection(data, dataset.Kind(kind))
	})
}
