package format

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// ReadNumericCSV reads a matrix of numbers for k-means: comma-separated
// rows, every row as wide as the first. The first row is a header when any
// of its non-empty fields is not a number; otherwise it is data and header is nil.
// An empty, non-numeric, NaN or infinite value is a *LineError naming the
// line and the field (its header name, or "column j" counting from 1). Rows
// are returned row-major in data, cols values each.
func ReadNumericCSV(r io.Reader, opt Options) (data []float64, cols int, header []string, st Stats, err error) {
	opt = opt.withDefaults()
	bad := badLines{opt: opt}
	cr := csv.NewReader(newLineGuard(r, opt.MaxLineBytes, opt.Name))
	cr.ReuseRecord = true
	first := true
	lastLine := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			lastLine = pe.Line
			le := &LineError{Line: pe.StartLine, Reason: csvReason(pe, len(rec), cr.FieldsPerRecord), Err: pe.Err}
			if len(rec) > 0 {
				le.Text = truncate([]byte(strings.Join(rec, ",")))
			}
			if err := bad.reject(le); err != nil {
				return nil, 0, nil, statsAt(&bad, lastLine), err
			}
			continue
		}
		if err != nil {
			var le *LineError
			if !errors.As(err, &le) {
				err = fmt.Errorf("%s: read: %w", objName(opt.Name), err)
			}
			return nil, 0, nil, statsAt(&bad, lastLine), err
		}
		line, _ := cr.FieldPos(0)
		lastLine = line
		if first {
			first = false
			cols = len(rec)
			cr.FieldsPerRecord = cols
			if !allNumbers(rec) {
				header = make([]string, cols)
				for i, h := range rec {
					header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
				}
				continue
			}
		}
		start := len(data)
		for j, f := range rec {
			v, reason := parseNumber(f)
			if reason != "" {
				data = data[:start]
				name := "column " + strconv.Itoa(j+1)
				if header != nil {
					name = header[j]
				}
				le := &LineError{Line: line, Field: name, Reason: reason, Text: truncate([]byte(strings.Join(rec, ",")))}
				if err := bad.reject(le); err != nil {
					return nil, 0, nil, statsAt(&bad, lastLine), err
				}
				break
			}
			data = append(data, v)
		}
		if len(data) > start {
			bad.stats.Records++
		}
	}
	return data, cols, header, statsAt(&bad, lastLine), nil
}

func statsAt(b *badLines, line int) Stats {
	s := b.snapshot()
	s.Lines = line
	return s
}

// allNumbers reports whether no field of rec is text: empty fields and
// "NaN" or "Inf" count as numbers here, so that a first data row with a bad
// value is reported as such rather than taken for a header.
func allNumbers(rec []string) bool {
	for _, f := range rec {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if _, err := strconv.ParseFloat(f, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
			return false
		}
	}
	return true
}
