package jobs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// input is a raw file the tests import and also parse directly, the way
// quarry mine does.
type input struct {
	path string
	ff   format.InputFormat
	cols format.Columns // CSV logs
	skip bool           // --skip-bad-lines
}

var (
	groceryCols = format.Columns{Customer: "Member_number", Time: "Date", Item: "itemDescription"}
	retailCols  = format.DefaultColumns()
)

func newStore(t testing.TB) objstore.Bucket {
	t.Helper()
	return newStoreAt(t, t.TempDir())
}

func newStoreAt(t testing.TB, dir string) objstore.Bucket {
	t.Helper()
	b, err := local.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}

// importInput imports in into store as dataset name with p partitions.
func importInput(t testing.TB, store objstore.Bucket, name string, in input, p int) *dataset.Manifest {
	t.Helper()
	src, err := local.New(filepath.Dir(in.path))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	spec := dataset.Spec{Format: in.ff, Columns: in.cols, SkipBadLines: in.skip, Partitions: p, CancelPrefix: format.DefaultCancelPrefix}
	if in.ff != format.FormatCSV {
		spec.CancelPrefix = ""
	}
	m, err := dataset.Import(context.Background(), store, name,
		[]dataset.SourceObject{{Bucket: src, Key: filepath.Base(in.path), URL: in.path}},
		dataset.Options{Spec: spec, Workers: 2, SplitSize: 256 << 10})
	if err != nil {
		t.Fatalf("import %s: %v", in.path, err)
	}
	return m
}

func (in input) options() format.Options {
	return format.Options{Name: in.path, SkipBadLines: in.skip}
}

// readLog streams the rows of a CSV input to add, as quarry mine does.
func (in input) readLog(t testing.TB, add func(*format.Row)) *format.CSVLogReader {
	t.Helper()
	f, err := format.Open(in.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lr, err := format.NewCSVLogReader(bufio.NewReader(f), in.cols, format.LogOptions{Options: in.options(), CancelPrefix: format.DefaultCancelPrefix})
	if err != nil {
		t.Fatal(err)
	}
	for {
		row, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		add(&row)
	}
	return lr
}

// refBaskets parses in as quarry mine itemsets does.
func refBaskets(t testing.TB, in input) ([][]uint32, format.ItemNames) {
	t.Helper()
	if in.ff == format.FormatFIMI {
		f, err := format.Open(in.path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		txs, _, err := format.ReadFIMI(f, in.options())
		if err != nil {
			t.Fatal(err)
		}
		return txs, format.NumericItems{}
	}
	dict := format.NewDictionary()
	bb := format.NewBasketBuilder(dict)
	in.readLog(t, bb.Add)
	txs, _ := bb.Baskets()
	return txs, dict
}

// refSequences parses in as quarry mine sequences does.
func refSequences(t testing.TB, in input, unit time.Duration) ([]sequences.Sequence, format.ItemNames) {
	t.Helper()
	if in.ff == format.FormatSPMF {
		f, err := format.Open(in.path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		seqs, _, err := format.ReadSPMFSequences(f, in.options())
		if err != nil {
			t.Fatal(err)
		}
		return seqs, format.NumericItems{}
	}
	dict := format.NewDictionary()
	sb := format.NewSequenceBuilder(dict, unit)
	in.readLog(t, sb.Add)
	_, seqs := sb.Sequences()
	return seqs, dict
}

// refPurchases parses in as quarry mine segments does.
func refPurchases(t testing.TB, in input) ([]features.Purchase, []string, []string) {
	t.Helper()
	var pb *format.PurchaseBuilder
	f, err := format.Open(in.path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lr, err := format.NewCSVLogReader(bufio.NewReader(f), in.cols, format.LogOptions{Options: in.options(), CancelPrefix: format.DefaultCancelPrefix})
	if err != nil {
		t.Fatal(err)
	}
	pb = format.NewPurchaseBuilder(lr.Mapped().Price == "")
	for {
		row, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pb.Add(&row)
	}
	return pb.Purchases()
}

// readResult returns a result object's bytes.
func readResult(t testing.TB, store objstore.Bucket, m *ResultManifest, name string) []byte {
	t.Helper()
	o, ok := m.Object(name)
	if !ok {
		t.Fatalf("result has no %s; objects %v", name, m.Objects)
	}
	data, err := objstore.ReadAll(context.Background(), store, o.Key)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// canonicalJSONL sorts every list of item names inside each line (the
// order of items within a set follows item ids, which differ between a
// dataset's dictionary and the single-process one), then the lines.
func canonicalJSONL(t testing.TB, data []byte) string {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if l == "" {
			continue
		}
		var v map[string]any
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("%v in %q", err, l)
		}
		for _, k := range []string{"items", "antecedent", "consequent"} {
			if s, ok := v[k].([]any); ok {
				sortAny(s)
			}
		}
		if els, ok := v["elements"].([]any); ok {
			for _, e := range els {
				sortAny(e.([]any))
			}
		}
		b, _ := json.Marshal(v)
		lines = append(lines, string(b))
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func sortAny(s []any) {
	sort.Slice(s, func(i, j int) bool { return s[i].(string) < s[j].(string) })
}

// canonicalSPMF maps the ids of a converted-from-text SPMF output to names
// through its header, sorts names within each itemset, and sorts the lines.
func canonicalSPMF(t testing.TB, data []byte) string {
	t.Helper()
	names := map[string]string{}
	var lines []string
	for _, l := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		switch {
		case l == "" || l == "@CONVERTED_FROM_TEXT":
			continue
		case strings.HasPrefix(l, "@ITEM="):
			kv := strings.SplitN(strings.TrimPrefix(l, "@ITEM="), "=", 2)
			names[kv[0]] = kv[1]
			continue
		}
		body, tail, _ := strings.Cut(l, " #SUP:")
		var groups [][]string
		cur := []string{}
		flush := func() {
			slices.Sort(cur)
			groups = append(groups, cur)
			cur = []string{}
		}
		for _, tok := range strings.Fields(body) {
			switch tok {
			case "-1", "==>":
				flush()
				if tok == "==>" {
					groups = append(groups, []string{"==>"})
				}
			default:
				if n, ok := names[tok]; ok {
					tok = n
				}
				cur = append(cur, tok)
			}
		}
		if len(cur) > 0 {
			flush()
		}
		var b strings.Builder
		for _, g := range groups {
			b.WriteString(strconv.Quote(strings.Join(g, "\x00")) + " ")
		}
		lines = append(lines, b.String()+"#SUP:"+tail)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// writePatterns runs a PatternWriter into a buffer.
func writePatterns(t testing.TB, f format.OutputFormat, names format.ItemNames, n int, write func(*format.PatternWriter) error) []byte {
	t.Helper()
	var buf bytes.Buffer
	pw := format.NewPatternWriter(&buf, f, names, n)
	if err := write(pw); err != nil {
		t.Fatal(err)
	}
	if err := pw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sameOutput compares a job's result object with the reference output:
// byte for byte when items are numeric, after canonical ordering
// otherwise.
func sameOutput(t *testing.T, what string, got, want []byte, numeric bool, f format.OutputFormat) {
	t.Helper()
	if numeric {
		if !bytes.Equal(got, want) {
			t.Errorf("%s: got %d bytes (%.200q); want %d bytes (%.200q)", what, len(got), got, len(want), want)
		}
		return
	}
	var g, w string
	if f == format.JSONLines {
		g, w = canonicalJSONL(t, got), canonicalJSONL(t, want)
	} else {
		g, w = canonicalSPMF(t, got), canonicalSPMF(t, want)
	}
	if g != w {
		t.Errorf("%s: got %d canonical bytes (%.300q); want %d (%.300q)", what, len(g), g, len(w), w)
	}
}
