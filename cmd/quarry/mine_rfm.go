package main

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/quarrydata/quarry/algorithms/features"
)

type rfmJSON struct {
	Customer    string             `json:"customer"`
	RecencyDays float64            `json:"recency_days"`
	Frequency   float64            `json:"frequency"`
	Monetary    float64            `json:"monetary"`
	R           int                `json:"r_score"`
	F           int                `json:"f_score"`
	M           int                `json:"m_score"`
	Shares      map[string]float64 `json:"category_shares,omitempty"`
}

func newMineRFMCmd() *cobra.Command {
	var (
		in          inputFlags
		outPath     string
		outFormat   string
		now         string
		scale       string
		featuresCSV string
	)
	cmd := &cobra.Command{
		Use:   "rfm --input F --output F",
		Short: "Recency, frequency and monetary value per customer, with RFM scores and category shares",
		Long: `Recency, frequency and monetary value per customer from a CSV transaction log.

Recency is days from the customer's latest sale to --now (default: one day after
the latest purchase in the log); frequency is the number of orders with a sale;
monetary is net spend, quantity × price summed with returns subtracted (the item
count when the log has no price column). R, F and M scores run from 1 to 5 by
quintile. With --category, each customer's share of spend per category follows.
--features-csv writes the scaled feature matrix that 'quarry mine kmeans' reads.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if outPath == "" {
				return usagef("--output is required (use - for standard output)")
			}
			if outFormat != "json" && outFormat != "csv" {
				return usagef("--output-format: %q is not json or csv", outFormat)
			}
			method, err := features.ParseMethod(scale)
			if err != nil {
				return usagef("--scale: %v", err)
			}
			var opt features.Options
			if now != "" {
				t, err := parseDate(now)
				if err != nil {
					return usagef("--now: %v", err)
				}
				opt.Now = t.Unix()
			}
			p, err := loadPurchases(cmd.Context(), &in)
			if err != nil {
				return err
			}
			opt.Categories = len(p.categories)
			start := time.Now()
			table, err := features.Compute(p.ps, opt)
			if err != nil {
				return err
			}
			logDone("rfm", len(p.ps), table.Len(), 0, start)
			if featuresCSV != "" {
				sc, err := features.Scale(&table, method)
				if err != nil {
					return err
				}
				if err := writeOutput(featuresCSV, func(w io.Writer) error {
					return writeMatrixCSV(w, sc.Names, sc.Data, sc.Cols)
				}); err != nil {
					return err
				}
			}
			r, f, m := features.Scores(&table)
			return writeOutput(outPath, func(w io.Writer) error {
				if outFormat == "csv" {
					return writeRFMCSV(w, &table, p, r, f, m)
				}
				enc := json.NewEncoder(w)
				for i, c := range table.Customers {
					rec := rfmJSON{Customer: p.customers[c], RecencyDays: table.Recency[i], Frequency: table.Frequency[i],
						Monetary: table.Monetary[i], R: r[i], F: f[i], M: m[i]}
					if table.Categories > 0 {
						rec.Shares = make(map[string]float64, table.Categories)
						for k, name := range p.categories {
							rec.Shares[name] = table.Shares[i*table.Categories+k]
						}
					}
					if err := enc.Encode(rec); err != nil {
						return err
					}
				}
				return nil
			})
		},
	}
	fs := cmd.Flags()
	in.register(fs, true)
	fs.StringVarP(&outPath, "output", "o", "", "output file, - for standard output (required)")
	fs.StringVar(&outFormat, "output-format", "json", "output format: json (JSON Lines) or csv")
	fs.StringVar(&now, "now", "", "reference date for recency, YYYY-MM-DD or RFC 3339 (default: one day after the latest purchase)")
	fs.StringVar(&scale, "scale", "logstandard", "scaling of --features-csv: standard, minmax or logstandard (log1p of frequency and monetary, then z-scores)")
	fs.StringVar(&featuresCSV, "features-csv", "", "also write the scaled feature matrix as a numeric CSV with a header, for 'quarry mine kmeans'")
	return cmd
}

func parseDate(s string) (time.Time, error) {
	if t, err := time.Parse("2006-01-02", s); err == nil {
		return t, nil
	}
	return time.Parse(time.RFC3339, s)
}

func writeRFMCSV(w io.Writer, t *features.Table, p *purchases, r, f, m []int) error {
	cw := csv.NewWriter(w)
	header := []string{"customer", "recency_days", "frequency", "monetary", "r_score", "f_score", "m_score"}
	for _, name := range p.categories {
		header = append(header, "share_"+name)
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, len(header))
	for i, c := range t.Customers {
		rec = append(rec[:0], p.customers[c], ftoa(t.Recency[i]), ftoa(t.Frequency[i]), ftoa(t.Monetary[i]),
			strconv.Itoa(r[i]), strconv.Itoa(f[i]), strconv.Itoa(m[i]))
		for k := 0; k < t.Categories; k++ {
			rec = append(rec, ftoa(t.Shares[i*t.Categories+k]))
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeMatrixCSV writes a row-major matrix with a header row.
func writeMatrixCSV(w io.Writer, header []string, data []float64, cols int) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(header); err != nil {
		return err
	}
	rec := make([]string, cols)
	for i := 0; i+cols <= len(data); i += cols {
		for j := 0; j < cols; j++ {
			rec[j] = ftoa(data[i+j])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func ftoa(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
