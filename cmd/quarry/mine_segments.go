package main

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/kmeans"
	"github.com/quarrydata/quarry/jobs"
)

type segmentsJSON struct {
	K          int                `json:"k"`
	Scale      string             `json:"scale"`
	Inertia    float64            `json:"inertia"`
	Silhouette float64            `json:"silhouette"`
	Scores     []kScore           `json:"k_scores,omitempty"`
	Segments   []jobs.SegmentJSON `json:"segments"`
}

func newMineSegmentsCmd() *cobra.Command {
	var (
		in        inputFlags
		outPath   string
		outFormat string
		custPath  string
		kFlag     string
		kMax      int
		scale     string
		opt       kmeans.Options
	)
	cmd := &cobra.Command{
		Use:   "segments --input F --k K|auto --seed N --output F [--customers F]",
		Short: "Customer segments: k-means over scaled RFM features, described in the log's units",
		Long: `Customer segments from a CSV transaction log: RFM features (and category shares
with --category) per customer, scaled (--scale, log1p of frequency and monetary
then z-scores by default), clustered by k-means|| seeding and accelerated Lloyd
iterations. Each segment is described by its size and its members' mean features
in the log's units. --customers writes each customer's segment and features.
The same seed gives the same segments.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if outPath == "" {
				return usagef("--output is required (use - for standard output)")
			}
			if outFormat != "json" && outFormat != "text" {
				return usagef("--output-format: %q is not json or text", outFormat)
			}
			method, err := features.ParseMethod(scale)
			if err != nil {
				return usagef("--scale: %v", err)
			}
			k, err := parseK(kFlag, 2, kMax)
			if err != nil {
				return err
			}
			opt.K = k
			p, err := loadPurchases(cmd.Context(), &in)
			if err != nil {
				return err
			}
			start := time.Now()
			table, err := features.Compute(p.ps, features.Options{Categories: len(p.categories)})
			if err != nil {
				return err
			}
			if table.Len() == 0 {
				return fmt.Errorf("%s: no customer with a purchase", in.path)
			}
			sc, err := features.Scale(&table, method)
			if err != nil {
				return err
			}
			x := kmeans.Matrix{Rows: table.Len(), Cols: sc.Cols, Data: sc.Data}
			opt.Init = kmeans.KMeansParallel
			res, scores, err := fitK(x, 2, kMax, opt)
			if err != nil {
				return err
			}
			logDone("segments", table.Len(), res.K, 0, start)
			raw, _ := table.Matrix()
			names := table.Names()
			for i, c := range p.categories {
				names[3+i] = "share_" + c
			}
			out := segmentsJSON{K: res.K, Scale: method.String(), Inertia: res.Inertia, Scores: scores}
			if res.K > 1 {
				out.Silhouette = kmeans.Silhouette(x, res.Labels, kmeans.AutoSample, opt.Seed)
			}
			out.Segments = jobs.DescribeSegments(raw, names, res.Labels, res.K, sc.Scaler.Unscale(res.Centroids.Data))
			if custPath != "" {
				if err := writeOutput(custPath, func(w io.Writer) error {
					enc := json.NewEncoder(w)
					for i, c := range table.Customers {
						if err := enc.Encode(struct {
							Customer    string  `json:"customer"`
							Segment     int32   `json:"segment"`
							RecencyDays float64 `json:"recency_days"`
							Frequency   float64 `json:"frequency"`
							Monetary    float64 `json:"monetary"`
						}{p.customers[c], res.Labels[i], table.Recency[i], table.Frequency[i], table.Monetary[i]}); err != nil {
							return err
						}
					}
					return nil
				}); err != nil {
					return err
				}
			}
			return writeOutput(outPath, func(w io.Writer) error {
				if outFormat == "text" {
					return writeSegmentsText(w, &out, names)
				}
				return json.NewEncoder(w).Encode(out)
			})
		},
	}
	fs := cmd.Flags()
	in.register(fs, true)
	fs.StringVarP(&outPath, "output", "o", "", "output file, - for standard output (required)")
	fs.StringVar(&outFormat, "output-format", "json", "output format: json (one object) or text")
	fs.StringVar(&custPath, "customers", "", "also write each customer's segment and features to this JSON Lines file")
	fs.StringVar(&kFlag, "k", "auto", "number of segments, or auto to choose it by silhouette from 2 to --k-max")
	fs.IntVar(&kMax, "k-max", 8, "largest k tried by --k auto")
	fs.StringVar(&scale, "scale", "logstandard", "feature scaling: standard, minmax or logstandard")
	fs.Uint64Var(&opt.Seed, "seed", 1, "random seed: the same seed gives the same segments")
	fs.IntVar(&opt.NInit, "n-init", 1, "number of seeded runs; the lowest inertia wins")
	fs.Float64Var(&opt.Tol, "tol", kmeans.DefaultTol, "stop when the squared centroid shift is at most tol × the mean column variance")
	fs.IntVar(&opt.Workers, "workers", runtime.GOMAXPROCS(0), "parallel workers")
	return cmd
}

func writeSegmentsText(w io.Writer, out *segmentsJSON, names []string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "k=%d  silhouette=%.3f  (features scaled %s; means in the log's units)\n", out.K, out.Silhouette, out.Scale)
	fmt.Fprintf(&b, "%-8s %8s %7s", "segment", "size", "share")
	for _, n := range names {
		fmt.Fprintf(&b, " %16s", n)
	}
	b.WriteByte('\n')
	for _, s := range out.Segments {
		fmt.Fprintf(&b, "%-8d %8d %6.1f%%", s.Segment, s.Size, 100*s.Share)
		for _, n := range names {
			fmt.Fprintf(&b, " %16.2f", s.Mean[n])
		}
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
