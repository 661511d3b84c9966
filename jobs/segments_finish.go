package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/kmeans"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

// SegmentJSON describes one segment in the log's units, as quarry mine
// segments writes it.
type SegmentJSON struct {
	Segment  int                `json:"segment"`
	Size     int                `json:"size"`
	Share    float64            `json:"share"`
	Mean     map[string]float64 `json:"mean"`
	Centroid map[string]float64 `json:"centroid"`
}

// SegmentsJSON is the segments.json result object, the same document as
// quarry mine segments' output.
type SegmentsJSON struct {
	K          int           `json:"k"`
	Scale      string        `json:"scale"`
	Inertia    float64       `json:"inertia"`
	Silhouette float64       `json:"silhouette"`
	Segments   []SegmentJSON `json:"segments"`
}

// CustomerJSON is one line of customers.jsonl: a customer's segment and
// features, as quarry mine segments --customers writes them.
type CustomerJSON struct {
	Customer    string  `json:"customer"`
	Segment     int32   `json:"segment"`
	RecencyDays float64 `json:"recency_days"`
	Frequency   float64 `json:"frequency"`
	Monetary    float64 `json:"monetary"`
}

// KMeansJSON is the kmeans.json result object: what serving needs to
// place a new customer (scaler and centroids in the scaled space) and the
// run's figures.
type KMeansJSON struct {
	Names      []string        `json:"names"`
	Scaler     features.Scaler `json:"scaler"`
	Centroids  kmeans.Matrix   `json:"centroids"`
	Seed       uint64          `json:"seed"`
	Inertia    float64         `json:"inertia"`
	Iterations int             `json:"iterations"`
	Converged  bool            `json:"converged"`
}

// featureNames returns the feature columns' names as quarry mine segments
// names them.
func featureNames(m *dataset.Manifest) []string {
	t := features.Table{Categories: len(m.Categories)}
	names := t.Names()
	for i, c := range m.Categories {
		names[3+i] = "share_" + c
	}
	return names
}

// runSegFinish gathers the labelled customers and writes segments.json,
// customers.jsonl and kmeans.json.
// DescribeSegments describes k segments in the log's units: raw is the
// row-major unscaled feature matrix with one column per name, labels each
// row's segment, and centroids the k centroids mapped back to the log's
// units (Scaler.Unscale). quarry mine segments and the segments job both
// describe segments with it, so their documents are the same.
func DescribeSegments(raw []float64, names []string, labels []int32, k int, centroids []float64) []SegmentJSON {
	cols := len(names)
	sums := make([][]float64, k)
	sizes := make([]int, k)
	for j := range sums {
		sums[j] = make([]float64, cols)
	}
	for i, l := range labels {
		sizes[l]++
		for c := 0; c < cols; c++ {
			sums[l][c] += raw[i*cols+c]
		}
	}
	out := make([]SegmentJSON, 0, k)
	for j := 0; j < k; j++ {
		s := SegmentJSON{Segment: j, Size: sizes[j], Share: float64(sizes[j]) / float64(len(labels)), Mean: map[string]float64{}, Centroid: map[string]float64{}}
		for c, name := range names {
			if sizes[j] > 0 {
				s.Mean[name] = sums[j][c] / float64(sizes[j])
			}
			s.Centroid[name] = centroids[j*cols+c]
		}
		out = append(out, s)
	}
	return out
}

func runSegFinish(ctx context.Context, b objstore.Bucket, d *dataset.Dataset, t *TaskSpec, res *TaskResult) error {
	var sp segParams
	if err := params(t, &sp); err != nil {
		return err
	}
	if sp.Fit == nil || sp.Scaler == nil {
		return fmt.Errorf("task %s/%d: %w: no fit", t.Stage, t.Index, ErrPlan)
	}
	fit := sp.Fit
	all, err := gatherAssigned(ctx, b, t.Inputs, fit.K)
	if err != nil {
		return err
	}
	n, cols := len(all.IDs), all.Cols
	res.Rows = int64(n)
	names := featureNames(d.Manifest)
	if len(names) != cols {
		return fmt.Errorf("%w: %d feature columns, %d names", ErrCorrupt, cols, len(names))
	}
	out := SegmentsJSON{K: fit.K, Scale: fit.Scale, Inertia: fit.Inertia}
	if fit.K > 1 {
		x := kmeans.Matrix{Rows: n, Cols: cols, Data: sp.Scaler.Apply(all.Raw)}
		out.Silhouette = kmeans.Silhouette(x, all.Labels, kmeans.AutoSample, fit.Seed)
	}
	out.Segments = DescribeSegments(all.Raw, names, all.Labels, fit.K, sp.Scaler.Unscale(fit.Centroids.Data))
	w := newResultWriter(b, t, n, 0, res)
	if err := w.add(ctx, "segments.json", fit.K, func(wr io.Writer) error { return json.NewEncoder(wr).Encode(out) }); err != nil {
		return err
	}
	if err := w.add(ctx, "customers.jsonl", n, func(wr io.Writer) error {
		enc := json.NewEncoder(wr)
		for i, c := range all.Customers {
			row := all.Raw[i*cols:]
			if err := enc.Encode(CustomerJSON{c, all.Labels[i], row[0], row[1], row[2]}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	km := KMeansJSON{Names: names, Scaler: *sp.Scaler, Centroids: fit.Centroids, Seed: fit.Seed, Inertia: fit.Inertia, Iterations: fit.Iterations, Converged: fit.Converged}
	if err := w.add(ctx, "kmeans.json", fit.K, func(wr io.Writer) error { return json.NewEncoder(wr).Encode(km) }); err != nil {
		return err
	}
	return w.close(ctx)
}
