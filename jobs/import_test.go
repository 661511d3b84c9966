package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/s3"
)

// upload puts a local file into the store under key, decompressed when
// plain is set (so that it can be cut into several splits), as is
// otherwise.
func upload(t testing.TB, store objstore.Bucket, path, key string, plain bool) string {
	t.Helper()
	var data []byte
	var err error
	if plain {
		f, ferr := format.Open(path)
		if ferr != nil {
			t.Fatal(ferr)
		}
		data, err = io.ReadAll(f)
		f.Close()
	} else {
		data, err = os.ReadFile(path)
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Upload(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return key
}

// refImport imports keys of store into dataset name in process, as
// 'quarry dataset import store:KEY' does, with the spec the command would
// build.
func refImport(t testing.TB, store objstore.Bucket, name string, keys []string, spec dataset.Spec, splitSize int64, inline int) *dataset.Manifest {
	t.Helper()
	var srcs []dataset.SourceObject
	for _, k := range keys {
		srcs = append(srcs, dataset.SourceObject{Bucket: store, Key: k, URL: store.String() + "/" + k})
	}
	m, err := dataset.Import(context.Background(), store, name, srcs, dataset.Options{Spec: spec, Workers: 2, SplitSize: splitSize, InlineItems: inline})
	if err != nil {
		t.Fatalf("dataset.Import: %v", err)
	}
	return m
}

// sameVersion checks that got (published by an import job) is the version
// want (published by dataset.Import or Append): every referenced object
// byte for byte, and the manifest's JSON once the fields that must differ
// are aligned: the dataset name (the tests import twice into one store),
// the creation time, and the object keys (objects/<import id>/ against
// objects/job-<job id>/).
func sameVersion(t *testing.T, store objstore.Bucket, got, want *dataset.Manifest) {
	t.Helper()
	ctx := context.Background()
	same := func(what string, g, w *dataset.ObjectRef) {
		t.Helper()
		if (g == nil) != (w == nil) {
			t.Fatalf("%s: got %v; want %v", what, g, w)
		}
		if g == nil {
			return
		}
		gb, err := objstore.ReadAll(ctx, store, g.Key)
		if err != nil {
			t.Fatal(err)
		}
		wb, err := objstore.ReadAll(ctx, store, w.Key)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(gb, wb) {
			t.Errorf("%s: %s has %d bytes; want the %d of %s", what, g.Key, len(gb), len(wb), w.Key)
		}
		if !strings.Contains(g.Key, "/objects/job-") {
			t.Errorf("%s: key %s is not under the job's objects prefix", what, g.Key)
		}
		g.Key = w.Key
	}
	norm := *got
	norm.Partitions = append([]dataset.PartitionRef(nil), got.Partitions...)
	norm.Segments = append([]dataset.Segment(nil), got.Segments...)
	if len(norm.Partitions) != len(want.Partitions) || len(norm.Segments) != len(want.Segments) {
		t.Fatalf("got %d partitions in %d segments; want %d in %d", len(norm.Partitions), len(norm.Segments), len(want.Partitions), len(want.Segments))
	}
	for i := range norm.Partitions {
		same(fmt.Sprintf("partition %d", i), &norm.Partitions[i].ObjectRef, &want.Partitions[i].ObjectRef)
	}
	if got.DictionaryObject != nil {
		d := *got.DictionaryObject
		norm.DictionaryObject = &d
	}
	same("dictionary", norm.DictionaryObject, want.DictionaryObject)
	for i := range norm.Segments {
		if q := norm.Segments[i].Quarantine; q != nil {
			c := *q
			norm.Segments[i].Quarantine = &c
		}
		var g, w *dataset.ObjectRef
		if norm.Segments[i].Quarantine != nil {
			g = &norm.Segments[i].Quarantine.ObjectRef
		}
		if want.Segments[i].Quarantine != nil {
			w = &want.Segments[i].Quarantine.ObjectRef
		}
		same(fmt.Sprintf("quarantine of segment %d", i), g, w)
	}
	norm.Name, norm.Created = want.Name, want.Created
	gj, _ := json.MarshalIndent(norm, "", "  ")
	wj, _ := json.MarshalIndent(want, "", "  ")
	if !bytes.Equal(gj, wj) {
		t.Errorf("manifests differ:\ngot  %s\nwant %s", gj, wj)
	}
}

// importCase is an import job checked against dataset.Import.
type importCase struct {
	name    string
	files   []string // testdata names; "shared:" for shared datasets
	plain   bool     // upload decompressed
	job     ImportSpec
	ref     dataset.Spec
	parts   []int
	sizes   []int64
	inline  int
	workers int
}

var (
	retailRef    = dataset.Spec{Format: format.FormatCSV, Columns: format.DefaultColumns(), CancelPrefix: format.DefaultCancelPrefix}
	groceriesRef = dataset.Spec{Format: format.FormatCSV, Columns: groceryCols, CancelPrefix: format.DefaultCancelPrefix}
	groceriesJob = dataset.Columns(groceryCols)
	skipRef      = dataset.Spec{Format: format.FormatCSV, Columns: format.DefaultColumns(), CancelPrefix: format.DefaultCancelPrefix, SkipBadLines: true}
	fimiRef      = dataset.Spec{Format: format.FormatFIMI}
	spmfRef      = dataset.Spec{Format: format.FormatSPMF}
	// The two CDNOW shapes (docs/datasets.md): the job names the same
	// columns as the command's flags; dates are detected as yyyymmdd.
	cdnowMasterJob = dataset.Columns{Customer: "customer_id", Time: "date", Amount: "dollar_value"}
	cdnowSampleJob = dataset.Columns{Customer: "1", Time: "3", Amount: "5"}
	cdnowMasterRef = dataset.Spec{Format: format.FormatSSV, Columns: format.Columns(cdnowMasterJob), CancelPrefix: format.DefaultCancelPrefix}
	cdnowSampleRef = dataset.Spec{Format: format.FormatSSV, Columns: format.Columns(cdnowSampleJob), NoHeader: true, CancelPrefix: format.DefaultCancelPrefix}
)

// importTexts are small inputs written by the test ("text:" files): the
// first lines of the two CDNOW files, as they come (CRLF, runs of
// blanks), a customer with two lines on one day, and a return.
var importTexts = map[string]string{
	"master.txt": " customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n" +
		" 00002 19970112  5   77.00\r\n 00003 19970102  2   20.76\r\n 00003 19970330  2   -20.76\r\n 00004 19970101  2   29.33\r\n",
	"sample.txt": " 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n 00004 0001 19970118  1   14.96\r\n" +
		" 00021 0002 19970101  3   63.34\r\n 00021 0002 19970113  1   11.77\r\n 00050 0003 19970101  1   -6.79\r\n",
}

var importCases = []importCase{
	{name: "online-retail-sample/gzip", files: []string{"online-retail-sample.csv.gz"}, ref: retailRef, parts: []int{1, 4, 16}, sizes: []int64{0}},
	{name: "online-retail-sample/plain", files: []string{"online-retail-sample.csv.gz"}, plain: true, ref: retailRef, parts: []int{1, 4, 16}, sizes: []int64{60_000, 400_000}, inline: 5000},
	{name: "online-retail-sample/two-sources", files: []string{"online-retail-sample.csv.gz", "online-retail-sample.csv.gz"}, plain: true, ref: retailRef, parts: []int{4}, sizes: []int64{250_000}},
	{name: "groceries-sample", files: []string{"groceries-sample.csv.gz"}, job: ImportSpec{Columns: &groceriesJob}, ref: groceriesRef, parts: []int{4}, sizes: []int64{0}},
	{name: "retail-sample.dat", files: []string{"retail-sample.dat"}, ref: fimiRef, parts: []int{1, 4, 16}, sizes: []int64{0, 9_000}},
	{name: "spmf-example", files: []string{"spmf-example-sequences.txt"}, ref: spmfRef, parts: []int{1, 4, 16}, sizes: []int64{0, 30}},
	{name: "cdnow-like/master", files: []string{"text:master.txt"}, job: ImportSpec{Format: "ssv", Columns: &cdnowMasterJob}, ref: cdnowMasterRef, parts: []int{1, 4}, sizes: []int64{0, 90}},
	{name: "cdnow-like/sample", files: []string{"text:sample.txt"}, job: ImportSpec{Format: "ssv", NoHeader: true, Columns: &cdnowSampleJob}, ref: cdnowSampleRef, parts: []int{1, 4}, sizes: []int64{0, 90}},
	{name: "shared/cdnow-master", files: []string{"shared:CDNOW_master.txt"}, job: ImportSpec{Format: "ssv", Columns: &cdnowMasterJob, TimeLayout: "20060102"}, ref: cdnowMasterRef, parts: []int{4}, sizes: []int64{500_000}},
	{name: "shared/cdnow-sample", files: []string{"shared:CDNOW_sample.txt"}, job: ImportSpec{Format: "ssv", NoHeader: true, Columns: &cdnowSampleJob, TimeLayout: "20060102"}, ref: cdnowSampleRef, parts: []int{4}, sizes: []int64{60_000}},
	{name: "shared/online-retail-part", files: []string{"shared:online-retail-part.csv"}, job: ImportSpec{SkipBadLines: true}, ref: skipRef, parts: []int{1, 4, 16}, sizes: []int64{1 << 20, 300_000}, workers: 2},
}

// TestImportMatchesDatasetImport runs import jobs for 1, 4 and 16
// partitions and several split sizes (every task failed once or
// duplicated in some runs) and checks that each publishes the version
// dataset.Import publishes from the same objects: the same partition,
// dictionary and quarantine bytes, and the same manifest but for its
// creation time and object keys.
func TestImportMatchesDatasetImport(t *testing.T) {
	ctx := context.Background()
	for _, c := range importCases {
		t.Run(c.name, func(t *testing.T) {
			store := newStore(t)
			var keys []string
			for i, f := range c.files {
				path := ""
				if name, ok := strings.CutPrefix(f, "shared:"); ok {
					path = testenv.Shared(t, name)
				} else if name, ok := strings.CutPrefix(f, "text:"); ok {
					path = filepath.Join(t.TempDir(), name)
					if err := os.WriteFile(path, []byte(importTexts[name]), 0o644); err != nil {
						t.Fatal(err)
					}
				} else {
					path = testenv.Path(t, f)
				}
				base := filepath.Base(path)
				if c.plain {
					base = strings.TrimSuffix(base, ".gz")
				}
				keys = append(keys, upload(t, store, path, fmt.Sprintf("raw/%d/%s", i, base), c.plain))
			}
			parts := c.parts
			if raceEnabled && strings.HasPrefix(c.name, "shared/") {
				parts = []int{4} // the plain test runs 1, 4 and 16
			}
			n := 0
			for _, p := range parts {
				for _, size := range c.sizes {
					n++
					t.Run(fmt.Sprintf("P%d/split%d", p, size), func(t *testing.T) {
						ref := c.ref
						ref.Partitions = p
						name := fmt.Sprintf("d%d", n)
						want := refImport(t, store, "ref-"+name, keys, ref, size, c.inline)
						is := c.job
						is.Sources, is.Partitions, is.SplitSize, is.InlineItems = keys, p, size, c.inline
						opt := LocalOptions{JobID: "imp-" + name, Workers: max(c.workers, 3)}
						if n%2 == 0 {
							opt.Faults = func(stage string, task int) Fault { return Fault(1 + (task+len(stage))%2) }
						}
						res, err := RunLocal(ctx, store, Spec{Type: TypeImport, Dataset: name, Import: &is}, opt)
						if err != nil {
							t.Fatal(err)
						}
						if res.Dataset == nil || res.Dataset.Version != 1 {
							t.Fatalf("got dataset %+v; want version 1", res.Dataset)
						}
						if k := res.Stages[len(res.Stages)-1].Results[0].Key; k != dataset.ManifestKey(name, 1) {
							t.Errorf("result key %s; want %s", k, dataset.ManifestKey(name, 1))
						}
						sameVersion(t, store, res.Dataset, want)
						if got := len(res.Stages[0].Stage.Tasks); got != len(importSplits(res.Job.Spec.Import)) || (size > 0 && !strings.HasSuffix(keys[0], ".gz") && got < 2) {
							t.Errorf("%d parse tasks for split size %d", got, size)
						}
						left, _ := objstore.List(ctx, store, JobPrefix(opt.JobID))
						if len(left) != 1 || left[0] != ResultPrefix(opt.JobID)+importMarkerName {
							t.Errorf("after the job: %v; want only the import marker", left)
						}
					})
				}
			}
		})
	}
}

// TestImportOverMinIO runs an import job with every task duplicated
// against a real MinIO server (create-only writes are If-None-Match: *
// there) and compares it with dataset.Import in the same bucket.
func TestImportOverMinIO(t *testing.T) {
	srv := miniotest.Start(t)
	cfg := s3.DefaultConfig()
	cfg.Endpoint, cfg.Bucket = srv.URL(), srv.Bucket
	cfg.AccessKey, cfg.SecretKey = srv.AccessKey, s3.Secret(srv.SecretKey)
	ctx := context.Background()
	store, err := s3.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	key := upload(t, store, testenv.Path(t, "online-retail-sample.csv.gz"), "raw/r.csv", true)
	ref := retailRef
	ref.Partitions = 4
	want := refImport(t, store, "ref", []string{key}, ref, 300_000, 0)
	res, err := RunLocal(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{key}, SplitSize: 300_000}},
		LocalOptions{Workers: 3, Faults: func(string, int) Fault { return FaultDuplicate }})
	if err != nil {
		t.Fatal(err)
	}
	sameVersion(t, store, res.Dataset, want)
}
