package crmapi

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore/local"
)

// importLog writes csv into a fresh local store as dataset name with p
// partitions and returns the store.
func importLog(t *testing.T, name, csv string, p int) *local.Bucket {
	t.Helper()
	ctx := context.Background()
	store, err := local.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Upload(ctx, "raw/log.csv", strings.NewReader(csv)); err != nil {
		t.Fatal(err)
	}
	spec := jobs.Spec{Type: jobs.TypeImport, Dataset: name, Import: &jobs.ImportSpec{Sources: []string{"raw/log.csv"}, Partitions: p}}
	if _, err := jobs.RunLocal(ctx, store, spec, jobs.LocalOptions{JobID: "import"}); err != nil {
		t.Fatal(err)
	}
	return store
}

// abLog is a log where customers who buy A buy B next: 30 "teachers" buy
// A, then B, then C; 30 "students" buy A, then B; 40 "fans" buy Q1…Q5
// twice, which makes the Q items the best-sellers. Hiding the last order,
// only the sequence ⟨A⟩ → ⟨B⟩ learnt from the teachers predicts the
// students' B; popularity offers Q1…Q3 instead.
func abLog() string {
	var sb strings.Builder
	sb.WriteString("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n")
	inv := 100000
	order := func(cust string, day int, items ...string) {
		inv++
		for _, it := range items {
			fmt.Fprintf(&sb, "%d,%s,ITEM %s,1,%02d/01/2011 10:00,1.00,%s,United Kingdom\n", inv, it, it, day, cust)
		}
	}
	for i := range 30 {
		order(fmt.Sprintf("1%03d", i), 1, "A")
		order(fmt.Sprintf("1%03d", i), 10, "B")
		order(fmt.Sprintf("1%03d", i), 20, "C")
		order(fmt.Sprintf("2%03d", i), 2, "A")
		order(fmt.Sprintf("2%03d", i), 12, "B")
	}
	for i := range 40 {
		order(fmt.Sprintf("3%03d", i), 3, "Q1", "Q2", "Q3", "Q4", "Q5")
		order(fmt.Sprintf("3%03d", i), 13, "Q1", "Q2", "Q3", "Q4", "Q5")
	}
	return sb.String()
}

func abConfig() EvalConfig {
	cfg := DefaultEvalConfig("ab")
	cfg.K = 3
	cfg.Rules.MinSupport = 0.1
	cfg.Sequences.MinSupport = 0.2
	cfg.Segments.K = 2
	return cfg
}

func TestEvalKnownAnswer(t *testing.T) {
	store := importLog(t, "ab", abLog(), 3)
	rep, err := Evaluate(context.Background(), store, abConfig())
	if err != nil {
		t.Fatal(err)
	}
	if rep.TrainingOrders != 130 || rep.HiddenOrders != 100 {
		t.Errorf("orders: got %d kept, %d hidden; want 130, 100", rep.TrainingOrders, rep.HiddenOrders)
	}
	if rep.Catalogue != 7 {
		t.Errorf("catalogue: got %d; want 7 (A, B, Q1…Q5; C is only in hidden orders)", rep.Catalogue)
	}
	want := map[string][3]float64{ // hit rate, precision, recall
		MethodRecommender: {0.3, 0.1, 0.3},
		MethodPatterns:    {0.3, 0.1, 0.3},
		MethodPopularity:  {0, 0, 0},
	}
	if len(rep.Methods) != 3 {
		t.Fatalf("methods: got %d; want 3", len(rep.Methods))
	}
	for _, m := range rep.Methods {
		t.Run(m.Method, func(t *testing.T) {
			w := want[m.Method]
			got := [3]float64{m.HitRate, m.Precision, m.Recall}
			for i := range got {
				if math.Abs(got[i]-w[i]) > 1e-12 {
					t.Errorf("hit rate, precision, recall: got %v; want %v", got, w)
					break
				}
			}
			if m.Customers != 100 {
				t.Errorf("customers: got %d; want 100", m.Customers)
			}
		})
	}
	if pop := rep.Methods[2]; pop.DistinctItems != 5 {
		// Q1, Q2, Q3 for most; A and B for the fans, who bought every Q.
		t.Errorf("popularity distinct items: got %d; want 5", pop.DistinctItems)
	}
}

func TestEvalDeterministic(t *testing.T) {
	store := importLog(t, "ab", abLog(), 4)
	cfg := abConfig()
	a, err := Evaluate(context.Background(), store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	cfg.Workers = 3
	cfg.ScratchDir = filepath.Join(t.TempDir(), "scratch")
	b, err := Evaluate(context.Background(), store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(a, b) {
		t.Errorf("with 3 workers: got %+v; want %+v", b, a)
	}
	// The training dataset in the kept scratch store is the log minus
	// the hidden orders, with the source's dictionary.
	scratch, err := local.New(cfg.ScratchDir)
	if err != nil {
		t.Fatal(err)
	}
	defer scratch.Close()
	d, err := dataset.Open(context.Background(), scratch, "ab", 1)
	if err != nil {
		t.Fatal(err)
	}
	src, err := dataset.Open(context.Background(), store, "ab", 0)
	if err != nil {
		t.Fatal(err)
	}
	if d.Manifest.Counts.Orders != 130 || d.Manifest.NumItems != src.Manifest.NumItems {
		t.Errorf("training dataset: got %d orders, %d items; want 130, %d", d.Manifest.Counts.Orders, d.Manifest.NumItems, src.Manifest.NumItems)
	}
}

func TestEvalConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*EvalConfig)
		want string
	}{
		{"holdout", func(c *EvalConfig) { c.Holdout = 0 }, "holdout 0"},
		{"k", func(c *EvalConfig) { c.K = MaxEvalK + 1 }, "k 1001"},
		{"workers", func(c *EvalConfig) { c.Workers = 0 }, "workers 0"},
		{"support", func(c *EvalConfig) { c.Rules.MinSupport = -1 }, "itemsets.min_support"},
		{"segments", func(c *EvalConfig) { c.Segments.K = 0 }, "segments"},
		{"dataset", func(c *EvalConfig) { c.Dataset = "../x" }, "dataset"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultEvalConfig("retail")
			tt.edit(&c)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v; want an error containing %q", err, tt.want)
			}
		})
	}
	if c := DefaultEvalConfig("retail"); c.Validate() != nil {
		t.Errorf("defaults: got %v; want nil", c.Validate())
	}
}

func TestEvalNotEvaluable(t *testing.T) {
	store := importLog(t, "once", "InvoiceNo,StockCode,Quantity,InvoiceDate,UnitPrice,CustomerID\n"+
		"1,A,1,01/12/2010 08:00,1.0,10\n2,B,1,01/12/2010 08:00,1.0,11\n", 1)
	_, err := Evaluate(context.Background(), store, DefaultEvalConfig("once"))
	if err == nil || !strings.Contains(err.Error(), ErrNotEvaluable.Error()) {
		t.Errorf("got %v; want %v", err, ErrNotEvaluable)
	}
	if _, err := Evaluate(context.Background(), store, DefaultEvalConfig("missing")); err == nil {
		t.Error("missing dataset: got nil error")
	}
}

func TestEvalSample(t *testing.T) {
	f := sharedFixture(t)
	cfg := DefaultEvalConfig("retail")
	cfg.Workers = 2
	rep, err := Evaluate(context.Background(), f.store, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Methods[0].Customers == 0 || rep.Rules == 0 {
		t.Fatalf("got %d customers, %d rules; want both > 0", rep.Methods[0].Customers, rep.Rules)
	}
	for _, m := range rep.Methods {
		for _, v := range []float64{m.HitRate, m.Precision, m.Recall, m.Coverage} {
			if v < 0 || v > 1 || math.IsNaN(v) {
				t.Errorf("%s: got a score %v; want one in [0, 1]", m.Method, v)
			}
		}
	}
	if rec, pop := rep.Methods[0], rep.Methods[2]; rec.MeanListLength != float64(cfg.K) || pop.MeanListLength != float64(cfg.K) {
		t.Errorf("list lengths: got %v and %v; want %d", rec.MeanListLength, pop.MeanListLength, cfg.K)
	}
	if _, err := os.Stat(filepath.Join(f.dir, "datasets", "retail", "v2")); err == nil {
		t.Error("the evaluation wrote a version into the source store")
	}
}

func TestEvalSplitCustomer(t *testing.T) {
	sale := func(id string, tm int64, items ...uint32) dataset.Order {
		o := dataset.Order{ID: id, Time: tm}
		for _, it := range items {
			o.Lines = append(o.Lines, dataset.Line{Item: it, Quantity: 1, Time: tm})
		}
		return o
	}
	cancel := dataset.Order{ID: "C9", Time: 5, Cancel: true, Lines: []dataset.Line{{Item: 1, Quantity: -1, Time: 5}}}
	ret := dataset.Order{ID: "r", Time: 6, Lines: []dataset.Line{{Item: 7, Quantity: -1, Time: 6}, {Item: 3, Quantity: 2, Time: 6}}}
	tests := []struct {
		name      string
		c         dataset.Customer
		n         int
		kept      int
		items     []int32
		evaluated bool
	}{
		{"one order", dataset.Customer{ID: "a", Orders: []dataset.Order{sale("1", 1, 1)}}, 1, 1, nil, false},
		{"no customer", dataset.Customer{ID: "", Orders: []dataset.Order{sale("1", 1, 1), sale("2", 2, 2)}}, 1, 2, nil, false},
		{"last", dataset.Customer{ID: "a", Orders: []dataset.Order{sale("1", 1, 1), sale("2", 2, 4, 2)}}, 1, 1, []int32{2, 4}, true},
		{"cancel after", dataset.Customer{ID: "a", Orders: []dataset.Order{sale("1", 1, 1), sale("2", 2, 2), cancel}}, 1, 1, []int32{2}, true},
		{"cancel between", dataset.Customer{ID: "a", Orders: []dataset.Order{sale("1", 1, 1), cancel, sale("3", 7, 2)}}, 1, 2, []int32{2}, true},
		{"return lines", dataset.Customer{ID: "a", Orders: []dataset.Order{sale("1", 1, 1), ret}}, 1, 1, []int32{3}, true},
		{"last two", dataset.Customer{ID: "a", Orders: []dataset.Order{sale("1", 1, 1), sale("2", 2, 2, 5), sale("3", 3, 2)}}, 2, 1, []int32{2, 5}, true},
		{"too few for two", dataset.Customer{ID: "a", Orders: []dataset.Order{sale("1", 1, 1), cancel, sale("3", 7, 2)}}, 2, 3, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kept, items, ok := splitCustomer(tt.c, tt.n)
			if len(kept) != tt.kept || !slices.Equal(items, tt.items) || ok != tt.evaluated {
				t.Errorf("got %d kept, items %v, %v; want %d, %v, %v", len(kept), items, ok, tt.kept, tt.items, tt.evaluated)
			}
		})
	}
}

// TestEvalTallyOracle compares the incremental scores with a direct count on
// random small lists.
func TestEvalTallyOracle(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 2000 {
		k := 1 + r.IntN(5)
		customers := 1 + r.IntN(6)
		tl := newTally()
		var hitC, listed int
		var prec, rec float64
		all := map[int32]bool{}
		for range customers {
			recs := randomSet(r, r.IntN(k+1), 12)
			hidden := randomSet(r, 1+r.IntN(4), 12)
			slices.Sort(hidden)
			tl.add(recs, hidden, k)
			hits := 0
			for _, x := range recs {
				all[x] = true
				if slices.Contains(hidden, x) {
					hits++
				}
			}
			if hits > 0 {
				hitC++
			}
			listed += len(recs)
			prec += float64(hits) / float64(k)
			rec += float64(hits) / float64(len(hidden))
		}
		got := tl.score("m", 12)
		n := float64(customers)
		want := MethodScore{Method: "m", Customers: customers, HitRate: float64(hitC) / n, Precision: prec / n, Recall: rec / n,
			Coverage: float64(len(all)) / 12, DistinctItems: len(all), MeanListLength: float64(listed) / n}
		if got != want {
			t.Fatalf("trial %d: got %+v; want %+v", trial, got, want)
		}
	}
}

// randomSet returns n distinct items below max.
func randomSet(r *rand.Rand, n, max int) []int32 {
	perm := r.Perm(max)[:n]
	out := make([]int32, n)
	for i, p := range perm {
		out[i] = int32(p)
	}
	return out
}

func TestEvalTopPopular(t *testing.T) {
	popular := []int32{5, 3, 9, 1, 7}
	recent := [][]int32{{3, 4}, {1, 9}}
	tests := []struct {
		k    int
		want []int32
	}{{1, []int32{5}}, {2, []int32{5, 7}}, {4, []int32{5, 7}}}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.k), func(t *testing.T) {
			if got := topPopular(nil, popular, recent, tt.k); !slices.Equal(got, tt.want) {
				t.Errorf("got %v; want %v", got, tt.want)
			}
		})
	}
}
