package format

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"strconv"
	"strings"
)

// Columns names the columns of a transaction log: header names, or with
// LogOptions.NoHeader 1-based positions ("1", "3"). An empty name means
// the column is absent. No column is required by the reader: a log
// without an Item column gives rows with an empty Item, for the analyses
// that use no items (RFM, segments, customer-base models); the item
// analyses refuse such a log.
//
// How a number is resolved: with NoHeader it is a position, and any other
// name is an error; with a header every name, a number included, is a
// header name ("1" is the column whose header cell is "1").
type Columns struct {
	Customer    string // customer id
	Order       string // order (invoice) id
	Time        string // order time
	Item        string // item (product) id
	Description string // item description
	Quantity    string // quantity; absent means 1
	Price       string // unit price; absent means 0
	Category    string // item category
	// Amount is the money value of the line, for logs that have no
	// quantity × price (customer-base logs such as CDNOW). It excludes
	// Quantity and Price: the row then has Quantity 1 and Price the
	// amount, or Quantity −1 and Price −amount for a negative amount,
	// which is a return as a negative quantity is.
	Amount string
}

// DefaultColumns returns the layout of the UCI Online Retail dataset:
// CustomerID, InvoiceNo, InvoiceDate, StockCode, Description, Quantity and
// UnitPrice, without a category or an amount.
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

// Monetary reports whether the columns give each line a money value (a
// price or an amount); without one, the value of a line is its quantity
// (see PurchaseBuilder).
func (c Columns) Monetary() bool { return c.Price != "" || c.Amount != "" }

// numColumns is the number of fields of Columns.
const numColumns = 9

// column positions in CSVLogReader.idx, in the order of Columns' fields
const (
	colCustomer = iota
	colOrder
	colTime
	colItem
	colDescription
	colQuantity
	colPrice
	colCategory
	colAmount
)

// columnRoles are the roles of Columns' fields, in order: their names in
// lower case, which are also the quarry command-line flags and the import
// spec's JSON fields that name them.
var columnRoles = [numColumns]string{"customer", "order", "time", "item", "description", "quantity", "price", "category", "amount"}

func (c Columns) names() [numColumns]string {
	return [numColumns]string{c.Customer, c.Order, c.Time, c.Item, c.Description, c.Quantity, c.Price, c.Category, c.Amount}
}

// ColumnRole is one column named in Columns.
type ColumnRole struct {
	Role string // "customer", "order", "time", "item", "description", "quantity", "price", "category" or "amount"
	Name string // the header name or the position, as given
}

// Roles returns the columns named in c (the non-empty fields), in the
// order of Columns' fields.
func (c Columns) Roles() []ColumnRole {
	var out []ColumnRole
	for k, name := range c.names() {
		if name != "" {
			out = append(out, ColumnRole{Role: columnRoles[k], Name: name})
		}
	}
	return out
}

// ColumnError is a column of Columns that a log cannot have: a name that
// is not a position in a log without a header, a position beyond the
// fields of its first line, or an amount next to a quantity or price.
// Role says which field of Columns is at fault, so that callers can name
// their own flag or spec field.
type ColumnError struct {
	Role   string
	Name   string
	Reason string
}

func (e *ColumnError) Error() string {
	return fmt.Sprintf("%s column %q: %s", e.Role, e.Name, e.Reason)
}

// CheckColumns checks the columns a log may use before any line is read:
// an amount excludes a quantity and a price, and without a header every
// name must be a position (1 or more). It returns a *ColumnError.
func CheckColumns(c Columns, noHeader bool) error {
	if c.Amount != "" && (c.Quantity != "" || c.Price != "") {
		role, name := "quantity", c.Quantity
		if c.Price != "" {
			role, name = "price", c.Price
		}
		return &ColumnError{Role: role, Name: name, Reason: "a log with an amount column has no quantity or price: the line's value is the amount"}
	}
	if !noHeader {
		return nil
	}
	for _, r := range c.Roles() {
		if _, ok := position(r.Name); !ok {
			return &ColumnError{Role: r.Role, Name: r.Name, Reason: "a log without a header names its columns by 1-based position (1, 2, …)"}
		}
	}
	return nil
}

// position reads a 1-based column position: decimal digits only, at least
// 1.
func position(s string) (int, bool) {
	if s == "" || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil && n >= 1
}

// resolveColumns returns the 0-based field index of each column of c, -1
// for absent ones, and the name that errors give each field: the header
// name, or "column N" without a header. first is the header, or without
// one the first line's fields. A name missing from the header, or a
// position beyond first, is an error naming the line.
func resolveColumns(c Columns, first []string, noHeader bool, obj string, line int) (idx [numColumns]int, fields []string, err error) {
	if err := CheckColumns(c, noHeader); err != nil {
		return idx, nil, fmt.Errorf("%s: %w", objName(obj), err)
	}
	fields = make([]string, len(first))
	for i := range first {
		if noHeader {
			fields[i] = "column " + strconv.Itoa(i+1)
		} else {
			fields[i] = first[i]
		}
	}
	var missing []string
	for k, name := range c.names() {
		idx[k] = -1
		if name == "" {
			continue
		}
		if noHeader {
			p, _ := position(name) // checked by CheckColumns
			if p > len(first) {
				return idx, nil, fmt.Errorf("%s:%d: %w", objName(obj), line, &ColumnError{Role: columnRoles[k], Name: name,
					Reason: fmt.Sprintf("beyond the %d fields of the first line", len(first))})
			}
			idx[k] = p - 1
			continue
		}
		for i, h := range first {
			if h == name {
				idx[k] = i
				break
			}
		}
		if idx[k] < 0 {
			missing = append(missing, strconv.Quote(name))
		}
	}
	if len(missing) > 0 {
		return idx, nil, fmt.Errorf("%s:%d: column %s not in the header %s", objName(obj), line, strings.Join(missing, ", "), quote(strings.Join(first, ",")))
	}
	return idx, fields, nil
}

// HeaderFields splits the first line of a log of format f as its reader
// does (CSV and TSV leniently, quotes allowed anywhere; SSV on runs of
// blanks), trimming blanks and a UTF-8 byte-order mark from each field.
// It returns nil when the line does not read as CSV. Commands use it to
// choose columns before the reader starts.
func HeaderFields(line []byte, f InputFormat) []string {
	line = bytes.TrimRight(line, "\r\n")
	var rec []string
	if f == FormatSSV {
		rec = splitBlanks(nil, strings.TrimPrefix(string(line), "\ufeff"))
	} else {
		cr := csv.NewReader(bytes.NewReader(line))
		cr.Comma, cr.LazyQuotes = f.Comma(), true
		var err error
		if rec, err = cr.Read(); err != nil {
			return nil
		}
	}
	for i := range rec {
		rec[i] = strings.TrimSpace(strings.TrimPrefix(rec[i], "\ufeff"))
	}
	return rec
}

// splitBlanks appends to dst the fields of s separated by runs of spaces
// and tabs, leading and trailing ones ignored. The fields share s's memory.
func splitBlanks(dst []string, s string) []string {
	i := 0
	for i < len(s) {
		for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
			i++
		}
		j := i
		for j < len(s) && s[j] != ' ' && s[j] != '\t' {
			j++
		}
		if j > i {
			dst = append(dst, s[i:j])
		}
		i = j
	}
	return dst
}
