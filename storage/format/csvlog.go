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

// Columns names the header columns of a transaction log. Only Item is
// required; an empty name means the column is absent.
type Columns struct {
	Customer    string // customer id
	Order       string // order (invoice) id
	Time        string // order time
	Item        string // item (product) id: required
	Description string // item description
	Quantity    string // quantity; absent means 1
	Price       string // unit price; absent means 0
	Category    string // item category
}

// DefaultColumns returns the layout of the UCI Online Retail dataset:
// CustomerID, InvoiceNo, InvoiceDate, StockCode, Description, Quantity and
// UnitPrice, without a category.
func DefaultColumns() Columns {
	return Columns{
		Customer:    "CustomerID",
		Order:       "InvoiceNo",
		Time:        "InvoiceDate",
		Item:        "StockCode",
		Description: "Description",
		Quantity:    "Quantity",
		Price:       "UnitPrice",
	}
}

// DefaultCancelPrefix starts the order id of a cancellation in the Online
// Retail data.
const DefaultCancelPrefix = "C"

// LogOptions are the settings of a CSVLogReader.
type LogOptions struct {
	Options
	// Comma is the field separator (default ',').
	Comma rune
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
// the customer and the time ("customer|2006-01-02T15:04:05Z"), and when it
// has neither a Customer nor a Time column either, from the line number, so
// that each row is its own order. Customer is "" when the log has no
// Customer column or the row's cell is empty. Time is the zero time.Time
// when the log has no Time column. Quantity is 1 and Price 0 when their
// columns are absent.
//
// Return is the returns rule: a row is a return when its order id (from a
// real Order column) starts with the cancel prefix ("C" by default, as in
// Online Retail) or when its quantity is negative.
type Row struct {
	Line                                         int
	Customer, Order, Item, Description, Category string
	Time                                         time.Time
	Quantity, Price                              float64
	Return                                       bool
}

// CSVLogReader reads a CSV transaction log row by row. Rows with a wrong
// number of fields, an unreadable number or time, or an empty item are bad
// lines. A line longer than Options.MaxLineBytes is always fatal here, even
// with SkipBadLines, since the CSV reader cannot resynchronise inside it.
type CSVLogReader struct {
	cr       *csv.Reader
	guard    *lineGuard
	opt      LogOptions
	bad      badLines
	idx      [8]int // column index of each Columns field, -1 if absent
	present  Columns
	header   []string
	layout   string
	err      error
	lastLine int
}

// column positions in CSVLogReader.idx
const (
	colCustomer = iota
	colOrder
	colTime
	colItem
	colDescription
	colQuantity
	colPrice
	colCategory
)

// NewCSVLogReader reads the header of r and maps cols onto it. Empty input
// (not even a header) is an empty log, not an error. A column
// named in cols but absent from the header is an error naming the column
// and listing the header; so is a missing Item column name. Matching is
// exact after trimming blanks and a UTF-8 byte-order mark.
//
// Time detection: with an empty TimeLayout, the layout is chosen on the
// first row with a non-empty time, as the first that parses among RFC 3339,
// "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04",
// "2006-01-02", day-first "02/01/2006 15:04:05", "02/01/2006 15:04",
// "02/01/2006" and the same with '-', then Unix seconds; later rows must
// follow the same layout. Month-first dates ("01/02/2006") are never
// guessed; set TimeLayout for them. A time before 1970 or from 2200 on is a
// bad line.
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
	if cols.Item == "" {
		return nil, fmt.Errorf("%s: the item column is required (Columns.Item is empty)", objName(opt.Name))
	}
	g := newLineGuard(r, opt.MaxLineBytes, opt.Name)
	cr := csv.NewReader(g)
	cr.Comma = opt.Comma
	cr.ReuseRecord = true
	lr := &CSVLogReader{cr: cr, guard: g, opt: opt, bad: badLines{opt: opt.Options}, layout: opt.TimeLayout}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		lr.err = io.EOF // empty input: no header, no rows
		return lr, nil
	}
	if err != nil {
		return nil, lr.readError(err)
	}
	lr.bad.stats.Lines = 1
	lr.lastLine = 1
	lr.header = append([]string(nil), header...)
	for i := range lr.header {
		lr.header[i] = strings.TrimSpace(strings.TrimPrefix(lr.header[i], "\ufeff"))
	}
	cr.FieldsPerRecord = len(header)
	names := [8]string{cols.Customer, cols.Order, cols.Time, cols.Item, cols.Description, cols.Quantity, cols.Price, cols.Category}
	var missing []string
	for k, name := range names {
		lr.idx[k] = -1
		if name == "" {
			continue
		}
		for i, h := range lr.header {
			if h == name {
				lr.idx[k] = i
				break
			}
		}
		if lr.idx[k] < 0 {
			missing = append(missing, strconv.Quote(name))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s:1: column %s not in the header %s", objName(opt.Name), strings.Join(missing, ", "), quote(strings.Join(lr.header, ",")))
	}
	lr.present = cols
	return lr, nil
}

func objName(name string) string {
	if name == "" {
		return "input"
	}
	return name
}

// Header returns the header row.
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
	s.Lines = lr.lastLine
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
		rec, err := lr.cr.Read()
		if errors.Is(err, io.EOF) {
			lr.err = io.EOF
			return Row{}, io.EOF
		}
		var pe *csv.ParseError
		if err != nil && errors.As(err, &pe) {
			lr.lastLine = pe.Line
			le := &LineError{Line: pe.StartLine, Reason: csvReason(pe, len(rec), lr.cr.FieldsPerRecord), Err: pe.Err}
			if len(rec) > 0 {
				le.Text = truncate([]byte(strings.Join(rec, string(lr.opt.Comma))))
			}
			if err := lr.bad.reject(le); err != nil {
				lr.err = err
				return Row{}, err
			}
			continue
		}
		if err != nil {
			lr.err = lr.readError(err)
			return Row{}, lr.err
		}
		line, _ := lr.cr.FieldPos(0)
		lr.lastLine = line
		row, le := lr.row(rec, line)
		if le != nil {
			le.Line = line
			le.Text = truncate([]byte(strings.Join(rec, string(lr.opt.Comma))))
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
		return fmt.Sprintf("wrong number of fields: %d, the header has %d (truncated or malformed record)", got, want)
	}
	return fmt.Sprintf("column %d: %v", pe.Column, pe.Err)
}

// readError names the object in an error that is not a parse error, such
// as the line guard's or the stream's.
func (lr *CSVLogReader) readError(err error) error {
	var le *LineError
	if errors.As(err, &le) {
		return le
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{Object: lr.opt.Name, Line: pe.StartLine, Reason: csvReason(pe, 0, lr.cr.FieldsPerRecord), Err: pe.Err}
	}
	return fmt.Errorf("%s: read: %w", objName(lr.opt.Name), err)
}

// row turns one record into a Row.
func (lr *CSVLogReader) row(rec []string, line int) (Row, *LineError) {
	get := func(k int) string {
		if lr.idx[k] < 0 {
			return ""
		}
		return rec[lr.idx[k]]
	}
	field := func(k int) string { return lr.header[lr.idx[k]] }
	r := Row{
		Line:        line,
		Customer:    strings.TrimSpace(get(colCustomer)),
		Order:       strings.TrimSpace(get(colOrder)),
		Item:        strings.TrimSpace(get(colItem)),
		Description: strings.TrimSpace(get(colDescription)),
		Category:    strings.TrimSpace(get(colCategory)),
		Quantity:    1,
	}
	if r.Item == "" {
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
