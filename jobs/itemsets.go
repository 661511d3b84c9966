package jobs

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"slices"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/algorithms/rules"
	"github.com/quarrydata/quarry/algorithms/support"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

var itemsetOps = twoPhaseOps{local: OpItemsetsLocal, union: OpItemsetsUnion, count: OpItemsetsCount, finish: OpItemsetsFinish}

func nextItemsets(st *State) (*Stage, error) {
	if k := st.Manifest.Kind; k != dataset.KindBaskets && k != dataset.KindLog {
		return nil, fmt.Errorf("%w: itemsets need a baskets or log dataset; %s is %s", ErrPlan, st.Manifest.Name, k)
	}
	return nextTwoPhase(st, itemsetOps, st.Job.Spec.Itemsets.MinSupport)
}

func itemsetKind(s string) itemsets.Kind {
	switch s {
	case "closed":
		return itemsets.Closed
	case "maximal":
		return itemsets.Maximal
	}
	return itemsets.All
}

// localOptions are the options of phase one: all frequent itemsets (with
// one more item when closed or maximal ones are selected at the end).
func localOptions(s *ItemsetsSpec) itemsets.Options {
	o := itemsets.Options{MaxSize: s.MaxSize, Kind: itemsets.All, MaxPatterns: maxPatterns(s.MaxPatterns)}
	if itemsetKind(s.Kind) != itemsets.All && s.MaxSize > 0 {
		o.MaxSize = s.MaxSize + 1
	}
	return o
}

func runSize(ctx context.Context, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	var n int
	switch t.Spec.Type {
	case TypeSequences:
		unit, _ := ParseTimeUnit(t.Spec.Sequences.TimeUnit)
		seqs, err := readSequences(ctx, d, t, unit, res)
		if err != nil {
			return err
		}
		n = len(seqs)
	default:
		txs, err := readBaskets(ctx, d, t, res)
		if err != nil {
			return err
		}
		n = len(txs)
	}
	summarize(res, sizeSummary{Records: n})
	return nil
}

func runItemsetsLocal(ctx context.Context, b objstore.Bucket, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	var p thresholdParams
	if err := params(t, &p); err != nil {
		return err
	}
	txs, err := readBaskets(ctx, d, t, res)
	if err != nil {
		return err
	}
	var (
		lists    [][][]uint32
		supports []int
	)
	if p.N >= p.MinCount && len(txs) > 0 {
		o := localOptions(t.Spec.Itemsets)
		o.MinCount = support.Local(p.MinCount, len(txs), p.N)
		sets, err := itemsets.Mine(txs, o)
		if err != nil {
			return fmt.Errorf("bucket %v: %w", t.Buckets, err)
		}
		for _, s := range sets {
			lists = append(lists, [][]uint32{s.Items})
			supports = append(supports, s.Support)
		}
	}
	summarize(res, sizeSummary{Records: len(lists)})
	return writePartial(ctx, b, t, encodeCounted(lists, supports, false), res)
}

// itemKey appends a byte key for a sorted item list.
func itemKey(dst []byte, items []uint32) []byte {
	for _, it := range items {
		dst = binary.LittleEndian.AppendUint32(dst, it)
	}
	return dst
}

func runItemsetsUnion(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	seen := map[string]bool{}
	var all []itemsets.Itemset
	var key []byte
	for _, in := range t.Inputs {
		lists, err := readInput(ctx, b, in, decodeCountedItemsets)
		if err != nil {
			return err
		}
		for _, l := range lists {
			key = itemKey(key[:0], l[0])
			if !seen[string(key)] {
				seen[string(key)] = true
				all = append(all, itemsets.Itemset{Items: l[0]})
			}
		}
	}
	itemsets.Sort(all)
	lists := make([][]uint32, len(all))
	for i, s := range all {
		lists[i] = s.Items
	}
	summarize(res, sizeSummary{Records: len(lists)})
	return writePartial(ctx, b, t, encodeItemLists(lists), res)
}

func runItemsetsCount(ctx context.Context, b objstore.Bucket, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	if len(t.Inputs) != 1 {
		return fmt.Errorf("task %s/%d: %w: want 1 input, got %d", t.Stage, t.Index, ErrPlan, len(t.Inputs))
	}
	cands, err := readInput(ctx, b, t.Inputs[0], decodeItemLists)
	if err != nil {
		return err
	}
	txs, err := readBaskets(ctx, d, t, res)
	if err != nil {
		return err
	}
	c := itemsets.NewCounter(cands)
	for _, tx := range txs {
		c.Add(tx)
	}
	return writePartial(ctx, b, t, encodeCounts(c.Counts()), res)
}

func decodeCountedItemsets(data []byte) ([][][]uint32, error) {
	l, _, err := decodeCounted(data, false)
	return l, err
}

// sumCounts reads the candidates (inputs[0]) and adds up the counts of
// every partition (inputs[1:]); a single input is a lone phase-one
// result, whose supports are exact. Itemsets come back as patterns of one
// element.
func sumCounts(ctx context.Context, b objstore.Bucket, t *TaskSpec, elements bool) ([][][]uint32, []int, error) {
	if len(t.Inputs) == 0 {
		return nil, nil, fmt.Errorf("task %s/%d: %w: no inputs", t.Stage, t.Index, ErrPlan)
	}
	data, err := readObject(ctx, b, t.Inputs[0], MaxObject)
	if err != nil {
		return nil, nil, err
	}
	if len(t.Inputs) == 1 {
		lists, supports, err := decodeCounted(data, elements)
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", t.Inputs[0], err)
		}
		return lists, supports, nil
	}
	var cands [][][]uint32
	if elements {
		cands, err = decodePatterns(data)
	} else {
		var sets [][]uint32
		sets, err = decodeItemLists(data)
		cands = make([][][]uint32, len(sets))
		for i, s := range sets {
			cands[i] = [][]uint32{s}
		}
	}
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", t.Inputs[0], err)
	}
	total := make([]int, len(cands))
	for _, in := range t.Inputs[1:] {
		c, err := readInput(ctx, b, in, decodeCounts)
		if err != nil {
			return nil, nil, err
		}
		if len(c) != len(total) {
			return nil, nil, fmt.Errorf("%s: %w: %d counts for %d candidates", in, ErrCorrupt, len(c), len(total))
		}
		for i, v := range c {
			total[i] += v
		}
	}
	return cands, total, nil
}

func runItemsetsFinish(ctx context.Context, b objstore.Bucket, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	var p thresholdParams
	if err := params(t, &p); err != nil {
		return err
	}
	s := t.Spec.Itemsets
	cands, total, err := sumCounts(ctx, b, t, false)
	if err != nil {
		return err
	}
	frequent := []itemsets.Itemset{}
	if p.N >= p.MinCount {
		for i, c := range cands {
			if total[i] >= p.MinCount {
				frequent = append(frequent, itemsets.Itemset{Items: c[0], Support: total[i]})
			}
		}
	}
	kind := itemsetKind(s.Kind)
	out := frequent
	if kind != itemsets.All {
		out = itemsets.SelectKind(frequent, kind, s.MaxSize)
	}
	if mp := maxPatterns(s.MaxPatterns); mp > 0 && len(out) > mp {
		return fmt.Errorf("%w: more than %d at min count %d; raise the minimum support, bound the itemset size, or mine closed or maximal itemsets",
			itemsets.ErrTooManyPatterns, mp, p.MinCount)
	}
	var rs []rules.Rule
	if s.Rules != nil {
		all := frequent
		if kind != itemsets.All && s.MaxSize > 0 {
			all = slices.DeleteFunc(slices.Clone(frequent), func(x itemsets.Itemset) bool { return len(x.Items) > s.MaxSize })
		}
		r := s.Rules
		rs, err = rules.Generate(all, p.N, rules.Options{MinConfidence: r.MinConfidence, MinLift: r.MinLift, MinLeverage: r.MinLeverage,
			MinConviction: r.MinConviction, MaxAntecedent: r.MaxAntecedent, MaxConsequent: r.MaxConsequent})
		if err != nil {
			return err
		}
		rules.Sort(rs)
	}
	names, raw, err := outputNames(ctx, d)
	if err != nil {
		return err
	}
	if raw != nil {
		for i := range out {
			if out[i].Items, err = translate(out[i].Items, raw); err != nil {
				return err
			}
		}
		for i := range rs {
			if rs[i].Antecedent, err = translate(rs[i].Antecedent, raw); err != nil {
				return err
			}
			if rs[i].Consequent, err = translate(rs[i].Consequent, raw); err != nil {
				return err
			}
		}
	}
	w := newResultWriter(b, t, p.N, p.MinCount, res)
	var parts []resultPart
	for _, f := range []format.OutputFormat{format.JSONLines, format.SPMF} {
		parts = append(parts, resultPart{"itemsets." + ext(f), len(out), func(wr io.Writer) error {
			pw := format.NewPatternWriter(wr, f, names, p.N)
			if err := pw.Itemsets(out); err != nil {
				return err
			}
			return pw.Close()
		}})
	}
	if s.Rules != nil {
		for _, f := range []format.OutputFormat{format.JSONLines, format.SPMF} {
			parts = append(parts, resultPart{"rules." + ext(f), len(rs), func(wr io.Writer) error {
				pw := format.NewPatternWriter(wr, f, names, p.N)
				if err := pw.Rules(rs); err != nil {
					return err
				}
				return pw.Close()
			}})
		}
	}
	if err := w.addAll(ctx, parts...); err != nil {
		return err
	}
	res.Rows = int64(len(cands))
	return w.close(ctx)
}

// ext returns the file extension of an output format.
func ext(f format.OutputFormat) string {
	if f == format.JSONLines {
		return "jsonl"
	}
	return string(f)
}
