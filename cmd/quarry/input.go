package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/format"
)

// checkEvery is how many records pass between checks for cancellation.
const checkEvery = 1 << 12

// baskets are transactions read from a FIMI file or a CSV log.
type baskets struct {
	txs   [][]uint32
	names format.ItemNames
}

// seqDB is a database of customer sequences.
type seqDB struct {
	seqs  []sequences.Sequence
	names format.ItemNames
}

// purchases are the order lines of a CSV log, for customer features.
type purchases struct {
	ps         []features.Purchase
	customers  []string
	categories []string
}

func (f *inputFlags) options() format.Options {
	return format.Options{Name: f.path, MaxLineBytes: f.maxLineBytes, SkipBadLines: f.skipBadLines}
}

// detect returns the input's format, from --format or the file name.
func (f *inputFlags) detect() (format.InputFormat, error) {
	if f.path == "" {
		return 0, usagef("--input is required")
	}
	switch f.format {
	case "":
		ff, err := format.Detect(f.path)
		if err != nil {
			return 0, usagef("%v; set --format fimi, spmf, csv or tsv", err)
		}
		return ff, nil
	case "fimi":
		return format.FormatFIMI, nil
	case "spmf":
		return format.FormatSPMF, nil
	case "csv":
		return format.FormatCSV, nil
	case "tsv":
		return format.FormatTSV, nil
	}
	return 0, usagef("--format: unknown format %q (want fimi, spmf, csv or tsv)", f.format)
}

// open opens the input, decompressing gzip transparently.
func (f *inputFlags) open() (*format.File, format.InputFormat, error) {
	ff, err := f.detect()
	if err != nil {
		return nil, 0, err
	}
	file, err := format.Open(f.path)
	if err != nil {
		return nil, 0, err
	}
	return file, ff, nil
}

// reportSkipped logs the bad lines a reader skipped.
func reportSkipped(path string, st format.Stats) {
	if st.Skipped == 0 {
		return
	}
	slog.Warn("skipped bad lines", "input", path, "skipped", st.Skipped, "lines", st.Lines)
	for _, e := range st.Samples {
		slog.Warn("bad line", "error", e.Error())
	}
}

// columnFlags pairs each column flag with its field in format.Columns.
func (f *inputFlags) columnFlags(cols *format.Columns) map[string]*string {
	return map[string]*string{
		"customer": &cols.Customer, "order": &cols.Order, "time": &cols.Time, "item": &cols.Item,
		"description": &cols.Description, "quantity": &cols.Quantity, "price": &cols.Price, "category": &cols.Category,
	}
}

// columnsFor returns the column mapping for a log with this header: a column
// left at its default name is dropped when the header lacks it, while one
// given on the command line is kept, so the reader reports it missing. The
// item column is always kept: it is required.
func (f *inputFlags) columnsFor(header []string) format.Columns {
	cols := f.cols
	have := make(map[string]bool, len(header))
	for _, h := range header {
		have[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = true
	}
	for name, col := range f.columnFlags(&cols) {
		if name == "item" || *col == "" || have[*col] || (f.fs != nil && f.fs.Changed(name)) {
			continue
		}
		*col = ""
	}
	return cols
}

// peekHeader returns the fields of the first line of br without consuming
// it; nil when there is none or it cannot be read as CSV.
func peekHeader(br *bufio.Reader, comma rune) []string {
	buf, _ := br.Peek(64 << 10)
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		buf = buf[:i]
	}
	cr := csv.NewReader(bytes.NewReader(buf))
	cr.Comma = comma
	cr.LazyQuotes = true
	rec, err := cr.Read()
	if err != nil {
		return nil
	}
	return rec
}

// logReader opens a CSV log reader over r, reading its header.
func (f *inputFlags) logReader(r io.Reader, ff format.InputFormat) (*format.CSVLogReader, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	cols := f.columnsFor(peekHeader(br, ff.Comma()))
	return format.NewCSVLogReader(br, cols, format.LogOptions{
		Options:      f.options(),
		Comma:        ff.Comma(),
		TimeLayout:   f.timeLayout,
		CancelPrefix: f.cancelPrefix,
		// An empty --cancel-prefix turns the prefix rule off.
		NoCancelPrefix: f.cancelPrefix == "",
	})
}

// drainLog streams the rows of a CSV log to add.
func (f *inputFlags) drainLog(ctx context.Context, lr *format.CSVLogReader, add func(*format.Row)) error {
	for n := 0; ; n++ {
		if n%checkEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		row, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		add(&row)
	}
	reportSkipped(f.path, lr.Stats())
	return nil
}

// readLog opens a CSV log over r and streams its rows to add.
func (f *inputFlags) readLog(ctx context.Context, r io.Reader, ff format.InputFormat, add func(*format.Row)) (*format.CSVLogReader, error) {
	lr, err := f.logReader(r, ff)
	if err != nil {
		return nil, err
	}
	return lr, f.drainLog(ctx, lr, add)
}

// loadBaskets reads transactions: one per line of a FIMI file, one per
// order of a CSV log.
func loadBaskets(ctx context.Context, f *inputFlags) (*baskets, error) {
	file, ff, err := f.open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	switch ff {
	case format.FormatFIMI:
		fr := format.NewFIMIReader(file, f.options())
		var txs [][]uint32
		for {
			if len(txs)%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			tx, err := fr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			txs = append(txs, tx)
		}
		reportSkipped(f.path, fr.Stats())
		return &baskets{txs: txs, names: format.NumericItems{}}, nil
	case format.FormatCSV, format.FormatTSV:
		dict := format.NewDictionary()
		bb := format.NewBasketBuilder(dict)
		if _, err := f.readLog(ctx, file, ff, bb.Add); err != nil {
			return nil, err
		}
		txs, _ := bb.Baskets()
		slog.Debug("read transaction log", "input", f.path, "orders", len(txs), "items", dict.Len(), "return_rows", bb.Returns)
		return &baskets{txs: txs, names: dict}, nil
	}
	return nil, usagef("%s: itemsets and rules read FIMI baskets or CSV logs, not %s; use 'quarry mine sequences' for sequence files", f.path, ff)
}

// loadSequences reads customer sequences: one per line of an SPMF file, one
// per customer of a CSV log (times in unit).
func loadSequences(ctx context.Context, f *inputFlags, unit time.Duration) (*seqDB, error) {
	file, ff, err := f.open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	switch ff {
	case format.FormatSPMF:
		sr := format.NewSPMFReader(file, f.options())
		var seqs []sequences.Sequence
		for {
			if len(seqs)%checkEvery == 0 {
				if err := ctx.Err(); err != nil {
					return nil, err
				}
			}
			s, err := sr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return nil, err
			}
			seqs = append(seqs, s)
		}
		reportSkipped(f.path, sr.Stats())
		return &seqDB{seqs: seqs, names: format.NumericItems{}}, nil
	case format.FormatCSV, format.FormatTSV:
		dict := format.NewDictionary()
		sb := format.NewSequenceBuilder(dict, unit)
		lr, err := f.readLog(ctx, file, ff, sb.Add)
		if err != nil {
			return nil, err
		}
		if lr.Mapped().Customer == "" || lr.Mapped().Time == "" {
			return nil, usagef("%s: sequences need a customer and a time column (--customer, --time)", f.path)
		}
		_, seqs := sb.Sequences()
		if sb.NoCustomer > 0 {
			slog.Info("rows without a customer id left out of sequences", "input", f.path, "rows", sb.NoCustomer)
		}
		return &seqDB{seqs: seqs, names: dict}, nil
	}
	return nil, usagef("%s: sequences read SPMF sequence files or CSV logs, not %s", f.path, ff)
}

// loadPurchases reads the order lines of a CSV log for customer features.
func loadPurchases(ctx context.Context, f *inputFlags) (*purchases, error) {
	file, ff, err := f.open()
	if err != nil {
		return nil, err
	}
	defer file.Close()
	if ff != format.FormatCSV && ff != format.FormatTSV {
		return nil, usagef("%s: customer features read CSV transaction logs, not %s", f.path, ff)
	}
	// The amount is quantity × price, or the item count when the log has
	// no price column: decided once the header is read.
	lr, err := f.logReader(file, ff)
	if err != nil {
		return nil, err
	}
	if lr.Mapped().Customer == "" {
		return nil, usagef("%s: customer features need a customer column (--customer)", f.path)
	}
	pb := format.NewPurchaseBuilder(lr.Mapped().Price == "")
	if err := f.drainLog(ctx, lr, pb.Add); err != nil {
		return nil, err
	}
	if pb.NoCustomer > 0 {
		slog.Info("rows without a customer id left out of customer features", "input", f.path, "rows", pb.NoCustomer)
	}
	ps, customers, categories := pb.Purchases()
	return &purchases{ps: ps, customers: customers, categories: categories}, nil
}
