package jobs

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sort"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/kmeans"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// featureRows are a bucket's customers: global row ids (the rank of the
// customer id among all customers' ids, the row order of the
// single-process feature matrix), customer ids and raw feature rows, in
// ascending id order. After assign, Labels holds each row's segment.
type featureRows struct {
	IDs       []int64
	Customers []string
	Cols      int
	Raw       []float64
	Labels    []int32
}

func encodeFeatureRows(f *featureRows, k kind) []byte {
	e := newEnc(k)
	e.uvarint(uint64(len(f.IDs)))
	e.uvarint(uint64(f.Cols))
	for i, id := range f.IDs {
		e.varint(id)
		e.str(f.Customers[i])
		for _, v := range f.Raw[i*f.Cols : (i+1)*f.Cols] {
			e.float(v)
		}
		if k == kindAssign {
			e.varint(int64(f.Labels[i]))
		}
	}
	return e.bytes()
}

func decodeFeatureRowsKind(data []byte, k kind) (*featureRows, error) {
	d, err := open(data, k)
	if err != nil {
		return nil, err
	}
	n := d.count(3)
	cols := int(d.uvarint())
	if d.err == nil && (cols < 1 || cols > 1<<16 || n > d.left()/(2+8*cols)) {
		d.fail(fmt.Sprintf("%d rows of %d columns", n, cols))
	}
	if d.err != nil {
		return nil, d.err
	}
	f := &featureRows{Cols: cols, IDs: make([]int64, n), Customers: make([]string, n), Raw: make([]float64, n*cols)}
	if k == kindAssign {
		f.Labels = make([]int32, n)
	}
	for i := 0; i < n && d.err == nil; i++ {
		f.IDs[i] = d.varint()
		f.Customers[i] = d.str()
		for j := range cols {
			f.Raw[i*cols+j] = d.float()
		}
		if k == kindAssign {
			f.Labels[i] = int32(d.varint())
		}
	}
	return f, d.done()
}

func decodeFeatureRows(data []byte) (*featureRows, error) {
	return decodeFeatureRowsKind(data, kindFeatures)
}

func decodeAssigned(data []byte) (*featureRows, error) {
	return decodeFeatureRowsKind(data, kindAssign)
}

func oneBucket(t *TaskSpec) error {
	if len(t.Buckets) != 1 {
		return fmt.Errorf("task %s/%d: %w: segments tasks read one bucket, got %v", t.Stage, t.Index, ErrPlan, t.Buckets)
	}
	return nil
}

// runSegScan lists the bucket's customers and its latest purchase time.
func runSegScan(ctx context.Context, b objstore.Bucket, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	if err := oneBucket(t); err != nil {
		return err
	}
	bp, err := readPurchases(ctx, d, t, res)
	if err != nil {
		return err
	}
	s := segSummary{Customers: len(bp.customers), MaxTime: math.MinInt64}
	for _, p := range bp.ps {
		s.MaxTime = max(s.MaxTime, p.Time)
	}
	summarize(res, s)
	return writePartial(ctx, b, t, encodeStrings(bp.customers), res)
}

// runSegFeatures computes the bucket's feature rows at the global Now,
// their global row ids, and the scaling statistics.
func runSegFeatures(ctx context.Context, b objstore.Bucket, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	if err := oneBucket(t); err != nil {
		return err
	}
	var sp segParams
	if err := params(t, &sp); err != nil {
		return err
	}
	if len(t.Inputs) != d.Manifest.Partitioning.Partitions {
		return fmt.Errorf("task %s/%d: %w: %d scan inputs for %d buckets", t.Stage, t.Index, ErrPlan, len(t.Inputs), d.Manifest.Partitioning.Partitions)
	}
	bp, err := readPurchases(ctx, d, t, res)
	if err != nil {
		return err
	}
	table, err := features.Compute(bp.ps, features.Options{Now: sp.Now, Categories: len(d.Manifest.Categories)})
	if err != nil {
		return err
	}
	f := &featureRows{Customers: make([]string, table.Len()), IDs: make([]int64, table.Len())}
	for i, c := range table.Customers {
		f.Customers[i] = bp.customers[c]
	}
	// A customer's global row is the number of customer ids below its own
	// in every bucket (ids are unique to a bucket).
	for bi, key := range t.Inputs {
		if bi == t.Buckets[0] {
			for i, c := range table.Customers {
				f.IDs[i] += int64(c)
			}
			continue
		}
		ids, err := readInput(ctx, b, key, decodeStrings)
		if err != nil {
			return err
		}
		for i, c := range f.Customers {
			f.IDs[i] += int64(sort.SearchStrings(ids, c))
		}
	}
	f.Raw, f.Cols = table.Matrix()
	var logCols []bool
	method := resolveSegments(t.Spec.Segments).method
	if method == features.LogStandard {
		logCols = features.LogColumns(&table)
	}
	st := features.NewStats(f.Cols, logCols)
	if table.Len() > 0 {
		if err := st.AddRows(f.Raw); err != nil {
			return fmt.Errorf("bucket %d: %w", t.Buckets[0], err)
		}
	}
	stats, err := st.MarshalBinary()
	if err != nil {
		return err
	}
	summarize(res, segSummary{Customers: table.Len(), Stats: stats})
	return writePartial(ctx, b, t, encodeFeatureRows(f, kindFeatures), res)
}

// scaled reads the bucket's feature rows and scales them.
func scaled(ctx context.Context, b objstore.Bucket, t *TaskSpec, sp *segParams) (*featureRows, kmeans.Matrix, error) {
	if len(t.Inputs) != 1 || sp.Scaler == nil {
		return nil, kmeans.Matrix{}, fmt.Errorf("task %s/%d: %w: want one features input and a scaler", t.Stage, t.Index, ErrPlan)
	}
	f, err := readInput(ctx, b, t.Inputs[0], decodeFeatureRows)
	if err != nil {
		return nil, kmeans.Matrix{}, err
	}
	if f.Cols != sp.Scaler.Cols() {
		return nil, kmeans.Matrix{}, fmt.Errorf("%s: %w: %d columns, scaler has %d", t.Inputs[0], ErrCorrupt, f.Cols, sp.Scaler.Cols())
	}
	return f, kmeans.Matrix{Rows: len(f.IDs), Cols: f.Cols, Data: sp.Scaler.Apply(f.Raw)}, nil
}

// runSegStep runs the k-means steps that need only the bucket's scaled
// rows and the broadcast parameters: bounds and first candidate, a
// k-means|| round's cost or samples, a Lloyd step's partial sums.
func runSegStep(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	var sp segParams
	if err := params(t, &sp); err != nil {
		return err
	}
	f, x, err := scaled(ctx, b, t, &sp)
	if err != nil {
		return err
	}
	res.Rows = int64(x.Rows)
	o := resolveSegments(t.Spec.Segments)
	var s segSummary
	seedPart := func() (*kmeans.SeedPart, error) {
		if sp.Cands == nil || len(sp.Bounds) != x.Cols {
			return nil, fmt.Errorf("task %s/%d: %w: missing candidates or bounds", t.Stage, t.Index, ErrPlan)
		}
		p, err := kmeans.NewSeedPart(x, f.IDs)
		if err != nil {
			return nil, err
		}
		return p, nil
	}
	switch t.Op {
	case OpSegBounds:
		s.Bounds = kmeans.ComputeBounds(x)
		p, err := kmeans.NewSeedPart(x, f.IDs)
		if err != nil {
			return err
		}
		if c, ok := p.First(o.seed); ok {
			s.First = &c
		}
	case OpSegCost:
		p, err := seedPart()
		if err != nil {
			return err
		}
		cost := p.Update(*sp.Cands, sp.Bounds)
		s.Cost, s.Weights = &cost, p.Weights()
		if sp.Moments {
			m := kmeans.NewMoments(x, sp.Bounds)
			s.Moments = &m
		}
	case OpSegSample:
		p, err := seedPart()
		if err != nil {
			return err
		}
		if sp.Cost == nil {
			return fmt.Errorf("task %s/%d: %w: no cost", t.Stage, t.Index, ErrPlan)
		}
		p.Update(*sp.Cands, sp.Bounds)
		s.Samples = p.Sample(*sp.Cost, o.ell, o.seed, sp.Round)
	case OpSegLloyd:
		part, err := lloydPartial(t, &sp, x, nil)
		if err != nil {
			return err
		}
		s.Partial = &part
	}
	summarize(res, s)
	return nil
}

func lloydPartial(t *TaskSpec, sp *segParams, x kmeans.Matrix, labels []int32) (kmeans.Partial, error) {
	if sp.Centroids == nil {
		return kmeans.Partial{}, fmt.Errorf("task %s/%d: %w: no centroids", t.Stage, t.Index, ErrPlan)
	}
	step, err := kmeans.NewStep(*sp.Centroids, sp.Bounds)
	if err != nil {
		return kmeans.Partial{}, err
	}
	return step.AccumulateLabels(x, labels)
}

// runSegAssign labels the bucket's customers with the final centroids.
func runSegAssign(ctx context.Context, b objstore.Bucket, t *TaskSpec, res *TaskResult) error {
	var sp segParams
	if err := params(t, &sp); err != nil {
		return err
	}
	f, x, err := scaled(ctx, b, t, &sp)
	if err != nil {
		return err
	}
	f.Labels = make([]int32, x.Rows)
	part, err := lloydPartial(t, &sp, x, f.Labels)
	if err != nil {
		return err
	}
	res.Rows = int64(x.Rows)
	summarize(res, segSummary{Partial: &part})
	return writePartial(ctx, b, t, encodeFeatureRows(f, kindAssign), res)
}

// gatherAssigned reads every bucket's labelled rows, each labelled in
// [0, segments), into global row order.
func gatherAssigned(ctx context.Context, b objstore.Bucket, keys []string, segments int) (*featureRows, error) {
	var parts []*featureRows
	n, cols := 0, 0
	for _, k := range keys {
		f, err := readInput(ctx, b, k, decodeAssigned)
		if err != nil {
			return nil, err
		}
		if cols != 0 && f.Cols != cols {
			return nil, fmt.Errorf("%s: %w: %d columns, others %d", k, ErrCorrupt, f.Cols, cols)
		}
		cols = f.Cols
		n += len(f.IDs)
		parts = append(parts, f)
	}
	all := &featureRows{Cols: cols, IDs: make([]int64, n), Customers: make([]string, n), Raw: make([]float64, n*cols), Labels: make([]int32, n)}
	seen := make([]bool, n)
	for pi, f := range parts {
		for i, id := range f.IDs {
			if id < 0 || id >= int64(n) || seen[id] {
				return nil, fmt.Errorf("%s: %w: row id %d repeated or outside [0, %d)", keys[pi], ErrCorrupt, id, n)
			}
			if l := f.Labels[i]; l < 0 || int(l) >= segments {
				return nil, fmt.Errorf("%s: %w: row id %d labelled %d, outside [0, %d)", keys[pi], ErrCorrupt, id, l, segments)
			}
			seen[id] = true
			all.IDs[id], all.Customers[id], all.Labels[id] = id, f.Customers[i], f.Labels[i]
			copy(all.Raw[int(id)*cols:], f.Raw[i*cols:(i+1)*cols])
		}
	}
	if !slices.IsSorted(all.Customers) {
		return nil, fmt.Errorf("%w: row ids do not follow customer ids", ErrCorrupt)
	}
	return all, nil
}
