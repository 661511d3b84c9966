package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/quarrydata/quarry/storage/format"
)

// TestSegmentsEmptyBuckets runs a segments job over 5 customers in 16
// buckets, most of them empty, against the single-process result.
func TestSegmentsEmptyBuckets(t *testing.T) {
	csv := `InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
1,A,a,2,01/12/2010 08:26,2.5,100,UK
2,B,b,1,02/12/2010 09:00,10,101,UK
3,A,a,5,03/12/2010 10:00,2.5,102,UK
C4,A,a,-1,04/12/2010 10:00,2.5,102,UK
5,C,c,3,05/12/2010 11:00,1,103,UK
6,C,c,30,06/12/2010 11:00,1,104,UK
7,B,b,1,07/12/2010 12:00,10,100,UK
`
	path := filepath.Join(t.TempDir(), "tiny.csv")
	if err := os.WriteFile(path, []byte(csv), 0o644); err != nil {
		t.Fatal(err)
	}
	in := input{path: path, ff: format.FormatCSV, cols: retailCols}
	for _, spec := range []SegmentsSpec{{K: 2}, {K: 3, Tol: f64(0)}, {K: 5}} {
		wantSeg, _, want := refSegments(t, in, &spec)
		store := newStore(t)
		importInput(t, store, "tiny", in, 16)
		res, err := RunLocal(context.Background(), store, Spec{Type: TypeSegments, Dataset: "tiny", Segments: &spec}, LocalOptions{Workers: 3})
		if err != nil {
			t.Fatal(err)
		}
		var km KMeansJSON
		if err := json.Unmarshal(readResult(t, store, res.Manifest, "kmeans.json"), &km); err != nil {
			t.Fatal(err)
		}
		if !sameBits(km.Centroids.Data, want.Centroids.Data) {
			t.Errorf("k %d: centroids got %v; want %v", spec.K, km.Centroids.Data, want.Centroids.Data)
		}
		if got := readResult(t, store, res.Manifest, "segments.json"); !bytes.Equal(got, wantSeg) {
			t.Errorf("k %d: segments.json got %s; want %s", spec.K, got, wantSeg)
		}
	}
	// More segments than customers: a clear error.
	store := newStore(t)
	importInput(t, store, "tiny", in, 4)
	if _, err := RunLocal(context.Background(), store, Spec{Type: TypeSegments, Dataset: "tiny", Segments: &SegmentsSpec{K: 6}}, LocalOptions{}); err == nil {
		t.Error("k 6 over 5 customers: got no error")
	}
}
