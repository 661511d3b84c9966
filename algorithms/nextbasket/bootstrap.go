package nextbasket

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
)

// Metric names one per-customer metric for the paired bootstrap.
type Metric int

const (
	MetricHit Metric = iota
	MetricPrecision
	MetricRecall
	MetricNDCG
	MetricRecallRepeat
	MetricRecallExplore
	MetricHitRepeat
	MetricHitExplore
	MetricRepeatRatio
)

// Value returns m's value in x; ok is false when it is undefined for this
// customer (a repeat metric without hidden repeat items, or an explore one
// without hidden explore items).
func (m Metric) Value(x Metrics) (v float64, ok bool) {
	switch m {
	case MetricHit:
		return x.Hit, true
	case MetricPrecision:
		return x.Precision, true
	case MetricRecall:
		return x.Recall, true
	case MetricNDCG:
		return x.NDCG, true
	case MetricRecallRepeat:
		return x.RecallRepeat, x.HasRepeat
	case MetricRecallExplore:
		return x.RecallExplore, x.HasExplore
	case MetricHitRepeat:
		return x.HitRepeat, x.HasRepeat
	case MetricHitExplore:
		return x.HitExplore, x.HasExplore
	case MetricRepeatRatio:
		return x.RepeatRatio, true
	}
	return 0, false
}

// Values returns m for every customer of per where it is defined, in
// order. Definedness depends on the case alone, never on the list, so two
// methods scored on the same cases give aligned, equally long slices.
func Values(per []Metrics, m Metric) []float64 {
	out := make([]float64, 0, len(per))
	for _, x := range per {
		if v, ok := m.Value(x); ok {
			out = append(out, v)
		}
	}
	return out
}

// Interval is a paired bootstrap estimate of the mean of a − b.
type Interval struct {
	Mean      float64 // mean over customers of a[i] − b[i]
	Lo, Hi    float64 // 2.5% and 97.5% percentiles of the resampled means
	Resamples int
}

// Excludes0 reports whether the interval lies strictly on one side of 0.
func (iv Interval) Excludes0() bool { return iv.Lo > 0 || iv.Hi < 0 }

// PairedBootstrap resamples customers with replacement resamples times
// and returns the mean difference a − b with its 95% percentile interval.
// a[i] and b[i] belong to the same customer. The draws come from a PCG
// generator seeded with seed: the result is a function of (a, b,
// resamples, seed). Percentiles interpolate linearly between order
// statistics (type 7 of Hyndman and Fan). Cost: resamples × len(a) draws.
func PairedBootstrap(a, b []float64, resamples int, seed uint64) (Interval, error) {
	if len(a) != len(b) {
		return Interval{}, fmt.Errorf("%w: paired samples of %d and %d customers", ErrInput, len(a), len(b))
	}
	if len(a) == 0 || resamples < 1 {
		return Interval{}, fmt.Errorf("%w: %d customers, %d resamples", ErrInput, len(a), resamples)
	}
	d := make([]float64, len(a))
	var sum float64
	for i := range a {
		d[i] = a[i] - b[i]
		sum += d[i]
	}
	nf := float64(len(d))
	rng := rand.New(rand.NewPCG(seed, 0x6e62_626f_6f74))
	means := make([]float64, resamples)
	for r := range means {
		var s float64
		for range d {
			s += d[rng.IntN(len(d))]
		}
		means[r] = s / nf
	}
	slices.Sort(means)
	return Interval{
		Mean:      sum / nf,
		Lo:        quantile(means, 0.025),
		Hi:        quantile(means, 0.975),
		Resamples: resamples,
	}, nil
}

// quantile is the type-7 quantile q of the ascending, non-empty s.
func quantile(s []float64, q float64) float64 {
	h := q * float64(len(s)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[i] + (h-lo)*(s[i+1]-s[i])
}
