package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
)

// runOut executes the quarry command line in-process and returns its
// standard output.
func runOut(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	cmd.SetArgs(append(args, "--log-level", "error"))
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(new(bytes.Buffer))
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, err := runOut(t, args...)
	if err != nil {
		t.Fatalf("quarry %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func TestDatasetCommands(t *testing.T) {
	dir := t.TempDir()
	sample := testenv.Path(t, "online-retail-sample.csv.gz")
	data := []string{"--data-dir", dir}

	out := mustRun(t, append([]string{"dataset", "import", sample, "--name", "retail", "--partitions", "3"}, data...)...)
	if !strings.HasPrefix(out, "retail v1: 15015 records in 3 partitions") {
		t.Errorf("import printed %q; want it to start with %q", out, "retail v1: 15015 records in 3 partitions")
	}
	if _, err := os.Stat(filepath.Join(dir, "quarry-data", "datasets", "retail")); err != nil {
		t.Errorf("default store: %v", err)
	}
	// The same file, from inside the store this time, and a FIMI dataset.
	store := filepath.Join(dir, "quarry-data")
	raw, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(store, "raw"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(store, "raw", "sample.csv.gz"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, "dataset", "import", "store:raw/sample.csv.gz", "--name", "retail", "--partitions", "3", "--store", store)
	mustRun(t, "dataset", "import", testenv.Path(t, "retail-sample.dat"), "--name", "baskets", "--store", "file://"+store)

	var ls []struct {
		Name     string `json:"name"`
		Versions []int  `json:"versions"`
	}
	if err := json.Unmarshal([]byte(mustRun(t, "dataset", "ls", "--json", "--store", store)), &ls); err != nil {
		t.Fatal(err)
	}
	if len(ls) != 2 || ls[0].Name != "baskets" || ls[1].Name != "retail" || len(ls[1].Versions) != 2 {
		t.Fatalf("ls: got %+v; want baskets and retail with 2 versions", ls)
	}

	half := writeFile(t, "more.csv", "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"+
		"900001,NEWITEM,A NEW ITEM,2,08/12/2010 10:00,1.25,99999,United Kingdom\n")
	if out := mustRun(t, "dataset", "append", "retail", half, "--store", store); !strings.HasPrefix(out, "retail v3: 1 records") {
		t.Errorf("append printed %q", out)
	}
	var m dataset.Manifest
	if err := json.Unmarshal([]byte(mustRun(t, "dataset", "describe", "retail", "--json", "--store", store)), &m); err != nil {
		t.Fatal(err)
	}
	if m.Version != 3 || len(m.Segments) != 2 || m.Counts.Records != 15016 {
		t.Fatalf("describe: got v%d with %d segments and %d records; want v3, 2, 15016", m.Version, len(m.Segments), m.Counts.Records)
	}
	text := mustRun(t, "dataset", "describe", "retail", "--version", "1", "--store", store)
	if !strings.Contains(text, "retail v1") || !strings.Contains(text, "customers:") {
		t.Errorf("describe text:\n%s", text)
	}

	mustRun(t, "dataset", "rm", "retail", "--version", "2", "--store", store)
	if _, err := runOut(t, "dataset", "describe", "retail", "--version", "2", "--store", store); err == nil {
		t.Error("describe of a removed version: got nil error")
	}
	mustRun(t, "dataset", "describe", "retail", "--store", store) // v3 still reads
	mustRun(t, "dataset", "rm", "retail", "--store", store)
	mustRun(t, "dataset", "gc", "baskets", "--min-age", "0s", "--store", store)
	if out := mustRun(t, "dataset", "ls", "--store", store); strings.Contains(out, "retail") || !strings.Contains(out, "baskets") {
		t.Errorf("ls after rm:\n%s", out)
	}
}

func TestDatasetImportBadInput(t *testing.T) {
	store := t.TempDir()
	bad := writeFile(t, "bad.csv", "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"+
		"1,A,1,01/12/2010 08:00,1.0,10\n"+
		"2,B,xyz,01/12/2010 08:00,1.0,11\n")
	_, err := runOut(t, "dataset", "import", bad, "--name", "bad", "--store", store)
	if err == nil || !strings.Contains(err.Error(), "bad.csv:3: field \"Quantity\"") {
		t.Fatalf("strict import: got %v; want an error naming bad.csv:3 and the Quantity field", err)
	}
	out := mustRun(t, "dataset", "import", bad, "--name", "bad", "--store", store, "--skip-bad-lines")
	if !strings.Contains(out, "1 skipped") || !strings.Contains(out, "quarantine.jsonl") {
		t.Errorf("skip import printed %q", out)
	}
	if _, err := runOut(t, "dataset", "import", bad, "--name", "../x", "--store", store); err == nil {
		t.Error("bad name: got nil error")
	}
}
