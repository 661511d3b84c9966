package soak

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/clustertest"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

// The datasets and raw objects every run starts with, in the cluster's
// store and in the reference store alike.
const (
	// basketsDataset is testdata/retail-sample.dat (FIMI baskets).
	basketsDataset = "baskets"
	// logDataset is testdata/online-retail-sample.csv.gz (a CSV log).
	logDataset = "log"
	// rawLogKey is the same log uncompressed, the source of import jobs.
	rawLogKey = "raw/retail.csv"
	// rawBadKey is the log's first lines with one malformed line, the
	// source of the imports that must fail.
	rawBadKey = "raw/bad.csv"
	// partitions is the datasets' number of hash buckets.
	partitions = 4
	// badLines is the number of lines of rawBadKey, header included.
	badLines = 400
)

// inputs are what the job stream needs to know about the inputs.
type inputs struct {
	// badLine is the line number of rawBadKey's malformed line.
	badLine int
}

// prepareInputs imports the two datasets and writes the raw objects into
// every store given.
func prepareInputs(t testing.TB, stores ...objstore.Bucket) inputs {
	t.Helper()
	logPath := testenv.Path(t, "online-retail-sample.csv.gz")
	raw, err := gunzipFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	bad, line := badLog(raw)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for _, b := range stores {
		err := clustertest.ImportFile(ctx, b, basketsDataset, testenv.Path(t, "retail-sample.dat"),
			dataset.Spec{Format: format.FormatFIMI, Partitions: partitions})
		if err == nil {
			err = clustertest.ImportFile(ctx, b, logDataset, logPath,
				dataset.Spec{Format: format.FormatCSV, Columns: format.DefaultColumns(), Partitions: partitions})
		}
		for key, data := range map[string][]byte{rawLogKey: raw, rawBadKey: bad} {
			if err == nil {
				err = b.Publish(ctx, key, bytes.NewReader(data))
			}
		}
		if err != nil {
			t.Fatalf("prepare inputs in %s: %v", b, err)
		}
	}
	return inputs{badLine: line}
}

// gunzipFile returns the uncompressed content of a gzip file.
func gunzipFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return data, nil
}

// badLog returns the first badLines lines of a log with line 300
// replaced by a row whose quantity is not a number, and that line's
// number.
func badLog(log []byte) ([]byte, int) {
	lines := strings.SplitAfter(string(log), "\n")[:badLines]
	const line = 300
	lines[line-1] = "536999,85123A,SOAK BAD ROW,12x,01/12/2010 08:26,2.55,17850,United Kingdom\n"
	return []byte(strings.Join(lines, "")), line
}
