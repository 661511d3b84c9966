package format

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// DefaultCancelPrefix starts the order id of a cancellation in the Online
// Retail data.
const DefaultCancelPrefix = "C"

// LogOptions are the settings of a CSVLogReader.
type LogOptions struct {
	Options
	// Comma is the field separator (default ',').
	Comma rune
	// Whitespace makes fields separated by runs of spaces and tabs, with
	// leading and trailing ones ignored and no quoting (FormatSSV); Comma
	// is then unused.
	Whitespace bool
	// NoHeader says the log has no header line: Columns then name
	// 1-based positions, and the first line is a record that sets the
	// number of fields of every line.
	NoHeader bool
	// TimeLayout is the Go time layout of the Time column, or LayoutUnix
	// for Unix seconds. Empty means: detect it on the first row (see
	// NewCSVLogReader).
	TimeLayout string
	// Location is the time zone of times without one (default UTC).
	Location *time.Location
	// CancelPrefix marks a return by its order id (default
	// DefaultCancelPrefix); NoCancelPrefix turns the rule off.
	CancelPrefix   string
	NoCancelPrefix bool
}

// Row is one line of a transaction log.
//
// Order is the order id; when the log has no Order column it is made from
// the customer and the time ("customer|2006-01-02T15:04:05Z"), so that the
// lines of one customer at one time (a day, for a log of dates) are one
// order, and when it has neither a Customer nor a Time column either, from
// the line number, so that each row is its own order. Customer is "" when
// the log has no Customer column or the row's cell is empty; Item is ""
// when it has no Item column. Time is the zero time.Time when the log has
// no Time column. Quantity is 1 and Price 0 when their columns are
// absent; with an Amount column, Quantity is 1 and Price the amount, or
// Quantity −1 and Price −amount when the amount is negative.
//
// Return is the returns rule: a row is a return when its order id (from a
// real Order column) starts with the cancel prefix ("C" by default, as in
// Online Retail) or when its quantity is negative (a negative amount).
type Row struct {
	Line                                         int
	Customer, Order, Item, Description, Category string
	Time                                         time.Time
	Quantity, Price                              float64
	Return                                       bool
}

// CSVLogReader reads a delimited transaction log row by row: CSV or TSV
// (encoding/csv, quotes allowed) or SSV (LogOptions.Whitespace), with a
// header or without one (LogOptions.NoHeader). Rows with a wrong number of
// fields, an unreadable number or time, or an empty item are bad lines. A
// line longer than Options.MaxLineBytes is always fatal here, even with
// SkipBadLines, since the CSV reader cannot resynchronise inside it (and
// an SSV log follows the same rule).
type CSVLogReader struct {
	src     fieldSource
	opt     LogOptions
	bad     badLines
	idx     [numColumns]int // column index of each Columns field, -1 if absent
	fields  []string        // the name of each field in errors
	present Columns
	header  []string
	layout  string
	err     error
	pending []string // NoHeader: the first record, read to check the columns
	pendAt  int
}

// NewCSVLogReader reads the header of r and maps cols onto it. Empty input
// (not even a header) is an empty log, not an error. A column named in
// cols but absent from the header is an error naming the column and
// listing the header. Matching is exact after trimming blanks and a UTF-8
// byte-order mark. With LogOptions.NoHeader, cols name 1-based positions
// and the first record is read at once: a name that is not a position, or
// a position beyond the first record's fields, is an error wrapping a
// *ColumnError. An Amount column with a Quantity or Price column is an
// error too (see CheckColumns).
//
// Time detection: with an empty TimeLayout, the layout is chosen on the
// first row with a non-empty time, as the first that parses among RFC 3339,
// "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04",
// "2006-01-02", eight digits "20060102" (yyyymmdd: read as a date rather
// than as Unix seconds, which would fall in 1970–1973), day-first
// "02/01/2006 15:04:05", "02/01/2006 15:04", "02/01/2006" and the same
// with '-', then Unix seconds; later rows must follow the same layout.
// Month-first dates ("01/02/2006") are never guessed; set TimeLayout for
// them. A time before 1970 or from 2200 on is a bad line.
func NewCSVLogReader(r io.Reader, cols Columns, opt LogOptions) (*CSVLogReader, error) {
	opt.Options = opt.Options.withDefaults()
	if opt.Comma == 0 {
		opt.Comma = ','
	}
	if opt.Location == nil {
		opt.Location = time.UTC
	}
	if opt.CancelPrefix == "" && !opt.NoCancelPrefix {
		opt.CancelPrefix = DefaultCancelPrefix
	}
	if opt.NoCancelPrefix {
		opt.CancelPrefix = ""
	}
	if err := CheckColumns(cols, opt.NoHeader); err != nil {
		return nil, fmt.Errorf("%s: %w", objName(opt.Name), err)
	}
	var src fieldSource
	if opt.Whitespace {
		src = newSSVSource(r, opt.Options)
	} else {
		src = newCSVSource(r, opt.Comma, opt.Options)
	}
	lr := &CSVLogReader{src: src, opt: opt, bad: badLines{opt: opt.Options}, layout: opt.TimeLayout}
	first, line, err := lr.first()
	if errors.Is(err, io.EOF) {
		lr.err = io.EOF // empty input: no header, no rows
		return lr, nil
	}
	if err != nil {
		return nil, err
	}
	what := "the header"
	if opt.NoHeader {
		what = "the first line"
		lr.pending, lr.pendAt = append([]string(nil), first...), line
	} else {
		lr.header = append([]string(nil), first...)
		for i := range lr.header {
			lr.header[i] = strings.TrimSpace(strings.TrimPrefix(lr.header[i], "\ufeff"))
		}
		first = lr.header
	}
	src.expect(len(first), what)
	if lr.idx, lr.fields, err = resolveColumns(cols, first, opt.NoHeader, opt.Name, line); err != nil {
		return nil, err
	}
	lr.present = cols
	return lr, nil
}

// first reads the header, or without one the first record: a bad first
// record is skipped in SkipBadLines mode, a bad header always fatal.
func (lr *CSVLogReader) first() ([]string, int, error) {
	for {
		rec, line, bad, err := lr.src.next()
		if err != nil {
			return nil, 0, err
		}
		if bad == nil {
			return rec, line, nil
		}
		if !lr.opt.NoHeader {
			bad.Object = lr.opt.Name
			return nil, 0, bad
		}
		if err := lr.bad.reject(bad); err != nil {
			return nil, 0, err
		}
	}
}

func objName(name string) string {
	if name == "" {
		return "input"
	}
	return name
}

// Header returns the header row, nil for a log without one.
func (lr *CSVLogReader) Header() []string { return lr.header }

// Mapped returns the columns found: those of the Columns given, since any
// named column missing from the header is an error. An empty field means
// the column is absent, and its default applies.
func (lr *CSVLogReader) Mapped() Columns { return lr.present }

// TimeLayout returns the time layout in use: the one given or detected,
// or "" before the first row with a time.
func (lr *CSVLogReader) TimeLayout() string { return lr.layout }

// Stats returns the counts so far.
func (lr *CSVLogReader) Stats() Stats {
	s := lr.bad.snapshot()
	s.Lines = lr.src.lines()
	return s
}

// Next returns the next row, or io.EOF after the last. A bad line is a
// *LineError unless Options.SkipBadLines; after an error Next keeps
// returning it.
func (lr *CSVLogReader) Next() (Row, error) {
	if lr.err != nil {
		return Row{}, lr.err
	}
	for {
		rec, line := lr.pending, lr.pendAt
		lr.pending = nil
		if rec == nil {
			var bad *LineError
			var err error
			rec, line, bad, err = lr.src.next()
			if err != nil {
				lr.err = err
				return Row{}, err
			}
			if bad != nil {
				if err := lr.bad.reject(bad); err != nil {
					lr.err = err
					return Row{}, err
				}
				continue
			}
		}
		row, le := lr.row(rec, line)
		if le != nil {
			le.Line = line
			le.Text = truncate([]byte(strings.Join(rec, lr.src.sep())))
			if err := lr.bad.reject(le); err != nil {
				lr.err = err
				return Row{}, err
			}
			continue
		}
		lr.bad.stats.Records++
		return row, nil
	}
}

// csvReason explains a parse error; got and want are the record's number
// of fields and the header's, for csv.ErrFieldCount.
func csvReason(pe *csv.ParseError, got, want int) string {
	if errors.Is(pe.Err, csv.ErrFieldCount) {
		return fieldCountReason(got, want, "the header")
	}
	return fmt.Sprintf("column %d: %v", pe.Column, pe.Err)
}

// row turns one record into a Row.
func (lr *CSVLogReader) row(rec []string, line int) (Row, *LineError) {
	get := func(k int) string {
		if lr.idx[k] < 0 {
			return ""
		}
		return rec[lr.idx[k]]
	}
	field := func(k int) string { return lr.fields[lr.idx[k]] }
	r := Row{
		Line:        line,
		Customer:    strings.TrimSpace(get(colCustomer)),
		Order:       strings.TrimSpace(get(colOrder)),
		Item:        strings.TrimSpace(get(colItem)),
		Description: strings.TrimSpace(get(colDescription)),
		Category:    strings.TrimSpace(get(colCategory)),
		Quantity:    1,
	}
	if r.Item == "" && lr.idx[colItem] >= 0 {
		return Row{}, &LineError{Field: field(colItem), Reason: "empty item"}
	}
	// Ids must be valid UTF-8: the manifest and the APIs carry them as
	// JSON strings, which would turn distinct invalid bytes into the same
	// U+FFFD. Descriptions are only shown, so they are kept as they are.
	for _, k := range []int{colItem, colCustomer, colOrder, colCategory} {
		if lr.idx[k] >= 0 && !utf8.ValidString(get(k)) {
			return Row{}, &LineError{Field: field(k), Reason: "not valid UTF-8: " + quote(get(k))}
		}
	}
	if lr.idx[colTime] >= 0 {
		s := strings.TrimSpace(get(colTime))
		if s == "" {
			return Row{}, &LineError{Field: field(colTime), Reason: "empty time"}
		}
		if lr.layout == "" {
			l, err := detectLayout(s, lr.opt.Location)
			if err != nil {
				return Row{}, &LineError{Field: field(colTime), Reason: err.Error()}
			}
			lr.layout = l
		}
		t, reason := parseTime(s, lr.layout, lr.opt.Location)
		if reason != "" {
			return Row{}, &LineError{Field: field(colTime), Reason: reason}
		}
		r.Time = t
	}
	var reason string
	if lr.idx[colQuantity] >= 0 {
		if r.Quantity, reason = parseNumber(get(colQuantity)); reason != "" {
			return Row{}, &LineError{Field: field(colQuantity), Reason: reason}
		}
	}
	if lr.idx[colPrice] >= 0 {
		if r.Price, reason = parseNumber(get(colPrice)); reason != "" {
			return Row{}, &LineError{Field: field(colPrice), Reason: reason}
		}
	}
	if lr.idx[colAmount] >= 0 {
		if r.Price, reason = parseNumber(get(colAmount)); reason != "" {
			return Row{}, &LineError{Field: field(colAmount), Reason: reason}
		}
		switch {
		case r.Price < 0:
			r.Quantity, r.Price = -1, -r.Price
		case r.Price == 0:
			r.Price = 0 // not −0
		}
	}
	if lr.idx[colOrder] >= 0 {
		if r.Order == "" {
			return Row{}, &LineError{Field: field(colOrder), Reason: "empty order id"}
		}
		r.Return = lr.opt.CancelPrefix != "" && strings.HasPrefix(r.Order, lr.opt.CancelPrefix)
	} else if lr.idx[colCustomer] >= 0 || lr.idx[colTime] >= 0 {
		r.Order = r.Customer + "|" + r.Time.UTC().Format(time.RFC3339Nano)
	} else {
		r.Order = "#" + strconv.Itoa(line)
	}
	r.Return = r.Return || r.Quantity < 0
	return r, nil
}

// ReadCSVLog reads every row of a transaction log.
func ReadCSVLog(r io.Reader, cols Columns, opt LogOptions) ([]Row, Stats, error) {
	lr, err := NewCSVLogReader(r, cols, opt)
	if err != nil {
		return nil, Stats{}, err
	}
	var rows []Row
	for {
		row, err := lr.Next()
		if errors.Is(err, io.EOF) {
			return rows, lr.Stats(), nil
		}
		if err != nil {
			return nil, lr.Stats(), err
		}
		rows = append(rows, row)
	}
}
