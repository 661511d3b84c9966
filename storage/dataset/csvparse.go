package dataset

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/split"
)

// logOptions returns the CSV reader options of spec.
func logOptions(spec Spec, opt format.Options) format.LogOptions {
	return format.LogOptions{
		Options:        opt,
		Comma:          spec.Format.Comma(),
		Whitespace:     spec.Format == format.FormatSSV,
		NoHeader:       spec.NoHeader,
		TimeLayout:     spec.TimeLayout,
		CancelPrefix:   spec.CancelPrefix,
		NoCancelPrefix: spec.CancelPrefix == "",
	}
}

func (sr *SplitRows) parseCSV(ctx context.Context, r io.Reader, spec Spec, opt format.Options) error {
	if spec.Columns.Time != "" && spec.TimeLayout == "" {
		return errors.New("dataset: the time layout must be fixed before splits are parsed (see DetectTimeLayout)")
	}
	lr, err := format.NewCSVLogReader(r, spec.Columns, logOptions(spec, opt))
	if err != nil {
		return err
	}
	sr.rows = make([][]logRow, spec.Partitions)
	sr.catIDs = make(map[string]int32)
	sr.minT, sr.maxT = math.MaxInt64, math.MinInt64
	intern := make(map[string]string)
	str := func(s string) string {
		if v, ok := intern[s]; ok {
			return v
		}
		v := strings.Clone(s)
		intern[v] = v
		return v
	}
	hasOrder, hasTime := spec.Columns.Order != "", spec.Columns.Time != ""
	for n := int32(0); ; n++ {
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
		if n == math.MaxInt32 {
			return fmt.Errorf("dataset: %s: split %v has too many rows; use smaller splits", opt.Name, sr.Split)
		}
		rec := logRow{
			customer: str(row.Customer),
			order:    str(row.Order),
			qty:      row.Quantity,
			price:    row.Price,
			item:     sr.localID(row.Item, row.Description),
			cat:      -1,
			seq:      n,
			cancel:   hasOrder && spec.CancelPrefix != "" && strings.HasPrefix(row.Order, spec.CancelPrefix),
		}
		if hasTime {
			rec.t = row.Time.UnixNano()
			sr.minT, sr.maxT = min(sr.minT, rec.t), max(sr.maxT, rec.t)
		}
		if row.Category != "" {
			c, ok := sr.catIDs[row.Category]
			if !ok {
				c = int32(len(sr.cats))
				sr.cats = append(sr.cats, strings.Clone(row.Category))
				sr.catIDs[sr.cats[c]] = c
			}
			rec.cat = c
		}
		key := row.Customer
		if key == "" {
			key = row.Order
			sr.counts.NoCustomer++
		}
		if row.Return {
			sr.counts.Returns++
		}
		b := CustomerBucket(key, spec.Partitions)
		sr.rows[b] = append(sr.rows[b], rec)
		sr.counts.Records++
	}
	sr.counts.Rows = sr.counts.Records
	sr.Stats = lr.Stats()
	return nil
}

// DetectTimeLayout returns the time layout of a CSV log's time column as
// format.NewCSVLogReader detects it on the first row with a readable time,
// reading from the start of the object key. It returns "" when the log has
// no time column or no row with a time among its first 10,000 lines.
func DetectTimeLayout(ctx context.Context, src split.Source, key string, spec Spec) (string, error) {
	spec = spec.withDefaults()
	if spec.Columns.Time == "" || spec.TimeLayout != "" {
		return spec.TimeLayout, nil
	}
	splits, err := split.PlanObject(ctx, src, key, 0)
	if err != nil {
		return "", err
	}
	s := splits[0]
	if !s.Gzip {
		s.End = min(s.Size, 1<<20) // a first megabyte is plenty
	}
	lr := split.NewLineReader(ctx, src, key, s)
	lr.SetMaxLine(2*spec.MaxLineBytes + 2)
	lr.SetMaxGzipRatio(spec.MaxGzipRatio)
	defer lr.Close()
	opt := format.Options{Name: key, MaxLineBytes: spec.MaxLineBytes, SkipBadLines: true, MaxSamples: 1}
	cr, err := format.NewCSVLogReader(&lineFeed{lr: lr}, spec.Columns, logOptions(spec, opt))
	if err != nil {
		return "", err
	}
	for range 10000 {
		_, err := cr.Next()
		if l := cr.TimeLayout(); l != "" {
			return l, nil
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return "", nil
			}
			return "", err
		}
	}
	return "", nil
}
