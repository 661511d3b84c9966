package main

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// replicateLog writes copies of the Online Retail log at src into dst:
// the header once, then every complete row copies times, copy r (from 0)
// with r×1,000,000 added to the customer id and the invoice number (a
// cancellation keeps its C prefix). So the copies are disjoint customers
// with the same histories: a dataset copies times larger whose patterns,
// at a relative support, are the same. The truncated last line of the
// shared file is left out. It returns the number of rows written.
func replicateLog(src, dst string, copies int) (int, error) {
	raw, err := os.ReadFile(src)
	if err != nil {
		return 0, err
	}
	if i := bytes.LastIndexByte(raw, '\n'); i >= 0 {
		raw = raw[:i+1] // drop an unterminated last line
	}
	r := csv.NewReader(bytes.NewReader(raw))
	r.FieldsPerRecord = -1
	r.LazyQuotes = true
	header, err := r.Read()
	if err != nil {
		return 0, fmt.Errorf("replicate %s: %w", src, err)
	}
	inv, cust := column(header, "InvoiceNo"), column(header, "CustomerID")
	if inv < 0 || cust < 0 {
		return 0, fmt.Errorf("replicate %s: no InvoiceNo or CustomerID column", src)
	}
	var rows [][]string
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("replicate %s: %w", src, err)
		}
		if len(rec) == len(header) {
			rows = append(rows, rec)
		}
	}
	f, err := os.Create(dst)
	if err != nil {
		return 0, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	if err := w.Write(header); err != nil {
		f.Close()
		return 0, err
	}
	out := make([]string, len(header))
	for c := range copies {
		for _, rec := range rows {
			copy(out, rec)
			out[inv] = shiftID(rec[inv], c)
			out[cust] = shiftID(rec[cust], c)
			if err := w.Write(out); err != nil {
				f.Close()
				return 0, err
			}
		}
	}
	w.Flush()
	if err := errors.Join(w.Error(), bw.Flush()); err != nil {
		f.Close()
		return 0, err
	}
	return copies * len(rows), f.Close()
}

// shiftID adds c×1,000,000 to a numeric id after an optional letter
// prefix; an empty or non-numeric id is kept (an empty customer id stays
// "no customer").
func shiftID(id string, c int) string {
	if c == 0 || id == "" {
		return id
	}
	digits := strings.TrimLeft(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	n, err := strconv.Atoi(digits)
	if err != nil {
		return id
	}
	return id[:len(id)-len(digits)] + strconv.Itoa(n+c*1_000_000)
}

// column returns the index of name in header, or -1.
func column(header []string, name string) int {
	for i, h := range header {
		if h == name {
			return i
		}
	}
	return -1
}
