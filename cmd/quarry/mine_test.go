package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/format"
)

// run executes the quarry command line in-process and returns its error.
func run(t *testing.T, args ...string) error {
	t.Helper()
	cmd := newRootCmd()
	cmd.SetArgs(args)
	cmd.SetOut(new(bytes.Buffer))
	cmd.SetErr(new(bytes.Buffer))
	return cmd.ExecuteContext(context.Background())
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

func TestMineItemsetsSPMFOutput(t *testing.T) {
	in := writeFile(t, "tiny.dat", "1 3 4\n2 3 5\n1 2 3 5\n2 5\n1 2 3 5\n")
	out := filepath.Join(t.TempDir(), "out.txt")
	if err := run(t, "mine", "itemsets", "--input", in, "--min-support", "0.4", "--output-format", "spmf", "--output", out, "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(readLines(t, out), "\n")
	// Counts from the textbook example (Agrawal & Srikant's database with a
	// second copy of {1 2 3 5}), at ceil(0.4 × 5) = 2.
	want := strings.Join([]string{
		"1 #SUP: 3", "1 2 #SUP: 2", "1 2 3 #SUP: 2", "1 2 3 5 #SUP: 2", "1 2 5 #SUP: 2", "1 3 #SUP: 3",
		"1 3 5 #SUP: 2", "1 5 #SUP: 2", "2 #SUP: 4", "2 3 #SUP: 3", "2 3 5 #SUP: 3", "2 5 #SUP: 4",
		"3 #SUP: 4", "3 5 #SUP: 3", "5 #SUP: 4",
	}, "\n")
	if got != want {
		t.Errorf("itemsets:\ngot\n%s\nwant\n%s", got, want)
	}
}

func TestMineItemsetsMatchesKernel(t *testing.T) {
	in := testenv.Path(t, "retail-sample.dat")
	out := filepath.Join(t.TempDir(), "out.jsonl")
	if err := run(t, "mine", "itemsets", "--input", in, "--min-support", "0.01", "--output", out, "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	f, err := format.Open(in)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	txs, _, err := format.ReadFIMI(f, format.Options{})
	if err != nil {
		t.Fatal(err)
	}
	sets, err := itemsets.Mine(txs, itemsets.Options{MinCount: 20}) // ceil(0.01 × 2000)
	if err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, out)
	if len(lines) != len(sets) || len(sets) == 0 {
		t.Fatalf("got %d itemsets; want %d (and more than 0)", len(lines), len(sets))
	}
	var first struct {
		Items   []string `json:"items"`
		Support int      `json:"support"`
	}
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	itemsets.Sort(sets)
	if first.Support != sets[0].Support || len(first.Items) != len(sets[0].Items) {
		t.Errorf("first itemset = %+v; want %+v", first, sets[0])
	}
}

func TestMineSequencesSPMFExample(t *testing.T) {
	in := testenv.Path(t, "spmf-example-sequences.txt")
	out := filepath.Join(t.TempDir(), "seq.txt")
	if err := run(t, "mine", "sequences", "--input", in, "--min-support", "0.5", "--output-format", "spmf", "--output", out, "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	if got := len(readLines(t, out)); got != 53 {
		t.Errorf("got %d patterns; want 53 (SPMF's PrefixSpan documentation)", got)
	}
}

func TestMineRulesOnRetailSample(t *testing.T) {
	in := testenv.Path(t, "online-retail-sample.csv.gz")
	out := filepath.Join(t.TempDir(), "rules.jsonl")
	if err := run(t, "mine", "rules", "--input", in, "--min-support", "0.02", "--min-confidence", "0.6",
		"--sort", "lift", "--top", "5", "--output", out, "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, out)
	if len(lines) == 0 || len(lines) > 5 {
		t.Fatalf("got %d rules; want 1 to 5", len(lines))
	}
	prev := 0.0
	for i, l := range lines {
		var r struct {
			Antecedent []string `json:"antecedent"`
			Consequent []string `json:"consequent"`
			Confidence float64  `json:"confidence"`
			Lift       float64  `json:"lift"`
		}
		if err := json.Unmarshal([]byte(l), &r); err != nil {
			t.Fatal(err)
		}
		if r.Confidence < 0.6 || len(r.Antecedent) == 0 || len(r.Consequent) == 0 {
			t.Errorf("rule %d = %+v; want confidence >= 0.6 and both sides non-empty", i, r)
		}
		if i > 0 && r.Lift > prev {
			t.Errorf("rule %d lift %v above previous %v; want descending lift", i, r.Lift, prev)
		}
		prev = r.Lift
	}
}

func TestMineBadInput(t *testing.T) {
	tests := []struct {
		name    string
		file    string
		content string
		args    []string
		want    string // in the error
	}{
		{"fimi bad item", "bad.dat", "1 2\n3 x 4\n", []string{"itemsets", "--min-support", "1"}, "bad.dat:2"},
		{"spmf bad token", "bad.txt", "1 -1 2 -1 -2\n1 -1 y -1 -2\n", []string{"sequences", "--min-support", "1"}, "bad.txt:2"},
		{"csv missing column", "log.csv", "a,b\n1,2\n", []string{"rules", "--min-support", "1"}, "StockCode"},
		{"csv bad quantity", "log.csv", "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n1,A,x,01/12/2010 08:26,1,7\n",
			[]string{"itemsets", "--min-support", "1"}, "log.csv:2"},
		{"numeric NaN", "m.csv", "a,b\n1,2\n3,NaN\n", []string{"kmeans", "--k", "1"}, "m.csv:3"},
		{"bad support", "ok.dat", "1 2\n", []string{"itemsets", "--min-support", "1.5"}, "min-support"},
		{"unknown extension", "data.xyz", "1 2\n", []string{"itemsets", "--min-support", "1"}, "--format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := writeFile(t, tt.file, tt.content)
			out := filepath.Join(t.TempDir(), "out")
			args := append([]string{"mine"}, tt.args...)
			args = append(args, "--input", in, "--output", out, "--log-level", "error")
			err := run(t, args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v; want one containing %q", err, tt.want)
			}
			if _, statErr := os.Stat(out); !os.IsNotExist(statErr) {
				t.Errorf("output exists after a failed run (stat error %v); want none", statErr)
			}
		})
	}
}

func TestMineSkipBadLines(t *testing.T) {
	in := writeFile(t, "bad.dat", "1 2\n3 x 4\n1 2\n")
	out := filepath.Join(t.TempDir(), "out.txt")
	if err := run(t, "mine", "itemsets", "--input", in, "--min-support", "2", "--skip-bad-lines",
		"--output-format", "spmf", "--output", out, "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	got := strings.Join(readLines(t, out), "|")
	if want := "1 #SUP: 2|1 2 #SUP: 2|2 #SUP: 2"; got != want {
		t.Errorf("got %q; want %q", got, want)
	}
}

func TestMineEmptyInput(t *testing.T) {
	for _, tt := range []struct{ file, cmd string }{{"e.dat", "itemsets"}, {"e.dat", "rules"}, {"e.txt", "sequences"}, {"e.csv", "rules"}} {
		in := writeFile(t, tt.file, "")
		out := filepath.Join(t.TempDir(), "out")
		if err := run(t, "mine", tt.cmd, "--input", in, "--min-support", "0.5", "--output", out, "--log-level", "error"); err != nil {
			t.Fatalf("%s on empty %s: %v", tt.cmd, tt.file, err)
		}
		if got := readLines(t, out); len(got) != 0 {
			t.Errorf("%s on empty %s: got %d lines; want 0", tt.cmd, tt.file, len(got))
		}
	}
}

func TestMineHugeLine(t *testing.T) {
	in := filepath.Join(t.TempDir(), "huge.dat")
	line := strings.Repeat("12345 ", 1<<20) // 6 MiB on one line
	if err := os.WriteFile(in, []byte("1 2\n"+line+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := run(t, "mine", "itemsets", "--input", in, "--min-support", "1", "--output", filepath.Join(t.TempDir(), "o"), "--log-level", "error")
	if err == nil || !strings.Contains(err.Error(), "huge.dat:2") {
		t.Fatalf("error = %v; want a line-too-long error naming huge.dat:2", err)
	}
}

func TestMineKMeansDeterministic(t *testing.T) {
	var b strings.Builder
	b.WriteString("x,y\n")
	for i := 0; i < 300; i++ {
		cx := float64(i%3) * 10
		b.WriteString(ftoa(cx+float64(i%7)/7) + "," + ftoa(cx-float64(i%5)/5) + "\n")
	}
	in := writeFile(t, "pts.csv", b.String())
	var outs []string
	for _, workers := range []string{"1", "2"} {
		out := filepath.Join(t.TempDir(), "km.json")
		if err := run(t, "mine", "kmeans", "--input", in, "--k", "3", "--seed", "7", "--workers", workers, "--output", out, "--log-level", "error"); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(out)
		outs = append(outs, string(data))
		var res kmeansJSON
		if err := json.Unmarshal(data, &res); err != nil {
			t.Fatal(err)
		}
		if res.K != 3 || len(res.Centroids) != 3 || res.Sizes[0]+res.Sizes[1]+res.Sizes[2] != 300 {
			t.Errorf("result = %+v; want 3 centroids over 300 rows", res)
		}
	}
	if outs[0] != outs[1] {
		t.Errorf("workers=1 and workers=2 differ:\n%s\n%s", outs[0], outs[1])
	}
}

func TestMineRFMAndSegments(t *testing.T) {
	in := testenv.Path(t, "online-retail-sample.csv.gz")
	dir := t.TempDir()
	rfm, feats := filepath.Join(dir, "rfm.jsonl"), filepath.Join(dir, "f.csv")
	if err := run(t, "mine", "rfm", "--input", in, "--output", rfm, "--features-csv", feats, "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
	lines := readLines(t, rfm)
	if len(lines) != 442 { // testdata/README.md: 442 customers
		t.Errorf("got %d customers; want 442", len(lines))
	}
	out := filepath.Join(dir, "seg.json")
	if err := run(t, "mine", "kmeans", "--input", feats, "--k", "auto", "--k-max", "5", "--output", out, "--log-level", "error"); err != nil {
		t.Fatal(err)
	}
}

func TestMineSegmentsDeterministic(t *testing.T) {
	in := testenv.Path(t, "online-retail-sample.csv.gz")
	var outs []string
	for _, workers := range []string{"1", "2"} {
		dir := t.TempDir()
		out, cust := filepath.Join(dir, "seg.json"), filepath.Join(dir, "cust.jsonl")
		if err := run(t, "mine", "segments", "--input", in, "--k", "4", "--seed", "3", "--workers", workers,
			"--output", out, "--customers", cust, "--log-level", "error"); err != nil {
			t.Fatal(err)
		}
		data, _ := os.ReadFile(out)
		outs = append(outs, string(data))
		var res segmentsJSON
		if err := json.Unmarshal(data, &res); err != nil {
			t.Fatal(err)
		}
		total := 0
		for _, s := range res.Segments {
			total += s.Size
		}
		if res.K != 4 || len(res.Segments) != 4 || total != 442 {
			t.Errorf("got k=%d, %d segments over %d customers; want 4 segments over 442", res.K, len(res.Segments), total)
		}
		if got := len(readLines(t, cust)); got != 442 {
			t.Errorf("got %d customer lines; want 442", got)
		}
	}
	if outs[0] != outs[1] {
		t.Errorf("workers=1 and workers=2 differ")
	}
}

func TestMineItemsetsExplosionIsAnError(t *testing.T) {
	// Online Retail has wholesale orders repeating dozens of items: at 1% of
	// the sample's orders the frequent itemsets number in the billions.
	in := testenv.Path(t, "online-retail-sample.csv.gz")
	err := run(t, "mine", "itemsets", "--input", in, "--min-support", "0.01", "--max-patterns", "1000000",
		"--output", filepath.Join(t.TempDir(), "o"), "--log-level", "error")
	if err == nil || !strings.Contains(err.Error(), "too many frequent itemsets") {
		t.Fatalf("error = %v; want too many frequent itemsets", err)
	}
}
