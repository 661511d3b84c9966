package split_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/quarrydata/quarry/storage/split"
)

// gzipBomb returns head followed by copies gzip members, each inflating
// to 16 MiB of row repeated: copies × 16 MiB out of about copies × 57 KB
// for a typical CSV row.
func gzipBomb(t testing.TB, head, row string, copies int) []byte {
	t.Helper()
	var member bytes.Buffer
	zw, err := gzip.NewWriterLevel(&member, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	zw.Write(bytes.Repeat([]byte(row), (16<<20)/len(row)))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw = gzip.NewWriter(&out)
	zw.Write([]byte(head))
	zw.Close()
	for range copies {
		out.Write(member.Bytes())
	}
	return out.Bytes()
}

// countRecords reads every record of the single gzip split of key with
// ratio as the limit (0: the default) and returns their count and bytes.
func countRecords(t *testing.T, src split.Source, key string, ratio int) (n int, size int64, err error) {
	t.Helper()
	splits, err := split.PlanObject(context.Background(), src, key, 0)
	if err != nil {
		t.Fatal(err)
	}
	lr := split.NewLineReader(context.Background(), src, key, splits[0])
	if ratio != 0 {
		lr.SetMaxGzipRatio(ratio)
	}
	defer lr.Close()
	for lr.Next() {
		n++
		size += int64(len(lr.Line())) + 1
	}
	return n, size, lr.Err()
}

// TestGzipBombRefused checks that a gzip object inflating about 300 times
// (4 GiB out of 14 MB) is refused after a few tens of megabytes, while the
// same data passes with the check off and a genuine log passes with it on.
func TestGzipBombRefused(t *testing.T) {
	row := "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,01/12/2010 08:26,2.55,17850,United Kingdom\n"
	bomb := gzipBomb(t, "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n", row, 256)
	small := gzipBomb(t, "", row, 2) // 32 MiB: over the 16 MiB floor, so refused as well
	var genuine bytes.Buffer
	zw := gzip.NewWriter(&genuine)
	r := rand.New(rand.NewPCG(1, 2))
	for range 400_000 { // about 20 MB, compressing about 6 times like real logs
		fmt.Fprintf(zw, "%d,%d,ITEM %d,%d,01/12/2010 08:%02d,%d.%02d,%d,United Kingdom\n",
			536365+r.IntN(20000), 20000+r.IntN(4000), r.IntN(4000), 1+r.IntN(24), r.IntN(60), r.IntN(20), r.IntN(100), 12000+r.IntN(5000))
	}
	zw.Close()
	src := &memSource{objects: map[string][]byte{"bomb.csv.gz": bomb, "small.csv.gz": small, "genuine.csv.gz": genuine.Bytes()}}

	tests := []struct {
		key     string
		ratio   int
		refused bool
	}{
		{"bomb.csv.gz", 0, true},
		{"small.csv.gz", 0, true},
		{"small.csv.gz", 1000, false},
		{"small.csv.gz", -1, false},
		{"genuine.csv.gz", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			n, size, err := countRecords(t, src, tt.key, tt.ratio)
			t.Logf("%d records, %d bytes, %v", n, size, err)
			if got := errors.Is(err, split.ErrInflateLimit); got != tt.refused {
				t.Fatalf("ratio %d: got error %v; want refused %v", tt.ratio, err, tt.refused)
			}
			if tt.refused && size > 64<<20 {
				t.Errorf("refused after %d bytes; want within 64 MiB", size)
			}
			if !tt.refused && err != nil {
				t.Errorf("got error %v; want none", err)
			}
		})
	}
}
