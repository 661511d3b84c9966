package main

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/kmeans"
	"github.com/quarrydata/quarry/storage/format"
)

type kmeansJSON struct {
	K          int         `json:"k"`
	Inertia    float64     `json:"inertia"`
	Iterations int         `json:"iterations"`
	Converged  bool        `json:"converged"`
	Columns    []string    `json:"columns,omitempty"`
	Centroids  [][]float64 `json:"centroids"`
	Sizes      []int       `json:"sizes"`
	Silhouette *float64    `json:"silhouette,omitempty"`
	Scores     []kScore    `json:"k_scores,omitempty"`
	Standard   bool        `json:"standardized"`
}

type kScore struct {
	K          int     `json:"k"`
	Silhouette float64 `json:"silhouette"`
	Inertia    float64 `json:"inertia"`
}

func newMineKMeansCmd() *cobra.Command {
	var (
		in          inputFlags
		outPath     string
		outFormat   string
		kFlag       string
		kMin, kMax  int
		initFlag    string
		algo        string
		standardize bool
		assignments string
		sample      int
		opt         kmeans.Options
	)
	cmd := &cobra.Command{
		Use:   "kmeans --input F --k K|auto --seed N [--init kmeans++|kmeans||] --output F",
		Short: "K-means clusters of the rows of a numeric CSV",
		Long: `K-means clusters of the rows of a numeric CSV (a header row is optional).

K-means runs on the numbers as given unless --standardize is set, in which case
it runs on z-scores and reports centroids in the units of the input. --k auto
tries every k from --k-min to --k-max and keeps the best silhouette score
(computed on a sample of 3,000 rows; ties go to the smaller k).
The result is the same for the same seed, whatever the number of workers.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if outPath == "" {
				return usagef("--output is required (use - for standard output)")
			}
			if outFormat != "json" && outFormat != "text" {
				return usagef("--output-format: %q is not json or text", outFormat)
			}
			k, err := parseK(kFlag, kMin, kMax)
			if err != nil {
				return err
			}
			opt.K = k
			switch initFlag {
			case "kmeans++", "k-means++":
				opt.Init = kmeans.KMeansPlusPlus
			case "kmeans||", "k-means||":
				opt.Init = kmeans.KMeansParallel
			default:
				return usagef("--init: %q is not kmeans++ or kmeans||", initFlag)
			}
			switch algo {
			case "auto", "hamerly":
				opt.Algorithm = kmeans.Hamerly
			case "lloyd":
				opt.Algorithm = kmeans.Lloyd
			default:
				return usagef("--algorithm: %q is not hamerly or lloyd", algo)
			}
			if in.path == "" {
				return usagef("--input is required")
			}
			file, err := format.Open(in.path)
			if err != nil {
				return err
			}
			data, cols, header, st, err := format.ReadNumericCSV(file, in.options())
			file.Close()
			if err != nil {
				return err
			}
			reportSkipped(in.path, st)
			if cols == 0 || len(data) == 0 {
				return fmt.Errorf("%s: no rows to cluster", in.path)
			}
			var scaler *features.Scaler
			if standardize {
				stats := features.NewStats(cols, nil)
				if err := stats.AddRows(data); err != nil {
					return err
				}
				sc, err := stats.Scaler(features.Standard)
				if err != nil {
					return err
				}
				scaler = &sc
				data = sc.Apply(data)
			}
			x := kmeans.Matrix{Rows: len(data) / cols, Cols: cols, Data: data}
			start := time.Now()
			res, scores, err := fitK(x, kMin, kMax, opt)
			if err != nil {
				return err
			}
			logDone("kmeans", x.Rows, res.K, 0, start)
			out := kmeansJSON{K: res.K, Inertia: res.Inertia, Iterations: res.Iterations, Converged: res.Converged,
				Columns: header, Scores: scores, Standard: standardize, Sizes: make([]int, res.K)}
			for _, l := range res.Labels {
				out.Sizes[l]++
			}
			if sample > 0 && res.K > 1 {
				s := kmeans.Silhouette(x, res.Labels, sample, opt.Seed)
				out.Silhouette = &s
			}
			centroids := res.Centroids.Data
			if scaler != nil {
				centroids = scaler.Unscale(centroids)
			}
			for j := 0; j < res.K; j++ {
				out.Centroids = append(out.Centroids, centroids[j*cols:(j+1)*cols])
			}
			if assignments != "" {
				if err := writeOutput(assignments, func(w io.Writer) error { return writeAssignments(w, res.Labels) }); err != nil {
					return err
				}
			}
			return writeOutput(outPath, func(w io.Writer) error {
				if outFormat == "text" {
					return writeKMeansText(w, &out)
				}
				enc := json.NewEncoder(w)
				return enc.Encode(out)
			})
		},
	}
	fs := cmd.Flags()
	in.register(fs, false)
	fs.StringVarP(&outPath, "output", "o", "", "output file, - for standard output (required)")
	fs.StringVar(&outFormat, "output-format", "json", "output format: json (one object) or text")
	fs.StringVar(&kFlag, "k", "", "number of clusters, or auto to choose it by silhouette (required)")
	fs.IntVar(&kMin, "k-min", 2, "smallest k tried by --k auto")
	fs.IntVar(&kMax, "k-max", 8, "largest k tried by --k auto")
	fs.Uint64Var(&opt.Seed, "seed", 1, "random seed: the same seed gives the same result")
	fs.StringVar(&initFlag, "init", "kmeans++", "seeding: kmeans++ or kmeans|| (Bahmani et al., the distributed one)")
	fs.StringVar(&algo, "algorithm", "hamerly", "iteration kernel: hamerly (accelerated) or lloyd; both give the same result")
	fs.IntVar(&opt.NInit, "n-init", 1, "number of seeded runs; the lowest inertia wins")
	fs.IntVar(&opt.MaxIter, "max-iter", kmeans.DefaultMaxIter, "most Lloyd iterations per run")
	fs.Float64Var(&opt.Tol, "tol", kmeans.DefaultTol, "stop when the squared centroid shift is at most tol × the mean column variance")
	fs.BoolVar(&standardize, "standardize", false, "cluster z-scores of each column instead of the raw numbers (centroids are reported in input units)")
	fs.StringVar(&assignments, "assignments", "", "also write each row's cluster to this CSV file (row,cluster)")
	fs.IntVar(&sample, "silhouette-sample", 2000, "rows sampled for the reported silhouette score (0: none)")
	fs.IntVar(&opt.Workers, "workers", runtime.GOMAXPROCS(0), "parallel workers")
	_ = cmd.MarkFlagRequired("k")
	return cmd
}

func writeAssignments(w io.Writer, labels []int32) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"row", "cluster"}); err != nil {
		return err
	}
	for i, l := range labels {
		if err := cw.Write([]string{strconv.Itoa(i), strconv.Itoa(int(l))}); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func writeKMeansText(w io.Writer, out *kmeansJSON) error {
	var b strings.Builder
	fmt.Fprintf(&b, "k=%d  inertia=%.4g  iterations=%d  converged=%v", out.K, out.Inertia, out.Iterations, out.Converged)
	if out.Silhouette != nil {
		fmt.Fprintf(&b, "  silhouette=%.3f", *out.Silhouette)
	}
	b.WriteByte('\n')
	for _, s := range out.Scores {
		fmt.Fprintf(&b, "  tried k=%d: silhouette %.3f, inertia %.4g\n", s.K, s.Silhouette, s.Inertia)
	}
	fmt.Fprintf(&b, "%-8s %8s", "cluster", "size")
	for j := range out.Centroids[0] {
		name := fmt.Sprintf("x%d", j)
		if j < len(out.Columns) {
			name = out.Columns[j]
		}
		fmt.Fprintf(&b, " %16s", name)
	}
	b.WriteByte('\n')
	for i, c := range out.Centroids {
		fmt.Fprintf(&b, "%-8d %8d", i, out.Sizes[i])
		for _, v := range c {
			fmt.Fprintf(&b, " %16.4f", v)
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// parseK reads --k: a positive number, or auto (0) to choose k from
// kMin..kMax by silhouette.
func parseK(kFlag string, kMin, kMax int) (int, error) {
	if kFlag == "auto" {
		if kMin < 2 || kMax < kMin {
			return 0, usagef("--k auto needs 2 <= --k-min <= --k-max (got %d and %d)", kMin, kMax)
		}
		return 0, nil
	}
	k, err := strconv.Atoi(kFlag)
	if err != nil || k < 1 {
		return 0, usagef("--k: %q is not a positive number or auto", kFlag)
	}
	return k, nil
}

// fitK runs k-means with opt.K clusters, or, when opt.K is 0, every k from
// kMin to kMax keeping the best silhouette, with the scores of each k.
func fitK(x kmeans.Matrix, kMin, kMax int, opt kmeans.Options) (kmeans.Result, []kScore, error) {
	if opt.K > 0 {
		res, err := kmeans.Fit(x, opt)
		return res, nil, err
	}
	res, ss, err := kmeans.AutoK(x, kMin, kMax, opt)
	if err != nil {
		return kmeans.Result{}, nil, err
	}
	scores := make([]kScore, len(ss))
	for i, s := range ss {
		scores[i] = kScore{K: s.K, Silhouette: s.Silhouette, Inertia: s.Inertia}
	}
	return res, scores, nil
}
