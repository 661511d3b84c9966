package main

import (
	_ "embed"
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quarrydata/quarry/algorithms/kmeans"
)

// The k-means cases time Lloyd iterations on synthetic Gaussian blobs
// generated in process: 1,000,000 × 8, k = 16, a fixed number of
// iterations with tol 0 from the same starting centroids as the peer. The
// "patterns" column is the number of iterations run, and "seconds" is
// seconds per iteration (whole fit time divided by iterations, as for the
// peer).

//go:embed peers/sklearn_kmeans.py
var sklearnKMeansPy []byte

const (
	kmRows, kmCols, kmK, kmIters = 1_000_000, 8, 16, 20
	kmDataset                    = "synthetic-1Mx8"
)

func init() {
	for _, v := range []struct {
		name, peerAlg string
		alg           kmeans.Algorithm
	}{
		{"lloyd", "lloyd", kmeans.Lloyd},
		{"hamerly", "elkan", kmeans.Hamerly},
	} {
		register(Case{
			Name:    fmt.Sprintf("kmeans/%s/%s-k%d", kmDataset, v.name, kmK),
			Task:    "kmeans-" + v.name,
			Dataset: kmDataset,
			Param:   fmt.Sprintf("k=%d", kmK),
			Run:     func(string) (Result, error) { return runKMeansCase(v.alg) },
			Peer: func(_, tmp string) (*Peer, error) {
				return sklearnKMeansPeer(tmp, v.peerAlg)
			},
		})
	}
}

// kmeansData returns the synthetic blobs and the starting centroids (16 rows
// of the data), the same on every call.
func kmeansData() (kmeans.Matrix, kmeans.Matrix) {
	r := rand.New(rand.NewPCG(2024, 1))
	centres := make([]float64, kmK*kmCols)
	for i := range centres {
		centres[i] = r.NormFloat64() * 10
	}
	x := kmeans.Matrix{Rows: kmRows, Cols: kmCols, Data: make([]float64, kmRows*kmCols)}
	for p := 0; p < kmRows; p++ {
		c := r.IntN(kmK)
		for i := 0; i < kmCols; i++ {
			x.Data[p*kmCols+i] = centres[c*kmCols+i] + r.NormFloat64()*2
		}
	}
	init := kmeans.Matrix{Rows: kmK, Cols: kmCols, Data: make([]float64, kmK*kmCols)}
	for j := 0; j < kmK; j++ {
		copy(init.Row(j), x.Row(r.IntN(kmRows)))
	}
	return x, init
}

func runKMeansCase(alg kmeans.Algorithm) (Result, error) {
	x, init := kmeansData()
	o := kmeans.Options{K: kmK, Init: kmeans.Given, Centroids: init, MaxIter: kmIters, Tol: 0, Algorithm: alg}
	start := time.Now()
	res, err := kmeans.Fit(x, o)
	if err != nil {
		return Result{}, err
	}
	secs := time.Since(start).Seconds()
	return Result{
		Patterns: res.Iterations,
		Seconds:  secs / float64(res.Iterations),
		Note:     fmt.Sprintf("patterns=iterations, seconds per iteration; fit %.2f s", secs),
	}, nil
}

// sklearnKMeansPeer writes the data and centroids as float64 files and
// returns the scikit-learn run on them, or nil when it is not installed.
func sklearnKMeansPeer(tmp, alg string) (*Peer, error) {
	const py = "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import sklearn, numpy").Run(); err != nil {
		return nil, nil
	}
	x, init := kmeansData()
	xp, cp, script := filepath.Join(tmp, "x.bin"), filepath.Join(tmp, "c.bin"), filepath.Join(tmp, "sklearn_kmeans.py")
	if err := writeFloats(xp, x.Data); err != nil {
		return nil, err
	}
	if err := writeFloats(cp, init.Data); err != nil {
		return nil, err
	}
	if err := os.WriteFile(script, sklearnKMeansPy, 0o644); err != nil {
		return nil, err
	}
	cmd := exec.Command(py, script, xp, cp, strconv.Itoa(kmRows), strconv.Itoa(kmCols), strconv.Itoa(kmK), strconv.Itoa(kmIters), alg)
	return &Peer{
		Name: "sklearn-1.2 " + alg,
		Cmd:  cmd,
		Parse: func(out []byte) (int, float64, error) {
			f := strings.Fields(string(out))
			if len(f) < 2 {
				return 0, 0, fmt.Errorf("unexpected output %q", out)
			}
			it, err := strconv.Atoi(f[len(f)-2])
			if err != nil {
				return 0, 0, err
			}
			s, err := strconv.ParseFloat(f[len(f)-1], 64)
			return it, s, err
		},
	}, nil
}

func writeFloats(path string, v []float64) error {
	b := make([]byte, 8*len(v))
	for i, f := range v {
		binary.LittleEndian.PutUint64(b[8*i:], math.Float64bits(f))
	}
	return os.WriteFile(path, b, 0o644)
}
