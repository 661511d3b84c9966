package jobs

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/storage/split"
)

// TestImportGzipRatio imports a valid but extremely compressible gzip log
// (17 MiB of one repeated row, about 1000× smaller compressed): the default
// max_gzip_ratio refuses it as a possible bomb, max_gzip_ratio 0 imports
// it, and a negative value is an invalid spec.
func TestImportGzipRatio(t *testing.T) {
	if testing.Short() {
		t.Skip("imports 17 MiB: skipped with -short")
	}
	var raw bytes.Buffer
	raw.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	row := "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,12/1/2010 8:26,2.55,17850,United Kingdom\n"
	for raw.Len() < 17<<20 {
		raw.WriteString(row)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	store := newStore(t)
	const key = "raw/repeated.csv.gz"
	if err := store.Upload(ctx, key, bytes.NewReader(gz.Bytes())); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d bytes inflate to %d (%.0f×)", gz.Len(), raw.Len(), float64(raw.Len())/float64(gz.Len()))

	run := func(name string, ratio *int) error {
		_, err := RunLocal(ctx, store, Spec{Type: TypeImport, Dataset: name,
			Import: &ImportSpec{Sources: []string{key}, MaxGzipRatio: ratio}}, LocalOptions{Workers: 2})
		return err
	}
	if err := run("default", nil); !errors.Is(err, split.ErrInflateLimit) {
		t.Errorf("default ratio: got %v; want an error wrapping split.ErrInflateLimit", err)
	}
	off := 0
	if err := run("unlimited", &off); err != nil {
		t.Errorf("max_gzip_ratio 0: got %v; want the import to succeed", err)
	}
	neg := -1
	if err := run("negative", &neg); !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "import.max_gzip_ratio") {
		t.Errorf("max_gzip_ratio -1: got %v; want an invalid spec naming import.max_gzip_ratio", err)
	}
}
