package crmapi

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/dataset"
)

// oracle is an independent, slow recommender over the raw result files
// and the dataset, written without the Model's indexes.
type oracle struct {
	items     []dataset.Item
	id        map[string]int
	rules     []ruleJSON
	pats      []sequenceJSON
	nSeq      int
	opt       sequences.Options
	baskets   map[string][][]string // recent baskets, newest first
	histories map[string]sequences.Sequence
	support   map[string]int
}

func readJSONL[T any](t *testing.T, f *fixture, o jobs.ResultObject) []T {
	t.Helper()
	data, err := readVerified(context.Background(), f.store, o)
	if err != nil {
		t.Fatal(err)
	}
	var out []T
	for _, line := range splitLines(data) {
		var v T
		if err := json.Unmarshal(line, &v); err != nil {
			t.Fatal(err)
		}
		out = append(out, v)
	}
	return out
}

func splitLines(data []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, b := range data {
		if b == '\n' {
			if i > start {
				out = append(out, data[start:i])
			}
			start = i + 1
		}
	}
	return out
}

func newOracle(t *testing.T, f *fixture, v int) *oracle {
	t.Helper()
	ctx := context.Background()
	mm, err := jobs.LoadModel(ctx, f.store, "retail", v)
	if err != nil {
		t.Fatal(err)
	}
	o := &oracle{id: map[string]int{}, baskets: map[string][][]string{}, histories: map[string]sequences.Sequence{}}
	o.rules = readJSONL[ruleJSON](t, f, mm.Rules.Objects[0])
	o.pats = readJSONL[sequenceJSON](t, f, mm.Sequences.Objects[0])
	o.nSeq = mm.Sequences.Records
	rm, err := jobs.LoadResult(ctx, f.store, mm.Sequences.Job)
	if err != nil {
		t.Fatal(err)
	}
	sp := rm.Spec.Sequences
	o.opt = sequences.Options{MinGap: sp.MinGap, MaxGap: sp.MaxGap, MaxWindow: sp.MaxWindow}
	d, err := dataset.Open(ctx, f.store, "retail", mm.DatasetVersion)
	if err != nil {
		t.Fatal(err)
	}
	if o.items, err = d.Items(ctx); err != nil {
		t.Fatal(err)
	}
	for i, it := range o.items {
		o.id[it.Name] = i
	}
	for i := range d.Manifest.Partitions {
		ids, seqs, err := d.ReadSequences(ctx, i, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		for j, id := range ids {
			o.histories[id] = seqs[j]
		}
		p, err := d.ReadPartition(ctx, i)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range p.Customers {
			orders := slices.Clone(c.Orders)
			slices.SortStableFunc(orders, func(a, b dataset.Order) int { return cmp.Or(cmp.Compare(b.Time, a.Time), cmp.Compare(b.ID, a.ID)) })
			for _, od := range orders {
				var basket []string
				for _, l := range od.Lines {
					if !od.Cancel && l.Quantity >= 0 && !slices.Contains(basket, o.items[l.Item].Name) {
						basket = append(basket, o.items[l.Item].Name)
					}
				}
				if len(basket) > 0 && len(o.baskets[c.ID]) < recentBaskets {
					o.baskets[c.ID] = append(o.baskets[c.ID], basket)
				}
			}
		}
	}
	return o
}

// occurs reports whether h contains elems (item names), by the naive
// matcher that tries every increasing tuple of events.
func (o *oracle) occurs(h sequences.Sequence, elems [][]string) bool {
	ids := make([][]int32, len(elems))
	for j, el := range elems {
		for _, name := range el {
			id, ok := o.id[name]
			if !ok {
				return false
			}
			ids[j] = append(ids[j], int32(id))
		}
	}
	return naiveContains(h, ids, o.opt)
}

func (o *oracle) supportOf(elems [][]string) int {
	if o.support == nil {
		o.support = map[string]int{}
		for _, p := range o.pats {
			o.support[fmt.Sprint(p.Elements)] = p.Support
		}
	}
	return o.support[fmt.Sprint(elems)]
}

type oracleRec struct {
	item, source string
	idx          int
	conf, lift   float64
	support      int
}

// recommend ranks every item any rule or pattern offers the customer.
func (o *oracle) recommend(cust string, k int) (recs []oracleRec, excluded map[string]bool) {
	excluded = map[string]bool{}
	for _, b := range o.baskets[cust] {
		for _, it := range b {
			excluded[it] = true
		}
	}
	best := map[string]oracleRec{}
	offer := func(r oracleRec) {
		if excluded[r.item] {
			return
		}
		old, ok := best[r.item]
		if !ok || cmpOracle(r, old, o) < 0 {
			best[r.item] = r
		}
	}
	for i, r := range o.rules {
		for _, b := range o.baskets[cust] {
			fires := true
			for _, it := range r.Antecedent {
				fires = fires && slices.Contains(b, it)
			}
			if fires {
				for _, c := range r.Consequent {
					offer(oracleRec{c, SourceRule, i, r.Confidence, r.Lift, r.Support})
				}
			}
		}
	}
	idx := 0
	for _, p := range o.pats {
		n := len(p.Elements)
		if n < 2 {
			continue
		}
		i := idx
		idx++
		if !o.occurs(o.histories[cust], p.Elements[:n-1]) {
			continue
		}
		conf := float64(p.Support) / float64(o.supportOf(p.Elements[:n-1]))
		lift := conf / (float64(o.supportOf(p.Elements[n-1:])) / float64(o.nSeq))
		for _, c := range p.Elements[n-1] {
			offer(oracleRec{c, SourceSequence, i, conf, lift, p.Support})
		}
	}
	for _, r := range best {
		recs = append(recs, r)
	}
	slices.SortFunc(recs, func(a, b oracleRec) int { return cmpOracle(a, b, o) })
	return recs[:min(k, len(recs))], excluded
}

func cmpOracle(a, b oracleRec, o *oracle) int {
	return cmp.Or(cmp.Compare(b.conf, a.conf), cmp.Compare(b.lift, a.lift), cmp.Compare(b.support, a.support),
		cmp.Compare(a.source, b.source), cmp.Compare(a.idx, b.idx), cmp.Compare(o.id[a.item], o.id[b.item]))
}

// TestRecommendationsMatchOracle checks every customer's served
// recommendations of both model versions against the oracle.
func TestRecommendationsMatchOracle(t *testing.T) {
	f := sharedFixture(t)
	m1, m2 := loadedModels(t)
	for _, m := range []*Model{m1, m2} {
		t.Run(fmt.Sprintf("v%d", m.Version), func(t *testing.T) {
			s := newTestServer(t, m)
			o := newOracle(t, f, m.Version)
			fired := 0
			for id, c := range m.customers {
				var got Recommendations
				get(t, s, "/v1/customers/"+id+"/recommendations?k=10", http.StatusOK, &got)
				want, excluded := o.recommend(id, 10)
				if len(got.Items) < len(want) {
					t.Fatalf("customer %s: %d items; want at least %d", id, len(got.Items), len(want))
				}
				for i, w := range want {
					g := got.Items[i]
					if g.Item != w.item || g.Source != w.source || g.Explanation.Confidence != w.conf || g.Explanation.Lift != w.lift || g.Explanation.Support != w.support {
						t.Fatalf("customer %s item %d: got %+v; want %+v", id, i, g, w)
					}
					fired++
				}
				seen := map[string]bool{}
				for _, g := range got.Items {
					if seen[g.Item] || excluded[g.Item] {
						t.Errorf("customer %s: item %s repeated or just bought", id, g.Item)
					}
					seen[g.Item] = true
				}
				if len(got.Items) < 10 {
					for _, b := range m.segments[c.segment].best {
						if name := m.items[b.item].Name; !seen[name] && !excluded[name] {
							t.Errorf("customer %s: %d items without best-seller %s", id, len(got.Items), name)
						}
					}
				}
				for _, g := range got.Items[len(want):] {
					if g.Source != SourceSegmentBestSeller || g.Explanation.Segment == nil || *g.Explanation.Segment != c.segment {
						t.Errorf("customer %s: fallback %+v; want a best-seller of segment %d", id, g, c.segment)
					}
				}
			}
			if fired == 0 {
				t.Error("no rule or sequence fired for any customer")
			}
		})
	}
}
