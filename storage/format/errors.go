package format

import (
	"errors"
	"fmt"
	"strings"
)

// DefaultMaxLineBytes is the line-length cap used when Options.MaxLineBytes
// is zero.
const DefaultMaxLineBytes = 1 << 20

// DefaultMaxSamples is the number of bad lines kept in Stats.Samples when
// Options.MaxSamples is zero.
const DefaultMaxSamples = 20

// maxTextBytes bounds LineError.Text.
const maxTextBytes = 120

// ErrLineTooLong is wrapped by the error for a line longer than
// Options.MaxLineBytes.
var ErrLineTooLong = errors.New("line too long")

// ErrUnknownFormat is wrapped by Detect's error for a name whose extension
// is not one of Quarry's input formats.
var ErrUnknownFormat = errors.New("unknown input format")

// Options are the settings every reader shares. The zero value is usable.
type Options struct {
	// Name is the object or file name used in errors.
	Name string
	// MaxLineBytes caps the length of one line, terminator excluded
	// (default DefaultMaxLineBytes). A longer line is an error. The CSV
	// readers count a '\r' before the newline as part of the line, so a
	// line there may be one byte longer when it does not end in "\r\n".
	MaxLineBytes int
	// SkipBadLines makes readers skip a bad line instead of failing: the
	// line is counted in Stats.Skipped and sampled in Stats.Samples.
	SkipBadLines bool
	// MaxSamples bounds Stats.Samples (default DefaultMaxSamples).
	MaxSamples int
}

func (o Options) withDefaults() Options {
	if o.MaxLineBytes <= 0 {
		o.MaxLineBytes = DefaultMaxLineBytes
	}
	if o.MaxSamples <= 0 {
		o.MaxSamples = DefaultMaxSamples
	}
	return o
}

// Stats counts what a reader has read so far.
type Stats struct {
	Lines   int          // physical lines read, including comments and skipped ones
	Records int          // records returned (baskets, sequences, rows)
	Skipped int          // bad lines skipped in SkipBadLines mode
	Samples []*LineError // the first Options.MaxSamples skipped lines, in order
}

// LineError is a problem on one line of an input. It is what every reader
// of this package returns for bad input and what Stats.Samples holds.
type LineError struct {
	Object string // object or file name (Options.Name)
	Line   int    // 1-based line number
	Field  string // the field at fault, or "" for the whole line
	Reason string // what is wrong, quoting the offending value
	Text   string // the line's text, truncated
	Err    error  // an underlying error, if any (see Unwrap)
}

// Error reads like `orders.csv:12: field "Quantity": not a number "abc"`.
func (e *LineError) Error() string {
	var b strings.Builder
	if e.Object != "" {
		b.WriteString(e.Object)
		b.WriteByte(':')
	} else {
		b.WriteString("line ")
	}
	fmt.Fprintf(&b, "%d: ", e.Line)
	if e.Field != "" {
		fmt.Fprintf(&b, "field %q: ", e.Field)
	}
	b.WriteString(e.Reason)
	return b.String()
}

// Unwrap returns the underlying error, such as ErrLineTooLong.
func (e *LineError) Unwrap() error { return e.Err }

// truncate shortens a line for LineError.Text, on a byte boundary that is
// safe enough for display.
func truncate(b []byte) string {
	if len(b) <= maxTextBytes {
		return string(b)
	}
	return string(b[:maxTextBytes]) + "…"
}

// quote shortens and quotes an offending value for a reason string.
func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return fmt.Sprintf("%q", s)
}

// badLines applies the skip-or-fail rule shared by the readers.
type badLines struct {
	opt   Options
	stats Stats
}

// reject records e. It returns nil when the line is to be skipped, or e
// when reading must stop.
func (b *badLines) reject(e *LineError) error {
	e.Object = b.opt.Name
	if !b.opt.SkipBadLines {
		return e
	}
	b.stats.Skipped++
	if len(b.stats.Samples) < b.opt.MaxSamples {
		b.stats.Samples = append(b.stats.Samples, e)
	}
	return nil
}

// snapshot returns a copy of the stats that later reads do not change.
func (b *badLines) snapshot() Stats {
	s := b.stats
	s.Samples = append([]*LineError(nil), s.Samples...)
	return s
}
