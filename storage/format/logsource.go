package format

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// fieldSource yields the records of a delimited log for CSVLogReader:
// encoding/csv for CSV and TSV, blank-separated lines for SSV.
type fieldSource interface {
	// next returns the next record and the line it starts on. A line that
	// cannot be split into the expected fields comes back as bad (the
	// reader may skip it and go on); err is io.EOF after the last record,
	// or a fatal error, such as an over-long line, naming the object.
	next() (rec []string, line int, bad *LineError, err error)
	// lines returns the number of the last physical line read.
	lines() int
	// expect makes every later record have n fields; what names the line
	// that set n in the reason of a bad line ("the header", "the first
	// line").
	expect(n int, what string)
	// sep joins a record's fields back into a line's text.
	sep() string
}

// fieldCountReason explains a record with the wrong number of fields.
func fieldCountReason(got, want int, what string) string {
	return fmt.Sprintf("wrong number of fields: %d, %s has %d (truncated or malformed record)", got, what, want)
}

// csvSource reads records with encoding/csv behind a line guard.
type csvSource struct {
	cr    *csv.Reader
	name  string
	comma rune
	what  string
	last  int
}

func newCSVSource(r io.Reader, comma rune, opt Options) *csvSource {
	cr := csv.NewReader(newLineGuard(r, opt.MaxLineBytes, opt.Name))
	cr.Comma = comma
	cr.ReuseRecord = true
	return &csvSource{cr: cr, name: opt.Name, comma: comma, what: "the header"}
}

func (s *csvSource) next() ([]string, int, *LineError, error) {
	rec, err := s.cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, 0, nil, io.EOF
	}
	var pe *csv.ParseError
	if err != nil && errors.As(err, &pe) {
		s.last = pe.Line
		reason := fmt.Sprintf("column %d: %v", pe.Column, pe.Err)
		if errors.Is(pe.Err, csv.ErrFieldCount) {
			reason = fieldCountReason(len(rec), s.cr.FieldsPerRecord, s.what)
		}
		le := &LineError{Line: pe.StartLine, Reason: reason, Err: pe.Err}
		if len(rec) > 0 {
			le.Text = truncate([]byte(strings.Join(rec, string(s.comma))))
		}
		return nil, pe.StartLine, le, nil
	}
	if err != nil {
		var le *LineError
		if errors.As(err, &le) { // the line guard's: fatal, as the CSV reader cannot resynchronise
			return nil, 0, nil, le
		}
		return nil, 0, nil, fmt.Errorf("%s: read: %w", objName(s.name), err)
	}
	line, _ := s.cr.FieldPos(0)
	s.last = line
	return rec, line, nil, nil
}

func (s *csvSource) lines() int { return s.last }

func (s *csvSource) expect(n int, what string) { s.cr.FieldsPerRecord, s.what = n, what }

func (s *csvSource) sep() string { return string(s.comma) }

// ssvSource reads whitespace-separated lines: fields are separated by runs
// of spaces and tabs, leading and trailing ones are ignored, nothing is
// quoted, and a blank line is skipped, as encoding/csv skips an empty one.
// A line longer than Options.MaxLineBytes is fatal, even with
// SkipBadLines, as it is for CSV, so that every entry point (quarry mine,
// a local or a distributed import) stops on the same input.
type ssvSource struct {
	lr     *lineReader
	name   string
	max    int
	fields int
	what   string
	rec    []string
}

func newSSVSource(r io.Reader, opt Options) *ssvSource {
	return &ssvSource{lr: newLineReader(r, opt.MaxLineBytes), name: opt.Name, max: opt.MaxLineBytes}
}

func (s *ssvSource) next() ([]string, int, *LineError, error) {
	for {
		line, tooLong, err := s.lr.next()
		if errors.Is(err, io.EOF) {
			return nil, 0, nil, io.EOF
		}
		if err != nil {
			return nil, 0, nil, fmt.Errorf("%s: %w", objName(s.name), err)
		}
		if tooLong {
			le := tooLongError(s.lr.line, s.max)
			le.Object = s.name
			return nil, 0, nil, le
		}
		s.rec = splitBlanks(s.rec[:0], string(line))
		if len(s.rec) == 0 {
			continue
		}
		if s.fields > 0 && len(s.rec) != s.fields {
			return nil, s.lr.line, &LineError{Line: s.lr.line, Reason: fieldCountReason(len(s.rec), s.fields, s.what), Text: truncate(line)}, nil
		}
		return s.rec, s.lr.line, nil, nil
	}
}

func (s *ssvSource) lines() int { return s.lr.line }

func (s *ssvSource) expect(n int, what string) { s.fields, s.what = n, what }

func (s *ssvSource) sep() string { return " " }
