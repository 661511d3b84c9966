package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/kmeans"
	"github.com/quarrydata/quarry/storage/format"
)

// refSegments is quarry mine segments on the raw file: its segments.json
// and customers.jsonl bytes and the k-means result.
func refSegments(t *testing.T, in input, s *SegmentsSpec) ([]byte, []byte, kmeans.Result) {
	t.Helper()
	o := resolveSegments(s)
	ps, customers, cats := refPurchases(t, in)
	table, err := features.Compute(ps, features.Options{Categories: len(cats)})
	if err != nil {
		t.Fatal(err)
	}
	sc, err := features.Scale(&table, o.method)
	if err != nil {
		t.Fatal(err)
	}
	x := kmeans.Matrix{Rows: table.Len(), Cols: sc.Cols, Data: sc.Data}
	res, err := kmeans.Fit(x, kmeans.Options{K: o.k, Init: kmeans.KMeansParallel, Seed: o.seed, Tol: o.tol, MaxIter: s.MaxIter,
		Rounds: s.Rounds, Oversampling: s.Oversampling, Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	raw, cols := table.Matrix()
	names := table.Names()
	for i, c := range cats {
		names[3+i] = "share_" + c
	}
	out := SegmentsJSON{K: res.K, Scale: o.method.String(), Inertia: res.Inertia}
	if res.K > 1 {
		out.Silhouette = kmeans.Silhouette(x, res.Labels, kmeans.AutoSample, o.seed)
	}
	sums := make([][]float64, res.K)
	sizes := make([]int, res.K)
	for j := range sums {
		sums[j] = make([]float64, cols)
	}
	for i, l := range res.Labels {
		sizes[l]++
		for c := 0; c < cols; c++ {
			sums[l][c] += raw[i*cols+c]
		}
	}
	centroids := sc.Scaler.Unscale(res.Centroids.Data)
	for j := 0; j < res.K; j++ {
		sg := SegmentJSON{Segment: j, Size: sizes[j], Share: float64(sizes[j]) / float64(table.Len()), Mean: map[string]float64{}, Centroid: map[string]float64{}}
		for c, name := range names {
			if sizes[j] > 0 {
				sg.Mean[name] = sums[j][c] / float64(sizes[j])
			}
			sg.Centroid[name] = centroids[j*cols+c]
		}
		out.Segments = append(out.Segments, sg)
	}
	var seg, cust bytes.Buffer
	if err := json.NewEncoder(&seg).Encode(out); err != nil {
		t.Fatal(err)
	}
	enc := json.NewEncoder(&cust)
	for i, c := range table.Customers {
		if err := enc.Encode(CustomerJSON{customers[c], res.Labels[i], table.Recency[i], table.Frequency[i], table.Monetary[i]}); err != nil {
			t.Fatal(err)
		}
	}
	return seg.Bytes(), cust.Bytes(), res
}

func u64(v uint64) *uint64   { return &v }
func f64(v float64) *float64 { return &v }

// TestSegmentsExact runs segments jobs with 1, 4 and 16 partitions and
// checks that the centroids equal kmeans.Fit's with k-means|| on the
// single-process feature matrix bit for bit, and that segments.json and
// customers.jsonl equal quarry mine segments' output byte for byte.
func TestSegmentsExact(t *testing.T) {
	cases := []struct {
		name  string
		in    func(t *testing.T) input
		spec  SegmentsSpec
		parts []int
	}{
		{"online-retail-sample", testdataInput("online-retail-sample.csv.gz", format.FormatCSV, retailCols), SegmentsSpec{K: 4}, []int{1, 4, 16}},
		{"online-retail-sample/tol0", testdataInput("online-retail-sample.csv.gz", format.FormatCSV, retailCols), SegmentsSpec{K: 6, Seed: u64(7), Tol: f64(0), Scale: "standard"}, []int{4}},
		{"groceries-sample", testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols), SegmentsSpec{K: 3, Seed: u64(42), Scale: "minmax"}, []int{1, 4, 16}},
		{"groceries-sample/k1", testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols), SegmentsSpec{K: 1}, []int{4}},
		{"shared/online-retail-part", sharedInput("online-retail-part.csv", format.FormatCSV, retailCols, true), SegmentsSpec{K: 5, Seed: u64(3)}, []int{1, 4, 16}},
		{"shared/groceries", sharedInput("groceries.csv", format.FormatCSV, groceryCols, false), SegmentsSpec{K: 4, MaxIter: 5}, []int{1, 16}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := c.in(t)
			wantSeg, wantCust, want := refSegments(t, in, &c.spec)
			for _, p := range c.parts {
				t.Run(fmt.Sprintf("P%d", p), func(t *testing.T) {
					store := newStore(t)
					importInput(t, store, "d", in, p)
					spec := c.spec
					res, err := RunLocal(context.Background(), store, Spec{Type: TypeSegments, Dataset: "d", Segments: &spec}, LocalOptions{Workers: 2})
					if err != nil {
						t.Fatal(err)
					}
					var km KMeansJSON
					if err := json.Unmarshal(readResult(t, store, res.Manifest, "kmeans.json"), &km); err != nil {
						t.Fatal(err)
					}
					if !sameBits(km.Centroids.Data, want.Centroids.Data) {
						t.Errorf("centroids got %v; want %v", km.Centroids.Data, want.Centroids.Data)
					}
					t.Logf("%d stages, %d iterations, converged %v, inertia %v", len(res.Stages), km.Iterations, km.Converged, km.Inertia)
					if km.Iterations != want.Iterations || km.Converged != want.Converged || km.Inertia != want.Inertia {
						t.Errorf("iterations, converged, inertia got %d %v %v; want %d %v %v", km.Iterations, km.Converged, km.Inertia, want.Iterations, want.Converged, want.Inertia)
					}
					if got := readResult(t, store, res.Manifest, "segments.json"); !bytes.Equal(got, wantSeg) {
						t.Errorf("segments.json got %s; want %s", got, wantSeg)
					}
					if got := readResult(t, store, res.Manifest, "customers.jsonl"); !bytes.Equal(got, wantCust) {
						t.Errorf("customers.jsonl got %d bytes; want %d", len(got), len(wantCust))
					}
				})
			}
		})
	}
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestSegmentsFinishRefusesBadLabels: an assign partial that decodes (a
// valid envelope and checksum) but labels a row outside [0, k) made the
// finish task panic indexing its per-segment sums; it must fail with
// ErrCorrupt naming the object.
func TestSegmentsFinishRefusesBadLabels(t *testing.T) {
	in := testdataInput("groceries-sample.csv.gz", format.FormatCSV, groceryCols)(t)
	store := newStore(t)
	m := importInput(t, store, "d", in, 2)
	ctx := context.Background()
	spec := Spec{Type: TypeSegments, Dataset: "d", Version: m.Version, Segments: &SegmentsSpec{K: 3, MaxIter: 2}}
	st := State{Job: Job{ID: "bad-labels", Spec: spec}, Manifest: m}
	for {
		s, err := Next(st)
		if err != nil {
			t.Fatal(err)
		}
		if s == nil {
			t.Fatal("job finished without a finish task")
		}
		if len(s.Tasks) == 1 && s.Tasks[0].Op == OpSegFinish {
			key := s.Tasks[0].Inputs[0]
			f, err := readInput(ctx, store, key, decodeAssigned)
			if err != nil {
				t.Fatal(err)
			}
			f.Labels[0] = 3
			if err := store.Publish(ctx, key, bytes.NewReader(encodeFeatureRows(f, kindAssign))); err != nil {
				t.Fatal(err)
			}
			_, err = runStage(ctx, store, s, LocalOptions{Workers: 1})
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), key) {
				t.Fatalf("got %v; want ErrCorrupt naming %s", err, key)
			}
			return
		}
		results, err := runStage(ctx, store, s, LocalOptions{Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		st.Stages = append(st.Stages, Completed{Stage: *s, Results: results})
	}
}
