package jobs

import (
	"context"
	"fmt"
	"testing"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/algorithms/rules"
	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/algorithms/support"
	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/format"
)

// itemsetCase is an itemsets job checked against the single-process
// kernels on the raw file.
type itemsetCase struct {
	name  string
	in    func(t *testing.T) input
	spec  ItemsetsSpec
	parts []int
}

func testdataInput(name string, ff format.InputFormat, cols format.Columns) func(t *testing.T) input {
	return func(t *testing.T) input { return input{path: testenv.Path(t, name), ff: ff, cols: cols} }
}

func sharedInput(name string, ff format.InputFormat, cols format.Columns, skip bool) func(t *testing.T) input {
	return func(t *testing.T) input { return input{path: testenv.Shared(t, name), ff: ff, cols: cols, skip: skip} }
}

var conf = &RulesSpec{MinConfidence: 0.5}

var itemsetCases = []itemsetCase{
	{"retail-sample/all", testdataInput("retail-sample.dat", format.FormatFIMI, format.Columns{}), ItemsetsSpec{MinSupport: 0.01, Rules: conf}, []int{1, 4, 16}},
	{"retail-sample/closed", testdataInput("retail-sample.dat", format.FormatFIMI, format.Columns{}), ItemsetsSpec{MinSupport: 8, Kind: "closed", MaxSize: 3}, []int{4}},
	{"retail-sample/maximal", testdataInput("retail-sample.dat", format.FormatFIMI, format.Columns{}), ItemsetsSpec{MinSupport: 0.005, Kind: "maximal", Rules: &RulesSpec{MinConfidence: 0.3, MinLift: 1.5}}, []int{16}},
	{"online-retail-sample", testdataInput("online-retail-sample.csv.gz", format.FormatCSV, retailCols), ItemsetsSpec{MinSupport: 0.03, Rules: conf}, []int{1, 4, 16}},
	{"groceries-sample", testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols), ItemsetsSpec{MinSupport: 0.002, Rules: &RulesSpec{MinConfidence: 0.1}}, []int{1, 4, 16}},
	{"shared/retail-part", sharedInput("retail-part.dat", format.FormatFIMI, format.Columns{}, false), ItemsetsSpec{MinSupport: 0.005, Rules: conf}, []int{1, 4, 16}},
	{"shared/mushroom", sharedInput("mushroom.dat", format.FormatFIMI, format.Columns{}, false), ItemsetsSpec{MinSupport: 0.2, Rules: &RulesSpec{MinConfidence: 0.95, MaxConsequent: 1}}, []int{1, 4, 16}},
	{"shared/mushroom-closed", sharedInput("mushroom.dat", format.FormatFIMI, format.Columns{}, false), ItemsetsSpec{MinSupport: 0.3, Kind: "closed"}, []int{4}},
	{"shared/online-retail-part", sharedInput("online-retail-part.csv", format.FormatCSV, retailCols, true), ItemsetsSpec{MinSupport: 0.02, Rules: conf}, []int{1, 4, 16}},
	{"shared/groceries", sharedInput("groceries.csv", format.FormatCSV, groceryCols, false), ItemsetsSpec{MinSupport: 0.001, Rules: &RulesSpec{MinConfidence: 0.1}}, []int{1, 4, 16}},
}

// TestItemsetsExact runs itemsets jobs with 1, 4 and 16 partitions and
// compares their JSON Lines and SPMF results with the single-process
// kernels' output on the raw file, written by the same PatternWriter.
func TestItemsetsExact(t *testing.T) {
	for _, c := range itemsetCases {
		t.Run(c.name, func(t *testing.T) {
			if raceEnabled && c.name == "shared/mushroom" {
				t.Skip("mushroom with rules is too slow under the race detector; the plain test runs it")
			}
			in := c.in(t)
			txs, names := refBaskets(t, in)
			_, numeric := names.(format.NumericItems)
			th, _ := support.FromFloat(c.spec.MinSupport)
			mc := th.MinCount(len(txs))
			sets, err := itemsets.Mine(txs, itemsets.Options{MinCount: mc, MaxSize: c.spec.MaxSize, Kind: itemsetKind(c.spec.Kind)})
			if err != nil {
				t.Fatal(err)
			}
			itemsets.Sort(sets)
			if len(sets) == 0 {
				t.Fatal("no frequent itemset: a weak test")
			}
			if c.name == "shared/mushroom" && len(sets) != 53583 {
				t.Errorf("mushroom at 20%%: %d itemsets; want 53,583", len(sets))
			}
			var rs []rules.Rule
			if r := c.spec.Rules; r != nil {
				all, err := itemsets.Mine(txs, itemsets.Options{MinCount: mc, MaxSize: c.spec.MaxSize})
				if err != nil {
					t.Fatal(err)
				}
				rs, err = rules.Generate(all, len(txs), rules.Options{MinConfidence: r.MinConfidence, MinLift: r.MinLift, MaxConsequent: r.MaxConsequent})
				if err != nil {
					t.Fatal(err)
				}
				rules.Sort(rs)
			}
			for _, p := range c.parts {
				t.Run(fmt.Sprintf("P%d", p), func(t *testing.T) {
					store := newStore(t)
					importInput(t, store, "d", in, p)
					spec := c.spec
					res, err := RunLocal(context.Background(), store, Spec{Type: TypeItemsets, Dataset: "d", Itemsets: &spec}, LocalOptions{Workers: 2})
					if err != nil {
						t.Fatal(err)
					}
					if res.Manifest.Records != len(txs) || res.Manifest.MinCount != mc {
						t.Errorf("records %d, min count %d; want %d, %d", res.Manifest.Records, res.Manifest.MinCount, len(txs), mc)
					}
					for _, f := range []format.OutputFormat{format.JSONLines, format.SPMF} {
						want := writePatterns(t, f, names, len(txs), func(pw *format.PatternWriter) error { return pw.Itemsets(sets) })
						sameOutput(t, "itemsets."+ext(f), readResult(t, store, res.Manifest, "itemsets."+ext(f)), want, numeric, f)
						if c.spec.Rules != nil {
							want := writePatterns(t, f, names, len(txs), func(pw *format.PatternWriter) error { return pw.Rules(rs) })
							sameOutput(t, "rules."+ext(f), readResult(t, store, res.Manifest, "rules."+ext(f)), want, numeric, f)
						}
					}
					if o, _ := res.Manifest.Object("itemsets.jsonl"); o.Count != len(sets) {
						t.Errorf("itemsets count %d; want %d", o.Count, len(sets))
					}
				})
			}
		})
	}
}

type sequenceCase struct {
	name  string
	in    func(t *testing.T) input
	spec  SequencesSpec
	parts []int
}

var sequenceCases = []sequenceCase{
	{"spmf-example", testdataInput("spmf-example-sequences.txt", format.FormatSPMF, format.Columns{}), SequencesSpec{MinSupport: 0.5}, []int{1, 4, 16}},
	{"spmf-example/gap", testdataInput("spmf-example-sequences.txt", format.FormatSPMF, format.Columns{}), SequencesSpec{MinSupport: 2, MaxGap: 1, MaxLength: 3}, []int{4}},
	{"groceries-sample", testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols), SequencesSpec{MinSupport: 0.01}, []int{1, 4, 16}},
	{"groceries-sample/window", testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols), SequencesSpec{MinSupport: 0.005, MaxWindow: 60, TimeUnit: "week", MinGap: 1}, []int{4}},
	{"online-retail-sample", testdataInput("online-retail-sample.csv.gz", format.FormatCSV, retailCols), SequencesSpec{MinSupport: 0.05, TimeUnit: "hour"}, []int{1, 4, 16}},
	{"shared/groceries", sharedInput("groceries.csv", format.FormatCSV, groceryCols, false), SequencesSpec{MinSupport: 0.01, MaxGap: 90}, []int{1, 4, 16}},
	{"shared/online-retail-part", sharedInput("online-retail-part.csv", format.FormatCSV, retailCols, true), SequencesSpec{MinSupport: 0.04, MaxLength: 4}, []int{1, 4, 16}},
}

// TestSequencesExact runs sequences jobs with 1, 4 and 16 partitions and
// compares their results with sequences.Mine on the raw file.
func TestSequencesExact(t *testing.T) {
	for _, c := range sequenceCases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in(t)
			unit, _ := ParseTimeUnit(c.spec.TimeUnit)
			seqs, names := refSequences(t, in, unit)
			_, numeric := names.(format.NumericItems)
			th, _ := support.FromFloat(c.spec.MinSupport)
			o := seqOptions(&c.spec)
			o.MinCount = th.MinCount(len(seqs))
			pats, err := sequences.Mine(seqs, o)
			if err != nil {
				t.Fatal(err)
			}
			sequences.Sort(pats)
			if len(pats) == 0 {
				t.Fatal("no pattern: a weak test")
			}
			if c.name == "spmf-example" && len(pats) != 53 {
				t.Errorf("SPMF example at 50%%: %d patterns; want 53", len(pats))
			}
			for _, p := range c.parts {
				t.Run(fmt.Sprintf("P%d", p), func(t *testing.T) {
					store := newStore(t)
					importInput(t, store, "d", in, p)
					spec := c.spec
					res, err := RunLocal(context.Background(), store, Spec{Type: TypeSequences, Dataset: "d", Sequences: &spec}, LocalOptions{Workers: 2})
					if err != nil {
						t.Fatal(err)
					}
					if res.Manifest.Records != len(seqs) {
						t.Errorf("records %d; want %d", res.Manifest.Records, len(seqs))
					}
					for _, f := range []format.OutputFormat{format.JSONLines, format.SPMF} {
						want := writePatterns(t, f, names, len(seqs), func(pw *format.PatternWriter) error { return pw.Sequences(pats) })
						sameOutput(t, "sequences."+ext(f), readResult(t, store, res.Manifest, "sequences."+ext(f)), want, numeric, f)
					}
					if o, _ := res.Manifest.Object("sequences.jsonl"); o.Count != len(pats) {
						t.Errorf("patterns %d; want %d", o.Count, len(pats))
					}
				})
			}
		})
	}
}
