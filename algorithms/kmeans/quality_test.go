package kmeans

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestPlusPlusProbabilities(t *testing.T) {
	x, _ := NewMatrix([][]float64{{0}, {1}, {3}, {7}, {8}})
	n := x.Rows
	// Classic k-means++ (one trial): first uniform, second ∝ D².
	want := make([][]float64, n)
	for i := range want {
		want[i] = make([]float64, n)
		tot := 0.0
		for j := 0; j < n; j++ {
			tot += dist2(x.Row(i), x.Row(j))
		}
		for j := 0; j < n; j++ {
			want[i][j] = dist2(x.Row(i), x.Row(j)) / tot / float64(n)
		}
	}
	const runs = 40000
	got := make([][]float64, n)
	for i := range got {
		got[i] = make([]float64, n)
	}
	for s := uint64(0); s < runs; s++ {
		c, err := plusPlus(x, nil, 2, 1, 1, newRand(s, 1))
		if err != nil {
			t.Fatal(err)
		}
		got[index(x, c.Data[0])][index(x, c.Data[1])] += 1.0 / runs
	}
	for i := range want {
		for j := range want[i] {
			sd := math.Sqrt(want[i][j] * (1 - want[i][j]) / runs)
			if math.Abs(got[i][j]-want[i][j]) > 5*sd+1e-9 {
				t.Errorf("P(first=%v, second=%v) got %.4f; want %.4f", x.Data[i], x.Data[j], got[i][j], want[i][j])
			}
		}
	}
}

func index(x Matrix, v float64) int {
	for i, w := range x.Data {
		if w == v {
			return i
		}
	}
	return -1
}

func TestWeightedReductionProbabilities(t *testing.T) {
	// With weights, the first pick is ∝ weight.
	x, _ := NewMatrix([][]float64{{0}, {5}, {9}})
	w := []int64{1, 2, 5}
	counts := make([]float64, 3)
	const runs = 20000
	for s := uint64(0); s < runs; s++ {
		c, err := ReduceCandidates(x, w, 1, 1, s)
		if err != nil {
			t.Fatal(err)
		}
		counts[index(x, c.Data[0])] += 1.0 / runs
	}
	for i, wi := range w {
		p := float64(wi) / 8
		if sd := math.Sqrt(p * (1 - p) / runs); math.Abs(counts[i]-p) > 5*sd {
			t.Errorf("P(first=%v) got %.4f; want %.4f", x.Data[i], counts[i], p)
		}
	}
}

// bruteSilhouette is the textbook formula over all rows.
func bruteSilhouette(x Matrix, labels []int32) float64 {
	n := x.Rows
	total := 0.0
	for i := 0; i < n; i++ {
		own, a, na := labels[i], 0.0, 0
		other := map[int32][2]float64{}
		for j := 0; j < n; j++ {
			if j == i {
				continue
			}
			d := math.Sqrt(dist2(x.Row(i), x.Row(j)))
			if labels[j] == own {
				a += d
				na++
			} else {
				o := other[labels[j]]
				other[labels[j]] = [2]float64{o[0] + d, o[1] + 1}
			}
		}
		if na == 0 {
			continue
		}
		a /= float64(na)
		b := math.Inf(1)
		for _, o := range other {
			b = min(b, o[0]/o[1])
		}
		total += (b - a) / max(a, b)
	}
	return total / float64(n)
}

func TestSilhouetteMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	for trial := 0; trial < 200; trial++ {
		n, d, k := 2+r.IntN(60), 1+r.IntN(4), 2+r.IntN(4)
		x := blobs(r, n, d, k, 1, 0)
		labels := make([]int32, n)
		for i := range labels {
			labels[i] = int32(r.IntN(k))
		}
		labels[0], labels[1] = 0, 1
		got, want := Silhouette(x, labels, 0, 1), bruteSilhouette(x, labels)
		if math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d: got %v; want %v", trial, got, want)
		}
		// A sample is the exact silhouette of the sampled rows.
		idx := sampleRows(n, n/2, 9)
		sub := Matrix{Cols: d}
		var subL []int32
		for _, i := range idx {
			sub.Data = append(sub.Data, x.Row(i)...)
			sub.Rows++
			subL = append(subL, labels[i])
		}
		if got, want := Silhouette(x, labels, n/2, 9), bruteSilhouette(sub, subL); n/2 > 0 && math.Abs(got-want) > 1e-12 {
			t.Fatalf("trial %d sample: got %v; want %v", trial, got, want)
		}
	}
}

func TestAutoKFindsBlobs(t *testing.T) {
	r := rand.New(rand.NewPCG(8, 8))
	x := blobs(r, 4000, 3, 4, 0.3, 0)
	res, scores, err := AutoK(x, 2, 7, Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(scores) != 6 {
		t.Fatalf("got %d scores; want 6", len(scores))
	}
	if res.K != 4 {
		t.Fatalf("chosen k got %d; want 4 (scores %+v)", res.K, scores)
	}
}
