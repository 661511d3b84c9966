package main

import (
	"fmt"
	"log/slog"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/quarrydata/quarry/algorithms/support"
	"github.com/quarrydata/quarry/storage/format"
)

func newMineCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "mine",
		Short: "Mine local files in one process (the reference for every distributed result)",
		Long: `Mine local files in one process. These commands are the single-process
reference that every distributed job's result is checked against.

Supports in the output are counts. A --min-support below 1 is a fraction s and
means a count threshold of ceil(s × N), N being the number of transactions (or
sequences); a value of 1 or more is the count itself.`,
	}
	cmd.AddCommand(newMineItemsetsCmd(), newMineRulesCmd(), newMineSequencesCmd(), newMineKMeansCmd(), newMineRFMCmd(), newMineSegmentsCmd())
	return cmd
}

// inputFlags are the flags shared by every command that reads a local file.
type inputFlags struct {
	path         string
	format       string
	skipBadLines bool
	maxLineBytes int
	cols         format.Columns
	timeLayout   string
	cancelPrefix string
	fs           *pflag.FlagSet // to tell flags given from defaults
}

func (f *inputFlags) register(fs *pflag.FlagSet, csvLog bool) {
	f.fs = fs
	fs.StringVar(&f.path, "input", "", "input file (required); .gz is read transparently")
	fs.StringVar(&f.format, "format", "", "input format: fimi, spmf or csv (default: from the file extension)")
	fs.BoolVar(&f.skipBadLines, "skip-bad-lines", false, "skip and count malformed lines instead of failing")
	fs.IntVar(&f.maxLineBytes, "max-line-bytes", 1<<20, "longest line accepted, in bytes")
	if !csvLog {
		return
	}
	d := format.DefaultColumns()
	// The defaults name the UCI Online Retail columns; a default column that
	// a log does not have is simply not used (see columnsFor), while a column
	// named explicitly must exist.
	fs.StringVar(&f.cols.Customer, "customer", d.Customer, "CSV column holding the customer id")
	fs.StringVar(&f.cols.Order, "order", d.Order, "CSV column holding the order (invoice) id; empty: an order is a customer's purchases at one time")
	fs.StringVar(&f.cols.Time, "time", d.Time, "CSV column holding the order time")
	fs.StringVar(&f.cols.Item, "item", d.Item, "CSV column holding the item (product) id")
	fs.StringVar(&f.cols.Description, "description", d.Description, "CSV column holding the item description (optional)")
	fs.StringVar(&f.cols.Quantity, "quantity", d.Quantity, "CSV column holding the quantity (optional; 1 when absent)")
	fs.StringVar(&f.cols.Price, "price", d.Price, "CSV column holding the unit price (optional)")
	fs.StringVar(&f.cols.Category, "category", d.Category, "CSV column holding the product category (optional)")
	fs.StringVar(&f.timeLayout, "time-layout", "", "Go time layout of the time column, e.g. 02/01/2006 15:04 (default: detected from the first row)")
	fs.StringVar(&f.cancelPrefix, "cancel-prefix", "C", "order ids starting with this prefix are cancellations (returns)")
}

// outputFlags are the flags shared by every command that writes patterns.
type outputFlags struct {
	path   string
	format string
}

func (f *outputFlags) register(fs *pflag.FlagSet) {
	fs.StringVarP(&f.path, "output", "o", "", "output file, - for standard output (required)")
	fs.StringVar(&f.format, "output-format", "json", "output format: json (JSON Lines), spmf, or text (readable, with item descriptions)")
}

func (f *outputFlags) parse() (format.OutputFormat, error) {
	of, err := format.ParseOutputFormat(f.format)
	if err != nil {
		return "", usagef("--output-format: %v", err)
	}
	if f.path == "" {
		return "", usagef("--output is required (use - for standard output)")
	}
	return of, nil
}

func parseSupport(s string) (support.Threshold, error) {
	if s == "" {
		return support.Threshold{}, usagef("--min-support is required")
	}
	t, err := support.Parse(s)
	if err != nil {
		return support.Threshold{}, usagef("--min-support: %v", err)
	}
	return t, nil
}

// logDone logs what a mining command did, on standard error.
func logDone(what string, n, found, minCount int, start time.Time) {
	slog.Info("mined", "what", what, "records", n, "found", found, "min_count", minCount,
		"seconds", fmt.Sprintf("%.3f", time.Since(start).Seconds()))
}
