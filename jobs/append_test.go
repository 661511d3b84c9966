package jobs

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// TestAppendedExact splits the groceries sample by date into two files,
// imports the first and appends the second (two segments, so a customer's
// rows sit in two partitions of a bucket), and checks every job type
// against the single-process kernels on the whole file.
func TestAppendedExact(t *testing.T) {
	whole := testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols)(t)
	f, err := os.Open(whole.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfter(string(data), "\n")
	var a, b bytes.Buffer
	a.WriteString(lines[0])
	b.WriteString(lines[0])
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		if strings.Split(l, ",")[1] < "2015-01-01" {
			a.WriteString(l)
		} else {
			b.WriteString(l)
		}
	}
	dir := t.TempDir()
	for name, buf := range map[string]*bytes.Buffer{"a.csv": &a, "b.csv": &b} {
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	store := newStore(t)
	importInput(t, store, "g", input{path: filepath.Join(dir, "a.csv"), ff: format.FormatCSV, cols: groceryCols}, 4)
	src, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	ctx := context.Background()
	m, err := dataset.Append(ctx, store, "g", []dataset.SourceObject{{Bucket: src, Key: "b.csv", URL: "b.csv"}}, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Segments) != 2 {
		t.Fatalf("%d segments; want 2", len(m.Segments))
	}

	t.Run("itemsets", func(t *testing.T) {
		txs, names := refBaskets(t, whole)
		sets, _ := itemsets.Mine(txs, itemsets.Options{MinCount: 10})
		if len(sets) < 10 {
			t.Fatalf("only %d itemsets: a weak test", len(sets))
		}
		itemsets.Sort(sets)
		res, err := RunLocal(ctx, store, Spec{Type: TypeItemsets, Dataset: "g", Itemsets: &ItemsetsSpec{MinSupport: 10}}, LocalOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		want := writePatterns(t, format.JSONLines, names, len(txs), func(pw *format.PatternWriter) error { return pw.Itemsets(sets) })
		sameOutput(t, "itemsets.jsonl", readResult(t, store, res.Manifest, "itemsets.jsonl"), want, false, format.JSONLines)
	})
	t.Run("sequences", func(t *testing.T) {
		seqs, names := refSequences(t, whole, 0)
		pats, _ := sequences.Mine(seqs, sequences.Options{MinCount: 10})
		sequences.Sort(pats)
		res, err := RunLocal(ctx, store, Spec{Type: TypeSequences, Dataset: "g", Sequences: &SequencesSpec{MinSupport: 10}}, LocalOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		want := writePatterns(t, format.JSONLines, names, len(seqs), func(pw *format.PatternWriter) error { return pw.Sequences(pats) })
		sameOutput(t, "sequences.jsonl", readResult(t, store, res.Manifest, "sequences.jsonl"), want, false, format.JSONLines)
	})
	t.Run("segments", func(t *testing.T) {
		spec := SegmentsSpec{K: 4}
		wantSeg, wantCust, want := refSegments(t, whole, &spec)
		res, err := RunLocal(ctx, store, Spec{Type: TypeSegments, Dataset: "g", Segments: &spec}, LocalOptions{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		var km KMeansJSON
		if err := json.Unmarshal(readResult(t, store, res.Manifest, "kmeans.json"), &km); err != nil {
			t.Fatal(err)
		}
		if !sameBits(km.Centroids.Data, want.Centroids.Data) {
			t.Errorf("centroids got %v; want %v", km.Centroids.Data, want.Centroids.Data)
		}
		if got := readResult(t, store, res.Manifest, "segments.json"); !bytes.Equal(got, wantSeg) {
			t.Errorf("segments.json got %s; want %s", got, wantSeg)
		}
		if got := readResult(t, store, res.Manifest, "customers.jsonl"); !bytes.Equal(got, wantCust) {
			t.Errorf("customers.jsonl differs")
		}
	})
}
