package dataset_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/storage/objstore/s3"
)

// newLocal returns an empty local bucket.
func newLocal(t testing.TB) objstore.Bucket {
	t.Helper()
	b, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// minioConfig returns a config for srv with fast retries.
func minioConfig(srv *miniotest.Server, prefix string) s3.Config {
	c := s3.DefaultConfig()
	c.Endpoint = srv.URL()
	c.AccessKey = srv.AccessKey
	c.SecretKey = s3.Secret(srv.SecretKey)
	c.Bucket = srv.Bucket
	c.Prefix = prefix
	c.Retry = objstore.RetryPolicy{MaxAttempts: 3, Initial: 10 * time.Millisecond, Max: 50 * time.Millisecond}
	return c
}

func newMinio(t testing.TB, srv *miniotest.Server, prefix string) objstore.Bucket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := s3.New(ctx, minioConfig(srv, prefix))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// backends runs f against a local bucket and a bucket on a real MinIO
// server (one server for all the subtests of t).
func backends(t *testing.T, f func(t *testing.T, store objstore.Bucket)) {
	t.Run("local", func(t *testing.T) { f(t, newLocal(t)) })
	t.Run("minio", func(t *testing.T) {
		srv := sharedMinio(t)
		f(t, newMinio(t, srv, fmt.Sprintf("%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())))
	})
}

var (
	minioMu  sync.Mutex
	minioSrv = map[string]*miniotest.Server{}
)

// sharedMinio starts one MinIO server per top-level test.
func sharedMinio(t *testing.T) *miniotest.Server {
	top := strings.SplitN(t.Name(), "/", 2)[0]
	minioMu.Lock()
	defer minioMu.Unlock()
	if s, ok := minioSrv[top]; ok {
		return s
	}
	s := miniotest.Start(t)
	minioSrv[top] = s
	t.Cleanup(func() {
		minioMu.Lock()
		delete(minioSrv, top)
		minioMu.Unlock()
	})
	return s
}

// fileSource returns a source object for a local file.
func fileSource(t testing.TB, path string) dataset.SourceObject {
	t.Helper()
	b, err := local.New(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return dataset.SourceObject{Bucket: b, Key: filepath.Base(path), URL: path}
}

// storeSource uploads a local file into store under raw/ and returns it as
// a source object.
func storeSource(t testing.TB, store objstore.Bucket, path string) dataset.SourceObject {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	key := "raw/" + filepath.Base(path)
	if err := store.Upload(context.Background(), key, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	return dataset.SourceObject{Bucket: store, Key: key, URL: "store:" + key}
}

// retailSpec is the spec of the Online Retail logs.
func retailSpec(p int) dataset.Spec {
	return dataset.Spec{Format: format.FormatCSV, Columns: format.DefaultColumns(), CancelPrefix: "C", Partitions: p}
}

// importFile imports srcs and fails the test on error.
func importFile(t testing.TB, store objstore.Bucket, name string, opt dataset.Options, srcs ...dataset.SourceObject) *dataset.Manifest {
	t.Helper()
	m, err := dataset.Import(context.Background(), store, name, srcs, opt)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	return m
}

// rowKey is one log row as the oracle and the read-back see it.
func rowKey(customer, order, item string, t int64, qty, price float64, cat string) string {
	return fmt.Sprintf("%s|%s|%s|%d|%g|%g|%s", customer, order, item, t, qty, price, cat)
}

// rawRows parses a CSV log directly and returns its rows as sorted keys.
func rawRows(t testing.TB, path string, cols format.Columns, skip bool) []string {
	t.Helper()
	f, err := format.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _, err := format.ReadCSVLog(f, cols, format.LogOptions{Options: format.Options{SkipBadLines: skip}})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range rows {
		var tm int64
		if cols.Time != "" {
			tm = r.Time.UnixNano()
		}
		keys = append(keys, rowKey(r.Customer, r.Order, r.Item, tm, r.Quantity, r.Price, r.Category))
	}
	slices.Sort(keys)
	return keys
}

// readAll reads every partition of a dataset version whole.
func readAll(t testing.TB, store objstore.Bucket, name string, version int) (*dataset.Dataset, []*dataset.Partition) {
	t.Helper()
	ctx := context.Background()
	d, err := dataset.Open(ctx, store, name, version)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	var parts []*dataset.Partition
	for i := range d.Manifest.Partitions {
		p, err := d.ReadPartition(ctx, i)
		if err != nil {
			t.Fatalf("ReadPartition %d: %v", i, err)
		}
		parts = append(parts, p)
	}
	return d, parts
}

// partitionRows returns the rows of a log dataset as sorted keys, checking
// on the way that every customer is in one partition of a segment, that
// it is in the bucket its id hashes to, and that orders are sorted by time.
func partitionRows(t testing.TB, d *dataset.Dataset, parts []*dataset.Partition) []string {
	t.Helper()
	items, err := d.Items(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	cats := d.Manifest.Categories
	P := d.Manifest.Partitioning.Partitions
	seen := map[string]int{} // "segment/customer" → partition
	var keys []string
	for i, p := range parts {
		ref := d.Manifest.Partitions[i]
		for _, c := range p.Customers {
			if c.ID != "" {
				k := fmt.Sprintf("%d/%s", ref.Segment, c.ID)
				if j, dup := seen[k]; dup {
					t.Fatalf("customer %q in partitions %d and %d", c.ID, j, i)
				}
				seen[k] = i
				if got := dataset.CustomerBucket(c.ID, P); got != ref.Index {
					t.Fatalf("customer %q in bucket %d; want %d", c.ID, ref.Index, got)
				}
			}
			for j, o := range c.Orders {
				if j > 0 && o.Time < c.Orders[j-1].Time {
					t.Fatalf("customer %q: order %s at %d before order %s at %d", c.ID, o.ID, o.Time, c.Orders[j-1].ID, c.Orders[j-1].Time)
				}
				for _, l := range o.Lines {
					cat := ""
					if l.Category >= 0 {
						cat = cats[l.Category]
					}
					keys = append(keys, rowKey(c.ID, o.ID, items[l.Item].Name, l.Time, l.Quantity, l.Price, cat))
				}
			}
		}
	}
	slices.Sort(keys)
	return keys
}

// basketKeys renders baskets of item names as sorted strings.
func basketKeys(baskets [][]string) []string {
	var keys []string
	for _, b := range baskets {
		s := slices.Clone(b)
		slices.Sort(s)
		keys = append(keys, strings.Join(s, " "))
	}
	slices.Sort(keys)
	return keys
}

// rawBaskets reads a FIMI file directly.
func rawBaskets(t testing.TB, path string) [][]string {
	t.Helper()
	f, err := format.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	txs, _, err := format.ReadFIMI(f, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := make([][]string, len(txs))
	for i, tx := range txs {
		out[i] = []string{}
		for _, it := range tx {
			out[i] = append(out[i], fmt.Sprint(it))
		}
	}
	return out
}

// listAll returns every key in store.
func listAll(t testing.TB, store objstore.Bucket, prefix string) []string {
	t.Helper()
	keys, err := objstore.List(context.Background(), store, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return keys
}
