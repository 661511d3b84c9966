package jobs

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/dataset"
)

// bucketParts returns the partitions of the task's buckets, every segment's,
// in manifest order.
func bucketParts(d *dataset.Dataset, t *TaskSpec, res *TaskResult) ([]int, error) {
	if len(t.Buckets) == 0 {
		return nil, fmt.Errorf("task %s/%d: %w: no bucket to read", t.Stage, t.Index, ErrPlan)
	}
	var parts []int
	for _, b := range t.Buckets {
		if b < 0 || b >= d.Manifest.Partitioning.Partitions {
			return nil, fmt.Errorf("task %s/%d: %w: bucket %d outside [0, %d)", t.Stage, t.Index, ErrPlan, b, d.Manifest.Partitioning.Partitions)
		}
		for _, i := range d.Manifest.Bucket(b) {
			parts = append(parts, i)
			res.BytesRead += d.Manifest.Partitions[i].Size
		}
	}
	return parts, nil
}

// readBaskets returns the transactions of the task's buckets.
func readBaskets(ctx context.Context, d *dataset.Dataset, t *TaskSpec, res *TaskResult) ([][]uint32, error) {
	parts, err := bucketParts(d, t, res)
	if err != nil {
		return nil, err
	}
	var txs [][]uint32
	for _, i := range parts {
		b, err := d.ReadBaskets(ctx, i)
		if err != nil {
			return nil, err
		}
		txs = append(txs, b...)
	}
	res.Rows += int64(len(txs))
	return txs, nil
}

// readSequences returns the sequences of the task's buckets. For a log
// appended to, a customer's sequences from several segments are merged
// (events of the same time unit united), which is what the single-process
// builder makes of the concatenated sources.
func readSequences(ctx context.Context, d *dataset.Dataset, t *TaskSpec, unit time.Duration, res *TaskResult) ([]sequences.Sequence, error) {
	parts, err := bucketParts(d, t, res)
	if err != nil {
		return nil, err
	}
	var (
		custs []string
		seqs  []sequences.Sequence
	)
	for _, i := range parts {
		c, s, err := d.ReadSequences(ctx, i, unit)
		if err != nil {
			return nil, err
		}
		custs = append(custs, c...)
		seqs = append(seqs, s...)
	}
	if d.Manifest.Kind == dataset.KindLog && len(parts) > 1 {
		seqs = mergeCustomerSequences(custs, seqs)
	}
	res.Rows += int64(len(seqs))
	return seqs, nil
}

// mergeCustomerSequences merges the sequences of equal customer ids,
// returning one per customer in ascending id order.
func mergeCustomerSequences(custs []string, seqs []sequences.Sequence) []sequences.Sequence {
	idx := make([]int, len(custs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmp.Compare(custs[a], custs[b]) })
	var out []sequences.Sequence
	for lo := 0; lo < len(idx); {
		hi := lo + 1
		for hi < len(idx) && custs[idx[hi]] == custs[idx[lo]] {
			hi++
		}
		if hi == lo+1 {
			out = append(out, seqs[idx[lo]])
		} else {
			byTime := map[int64][]uint32{}
			for _, j := range idx[lo:hi] {
				for _, e := range seqs[j] {
					byTime[e.Time] = append(byTime[e.Time], e.Items...)
				}
			}
			var seq sequences.Sequence
			for tm, items := range byTime {
				slices.Sort(items)
				seq = append(seq, sequences.Event{Time: tm, Items: slices.Compact(items)})
			}
			slices.SortFunc(seq, func(a, b sequences.Event) int { return cmp.Compare(a.Time, b.Time) })
			out = append(out, seq)
		}
		lo = hi
	}
	return out
}

// bucketPurchases are the purchases of a task's buckets, customers indexed
// in ascending id order within the task.
type bucketPurchases struct {
	ps        []features.Purchase
	customers []string
}

// readPurchases returns the purchases of the task's buckets. Customers
// present in several segments get one index; orders are identified by
// their id string, as format.PurchaseBuilder does.
func readPurchases(ctx context.Context, d *dataset.Dataset, t *TaskSpec, res *TaskResult) (*bucketPurchases, error) {
	parts, err := bucketParts(d, t, res)
	if err != nil {
		return nil, err
	}
	if len(parts) == 1 {
		p, err := d.ReadPurchases(ctx, parts[0])
		if err != nil {
			return nil, err
		}
		res.Rows += int64(len(p.Purchases))
		return &bucketPurchases{ps: p.Purchases, customers: p.Customers}, nil
	}
	var all []*dataset.Purchases
	ids := map[string]bool{}
	for _, i := range parts {
		p, err := d.ReadPurchases(ctx, i)
		if err != nil {
			return nil, err
		}
		for _, c := range p.Customers {
			ids[c] = true
		}
		all = append(all, p)
	}
	out := &bucketPurchases{}
	for c := range ids {
		out.customers = append(out.customers, c)
	}
	slices.Sort(out.customers)
	custIdx := make(map[string]uint32, len(out.customers))
	for i, c := range out.customers {
		custIdx[c] = uint32(i)
	}
	orderIdx := map[string]uint32{}
	for _, p := range all {
		for _, q := range p.Purchases {
			o, ok := orderIdx[p.Orders[q.Order]]
			if !ok {
				o = uint32(len(orderIdx))
				orderIdx[p.Orders[q.Order]] = o
			}
			q.Customer, q.Order = custIdx[p.Customers[q.Customer]], o
			out.ps = append(out.ps, q)
		}
	}
	res.Rows += int64(len(out.ps))
	return out, nil
}
