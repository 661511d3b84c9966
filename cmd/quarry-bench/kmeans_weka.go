package main

import (
	"bufio"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/quarrydata/quarry/algorithms/kmeans"
)

// The Weka case compares per-iteration time with Weka 3.6's SimpleKMeans
// on the first 100,000 rows of the synthetic blobs (Weka holds ARFF data as
// Java objects, so the million rows would measure its memory, not its
// k-means). Weka 3.6 cannot start from given centroids, so the two runs
// start differently; both run up to 20 iterations with no early stop on our
// side, and the table compares seconds per iteration (Weka's "Time taken to
// build model", timed around buildClusterer by peers/WekaKMeans.java,
// divided by its iteration count).

//go:embed peers/WekaKMeans.java
var wekaKMeansJava []byte

const (
	wekaKMRows = 100_000
)

func init() {
	register(Case{
		Name:    fmt.Sprintf("kmeans/synthetic-100kx8/lloyd-k%d-vs-weka", kmK),
		Task:    "kmeans-lloyd",
		Dataset: "synthetic-100kx8",
		Param:   fmt.Sprintf("k=%d", kmK),
		Run: func(string) (Result, error) {
			x, init := kmeansData()
			x = x.Slice(0, wekaKMRows)
			o := kmeans.Options{K: kmK, Init: kmeans.Given, Centroids: init, MaxIter: kmIters, Algorithm: kmeans.Lloyd}
			start := time.Now()
			res, err := kmeans.Fit(x, o)
			if err != nil {
				return Result{}, err
			}
			secs := time.Since(start).Seconds()
			return Result{Patterns: res.Iterations, Seconds: secs / float64(res.Iterations),
				Note: fmt.Sprintf("patterns=iterations, seconds per iteration; fit %.3f s; Weka starts from its own random centroids", secs)}, nil
		},
		Peer: wekaKMeansPeer,
	})
}

// wekaKMeansPeer writes the rows as ARFF and returns Weka's SimpleKMeans on
// them, or nil when Weka or Java is not installed.
func wekaKMeansPeer(_, tmp string) (*Peer, error) {
	if _, err := os.Stat(wekaJar); err != nil {
		return nil, nil
	}
	if _, err := exec.LookPath("javac"); err != nil {
		return nil, nil
	}
	src := filepath.Join(tmp, "WekaKMeans.java")
	if err := os.WriteFile(src, wekaKMeansJava, 0o644); err != nil {
		return nil, err
	}
	if out, err := exec.Command("javac", "-cp", wekaJar, "-d", tmp, src).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("javac: %v: %s", err, firstLine(string(out)))
	}
	x, _ := kmeansData()
	x = x.Slice(0, wekaKMRows)
	arff := filepath.Join(tmp, "blobs.arff")
	if err := writeNumericARFF(arff, x); err != nil {
		return nil, err
	}
	cmd := exec.Command("java", "-Xmx4g", "-cp", wekaJar+string(os.PathListSeparator)+tmp, "WekaKMeans",
		arff, strconv.Itoa(kmK), strconv.Itoa(kmIters), "1")
	return &Peer{
		Name: "weka-3.6 SimpleKMeans",
		Cmd:  cmd,
		Parse: func(out []byte) (int, float64, error) {
			f := strings.Fields(string(out))
			if len(f) != 2 {
				return 0, 0, fmt.Errorf("unexpected output %q", out)
			}
			n, err := strconv.Atoi(f[0])
			if err != nil || n == 0 {
				return 0, 0, fmt.Errorf("iterations %q: %v", f[0], err)
			}
			secs, err := strconv.ParseFloat(f[1], 64)
			return n, secs / float64(n), err
		},
	}, nil
}

func writeNumericARFF(path string, x kmeans.Matrix) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fmt.Fprintln(w, "@relation blobs")
	for j := 0; j < x.Cols; j++ {
		fmt.Fprintf(w, "@attribute x%d numeric\n", j)
	}
	fmt.Fprintln(w, "@data")
	for i := 0; i < x.Rows; i++ {
		for j, v := range x.Row(i) {
			if j > 0 {
				w.WriteByte(',')
			}
			w.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
		}
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
