package split_test

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
	"github.com/quarrydata/quarry/storage/objstore/s3"
	"github.com/quarrydata/quarry/storage/split"
)

// datasets are the shared files with the shapes that matter here: a
// truncated last record, a leading empty line, no final newline.
var datasets = []string{"online-retail-part.csv", "retail-part.dat", "spmf-example-sequences.txt", "mushroom.dat"}

// checkBucket uploads data to b and compares every split's records with
// the oracle for each target.
func checkBucket(t *testing.T, b objstore.Bucket, name string, data []byte, targets []int64) {
	t.Helper()
	ctx := context.Background()
	if err := b.Upload(ctx, name, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	want := oracle(data)
	for _, target := range targets {
		splits, err := split.PlanObject(ctx, b, name, target)
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, b, name, splits); !slices.Equal(got, want) {
			t.Fatalf("%s target %d (%d splits): got %d records; want %d", name, target, len(splits), len(got), len(want))
		}
	}
}

func TestSharedDatasetsLocal(t *testing.T) {
	dir := testenv.SharedDatasets(t)
	b, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	r := rand.New(rand.NewPCG(7, 8))
	for _, name := range datasets {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Skipf("dataset %s: %v", name, err)
			}
			n := int64(len(data))
			var targets []int64
			if n < 1000 {
				for i := int64(1); i <= n+1; i++ {
					targets = append(targets, i)
				}
			} else {
				targets = []int64{1000, 4096, 65536, 1 << 20, n - 1, n, n + 1}
				for range 3 {
					targets = append(targets, 1000+r.Int64N(n))
				}
			}
			checkBucket(t, b, name, data, targets)
		})
	}
	// The retail CSV header comes back for the parsers of later splits.
	h, err := split.Header(context.Background(), b, "online-retail-part.csv")
	if err != nil || string(h) != "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country" {
		t.Errorf("Header: got %q, %v", h, err)
	}
}

func TestSplitsOverMinIO(t *testing.T) {
	path := testenv.Shared(t, "online-retail-part.csv")
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	srv := miniotest.Start(t)
	cfg := s3.DefaultConfig()
	cfg.Endpoint, cfg.Bucket = srv.URL(), srv.Bucket
	cfg.AccessKey, cfg.SecretKey = srv.AccessKey, s3.Secret(srv.SecretKey)
	b, err := s3.New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	checkBucket(t, b, "retail.csv", data, []int64{100_000, 1 << 20, int64(len(data))})
}
