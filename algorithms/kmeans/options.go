package kmeans

import (
	"errors"
	"fmt"
	"runtime"
)

// Init selects how the initial centroids are chosen.
type Init int

const (
	// KMeansPlusPlus is greedy k-means++ (Arthur and Vassilvitskii, with
	// scikit-learn's greedy trials): single-process only.
	KMeansPlusPlus Init = iota
	// KMeansParallel is k-means|| (Bahmani et al.): rounds of independent
	// per-point sampling, decomposable over partitions, then a weighted
	// k-means++ reduction of the candidates.
	KMeansParallel
	// Given uses Options.Centroids as they are.
	Given
)

// Algorithm selects the Lloyd iteration kernel. All give the same labels and
// centroids, bit for bit; they differ only in speed.
type Algorithm int

const (
	// Auto is Hamerly.
	Auto Algorithm = iota
	// Lloyd computes every point's distance to every centroid each
	// iteration.
	Lloyd
	// Hamerly keeps an upper bound to the assigned centroid and one lower
	// bound to the others per point and skips points whose bounds prove the
	// assignment unchanged (Hamerly 2010).
	Hamerly
)

// Defaults, as in scikit-learn where it has one.
const (
	DefaultMaxIter = 300
	DefaultTol     = 1e-4
	DefaultRounds  = 5
)

// Options configures Fit. The zero value of each field but K selects its
// default; DefaultOptions returns scikit-learn-like settings.
type Options struct {
	// K is the number of clusters, at least 1 and at most the number of
	// distinct points.
	K int
	// Init chooses the seeding; Centroids holds the K×Cols starting
	// centroids for Given.
	Init      Init
	Centroids Matrix
	// NInit is the number of seeded runs, the one with the lowest inertia
	// kept (ties: the earliest). Run r uses the seed DeriveSeed(Seed, r).
	// 0 means 1, as scikit-learn's n_init="auto" for k-means++.
	NInit int
	// MaxIter caps the Lloyd iterations of a run; 0 means 300.
	MaxIter int
	// Tol stops a run when the total squared centroid shift Σ‖Δc_j‖² is at
	// most Tol times the mean per-column variance of the data (scikit-
	// learn's rule; the variance is computed exactly). Tol 0 stops only
	// when the centroids no longer move, i.e. no label changed. Negative
	// values are an error.
	Tol float64
	// Seed seeds every random choice. Fit is a function of (x, Options)
	// alone: the same for any Workers.
	Seed uint64
	// Algorithm selects the iteration kernel; Auto is Hamerly.
	Algorithm Algorithm
	// Workers is the number of goroutines; 0 means runtime.GOMAXPROCS(0).
	Workers int
	// Trials is the number of candidates greedy k-means++ draws per centre
	// (also in the k-means|| reduction); 0 means 2+⌊ln K⌋, 1 is classic
	// k-means++.
	Trials int
	// Oversampling is k-means||'s ℓ, the expected number of candidates per
	// round; 0 means 2K.
	Oversampling float64
	// Rounds is the number of k-means|| sampling rounds; 0 means 5. More
	// rounds run while fewer than K candidates have been found.
	Rounds int
}

// DefaultOptions returns the options scikit-learn would use for k clusters
// (k-means++, one run, 300 iterations, tol 1e-4) with the Hamerly kernel.
func DefaultOptions(k int) Options {
	return Options{K: k, Tol: DefaultTol}
}

// ErrTooFewDistinct is returned when K exceeds the number of distinct points.
var ErrTooFewDistinct = errors.New("k exceeds the number of distinct points")

// ErrOptions is wrapped by the errors returned for invalid options.
var ErrOptions = errors.New("invalid k-means options")

// withDefaults validates o against x and fills in the defaults.
func (o Options) withDefaults(x Matrix) (Options, error) {
	if o.K < 1 {
		return o, fmt.Errorf("%w: k = %d", ErrOptions, o.K)
	}
	if o.Tol < 0 || o.MaxIter < 0 || o.NInit < 0 || o.Workers < 0 || o.Trials < 0 || o.Rounds < 0 || o.Oversampling < 0 {
		return o, fmt.Errorf("%w: negative value", ErrOptions)
	}
	if o.NInit == 0 {
		o.NInit = 1
	}
	if o.MaxIter == 0 {
		o.MaxIter = DefaultMaxIter
	}
	if o.Workers == 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Trials == 0 {
		o.Trials = defaultTrials(o.K)
	}
	if o.Oversampling == 0 {
		o.Oversampling = 2 * float64(o.K)
	}
	if o.Rounds == 0 {
		o.Rounds = DefaultRounds
	}
	if o.Algorithm == Auto {
		o.Algorithm = Hamerly
	}
	if o.Algorithm != Lloyd && o.Algorithm != Hamerly {
		return o, fmt.Errorf("%w: algorithm %d", ErrOptions, o.Algorithm)
	}
	switch o.Init {
	case KMeansPlusPlus, KMeansParallel:
	case Given:
		c := o.Centroids
		if c.Rows != o.K || c.Cols != x.Cols || len(c.Data) != c.Rows*c.Cols {
			return o, fmt.Errorf("%w: given centroids are %d×%d; want %d×%d", ErrOptions, c.Rows, c.Cols, o.K, x.Cols)
		}
		if err := c.Validate(); err != nil {
			return o, fmt.Errorf("given centroids: %w", err)
		}
	default:
		return o, fmt.Errorf("%w: init %d", ErrOptions, o.Init)
	}
	return o, nil
}
