package kmeans

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// chunkRows is the fixed grid over which parallel loops split the rows. It
// does not depend on the number of workers, so order-dependent reductions
// combined chunk by chunk are the same for any Workers.
const chunkRows = 8192

// numChunks returns the number of chunks of n rows.
func numChunks(n int) int { return (n + chunkRows - 1) / chunkRows }

// forChunks calls fn(w, c, lo, hi) for every chunk c = [lo, hi) of n rows on
// up to workers goroutines; w in [0, workers) names the goroutine so that fn
// can use per-worker state. It returns when every call has returned.
func forChunks(n, workers int, fn func(w, c, lo, hi int)) {
	nc := numChunks(n)
	workers = max(1, min(workers, nc))
	if workers == 1 {
		for c := 0; c < nc; c++ {
			fn(0, c, c*chunkRows, min(n, (c+1)*chunkRows))
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				c := int(next.Add(1) - 1)
				if c >= nc {
					return
				}
				fn(w, c, c*chunkRows, min(n, (c+1)*chunkRows))
			}
		}()
	}
	wg.Wait()
}

// DeriveSeed returns the seed of run r of a Fit seeded with seed; run 0 uses
// seed itself.
func DeriveSeed(seed uint64, r int) uint64 {
	if r == 0 {
		return seed
	}
	return mix(seed, uint64(r), 0x5eed)
}

// mix hashes three words into one (SplitMix64 finalizers chained).
func mix(a, b, c uint64) uint64 {
	h := fmix(a ^ 0x9e3779b97f4a7c15)
	h = fmix(h ^ b ^ 0xbf58476d1ce4e5b9)
	return fmix(h ^ c ^ 0x94d049bb133111eb)
}

func fmix(z uint64) uint64 {
	z += 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// unit returns a uniform value in [0, 1) from a hash.
func unit(h uint64) float64 { return float64(h>>11) * 0x1p-53 }

// newRand returns the package's seeded generator for one purpose.
func newRand(seed uint64, purpose uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, mix(seed, purpose, 0x7a3d)))
}
