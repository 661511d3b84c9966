package nextbasket

import (
	"encoding/csv"
	"errors"
	"io"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
)

// split is a leave-last-basket-out split of a shared dataset: train holds
// every customer's history without the last basket (customers with one
// basket whole), cases predict the last basket of customers with two or
// more.
type split struct {
	n     int
	train []Customer
	cases []Case
}

// line is one purchase line of a shared CSV file.
type line struct {
	customer, basket, item string
	time                   int64
}

// readShared parses groceries.csv or online-retail-part.csv into lines.
func readShared(tb testing.TB, name string) []line {
	tb.Helper()
	f, err := os.Open(testenv.Shared(tb, name))
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	if _, err := r.Read(); err != nil {
		tb.Fatal(err)
	}
	var out []line
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			break // online-retail-part.csv ends mid-record
		}
		switch name {
		case "groceries.csv":
			if len(rec) < 3 {
				continue
			}
			d, err := time.Parse("2006-01-02", rec[1])
			if err != nil {
				tb.Fatalf("%s: %v", name, err)
			}
			out = append(out, line{rec[0], rec[0] + "/" + rec[1], rec[2], d.Unix()})
		default:
			// InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country
			if len(rec) != 8 || rec[6] == "" || rec[0] == "" || rec[0][0] == 'C' {
				continue
			}
			if q, err := strconv.Atoi(rec[3]); err != nil || q <= 0 {
				continue
			}
			d, err := time.Parse("02/01/2006 15:04", rec[4])
			if err != nil {
				continue
			}
			out = append(out, line{rec[6], rec[0], rec[1], d.Unix()})
		}
	}
	return out
}

// loadSplit dictionary-encodes items (by sorted name) and splits.
func loadSplit(tb testing.TB, name string) split {
	lines := readShared(tb, name)
	var names []string
	for _, l := range lines {
		names = append(names, l.item)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	type bk struct {
		t     int64
		key   string
		items []int32
	}
	baskets := map[string]map[string]*bk{}
	var custs []string
	for _, l := range lines {
		id, _ := slices.BinarySearch(names, l.item)
		m := baskets[l.customer]
		if m == nil {
			m = map[string]*bk{}
			baskets[l.customer] = m
			custs = append(custs, l.customer)
		}
		b := m[l.basket]
		if b == nil {
			b = &bk{t: l.time, key: l.basket}
			m[l.basket] = b
		}
		b.items = append(b.items, int32(id))
	}
	slices.Sort(custs)
	s := split{n: len(names), train: make([]Customer, 0, len(custs))}
	var owners []int
	for _, id := range custs {
		var bs []*bk
		for _, b := range baskets[id] {
			bs = append(bs, b)
		}
		slices.SortFunc(bs, func(a, b *bk) int {
			if a.t != b.t {
				return int(a.t - b.t)
			}
			if a.key < b.key {
				return -1
			}
			return 1
		})
		c := Customer{ID: id}
		for _, b := range bs {
			slices.Sort(b.items)
			c.Baskets = append(c.Baskets, Basket{Time: b.t, Items: slices.Compact(b.items)})
		}
		if len(c.Baskets) >= 2 {
			s.cases = append(s.cases, Case{Hidden: c.Baskets[len(c.Baskets)-1].Items})
			c.Baskets = c.Baskets[:len(c.Baskets)-1]
			owners = append(owners, len(s.train))
		}
		s.train = append(s.train, c)
	}
	for i, u := range owners {
		s.cases[i].History = &s.train[u]
	}
	return s
}

// methods returns one fresh instance of every baseline.
func methods() []struct {
	name string
	m    Model
} {
	return []struct {
		name string
		m    Model
	}{
		{"g-topfreq", &GTopFreq{}},
		{"g-topfreq-explore", &GTopFreq{ExcludePast: true}},
		{"p-topfreq", &PTopFreq{}},
		{"gp-topfreq", &GPTopFreq{}},
		{"item-knn", &ItemKNN{Neighbours: 100}},
		{"ease", &EASE{Lambda: 100}},
		{"tifu-knn", NewTIFUKNN(DefaultTIFUOptions())},
	}
}

// TestSharedDatasetsEvaluate runs every method on the groceries split and
// checks relations that hold whatever the data: lists are valid (Evaluate
// checks), GP-TopFreq hits at least wherever P-TopFreq does, the
// explore-only G-TopFreq recommends no past item.
func TestSharedDatasetsEvaluate(t *testing.T) {
	s := loadSplit(t, "groceries.csv")
	if len(s.cases) < 1000 || s.n != 167 {
		t.Fatalf("groceries: got %d cases over %d items; want over 1000 over 167", len(s.cases), s.n)
	}
	per := map[string][]Metrics{}
	for _, m := range methods() {
		if err := m.m.Fit(s.train, s.n); err != nil {
			t.Fatal(err)
		}
		sc, pm, err := Evaluate(m.name, m.m, s.cases, 10, s.n)
		if err != nil {
			t.Fatal(err)
		}
		per[m.name] = pm
		t.Logf("%-18s hit %.4f prec %.4f recall %.4f ndcg %.4f cov %.3f rec_rep %.4f (%d) rec_expl %.4f (%d) repR %.3f",
			m.name, sc.HitRate, sc.Precision, sc.Recall, sc.NDCG, sc.Coverage,
			sc.RecallRepeat, sc.RepeatCustomers, sc.RecallExplore, sc.ExploreCustomers, sc.RepeatRatio)
		if m.name == "g-topfreq-explore" && sc.RepeatRatio != 0 {
			t.Errorf("explore-only g-topfreq: got repeat ratio %v; want 0", sc.RepeatRatio)
		}
	}
	for i, p := range per["p-topfreq"] {
		if p.Hit > per["gp-topfreq"][i].Hit {
			t.Fatalf("case %d: p-topfreq hits, gp-topfreq does not", i)
		}
	}
	iv, err := PairedBootstrap(Values(per["gp-topfreq"], MetricRecall), Values(per["g-topfreq"], MetricRecall), 1000, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("recall@10 gp-topfreq − g-topfreq: %.4f [%.4f, %.4f]", iv.Mean, iv.Lo, iv.Hi)
}

// BenchmarkFit fits every method on the shared splits; run with
// -bench Fit -benchtime 1x. The EASE case on online retail is the
// inverse of a ~2,500² matrix.
func BenchmarkFit(b *testing.B) {
	for _, file := range []string{"groceries.csv", "online-retail-part.csv"} {
		for _, m := range methods() {
			b.Run(file+"/"+m.name, func(b *testing.B) {
				s := loadSplit(b, file)
				for b.Loop() {
					if err := m.m.Fit(s.train, s.n); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(s.n), "items")
				b.ReportMetric(float64(len(s.train)), "customers")
			})
		}
	}
}

// BenchmarkEvaluate times recommending 10 items to every case of the
// shared splits and reports the hit rate and recall.
func BenchmarkEvaluate(b *testing.B) {
	for _, file := range []string{"groceries.csv", "online-retail-part.csv"} {
		for _, m := range methods() {
			b.Run(file+"/"+m.name, func(b *testing.B) {
				s := loadSplit(b, file)
				if err := m.m.Fit(s.train, s.n); err != nil {
					b.Fatal(err)
				}
				var sc Scores
				for b.Loop() {
					var err error
					if sc, _, err = Evaluate(m.name, m.m, s.cases, 10, s.n); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(len(s.cases)), "cases")
				b.ReportMetric(sc.HitRate, "hit@10")
				b.ReportMetric(sc.Recall, "recall@10")
			})
		}
	}
}
