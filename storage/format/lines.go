package format

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// lineReader yields the lines of a stream one at a time, each at most max
// bytes long. It never holds more than max bytes of one line plus its read
// buffer: the rest of an over-long line is read and discarded.
type lineReader struct {
	br   *bufio.Reader
	buf  []byte // accumulates a line longer than the bufio buffer
	max  int
	line int // number of the line last returned
}

func newLineReader(r io.Reader, max int) *lineReader {
	size := 64 << 10
	if max+2 < size {
		size = max + 2
		if size < 16 {
			size = 16
		}
	}
	return &lineReader{br: bufio.NewReaderSize(r, size), max: max}
}

// next returns the next line without its "\n" or "\r\n" terminator. The
// slice is valid until the following call. tooLong reports a line over the
// cap, whose content is then not returned. A final line without a
// terminator is returned as a line; io.EOF comes after the last line.
func (lr *lineReader) next() (line []byte, tooLong bool, err error) {
	lr.buf = lr.buf[:0]
	for {
		chunk, err := lr.br.ReadSlice('\n')
		switch {
		case err == nil:
			lr.line++
			if len(lr.buf) > 0 || tooLong {
				if !tooLong {
					lr.buf = append(lr.buf, chunk...)
				}
				chunk = lr.buf
			}
			if tooLong {
				return nil, true, nil
			}
			chunk = trimEOL(chunk)
			if len(chunk) > lr.max {
				return nil, true, nil
			}
			return chunk, false, nil
		case errors.Is(err, bufio.ErrBufferFull):
			if !tooLong {
				lr.buf = append(lr.buf, chunk...)
				// allow for a "\r" that the terminator will strip
				if len(lr.buf) > lr.max+1 {
					tooLong = true
					lr.buf = lr.buf[:0]
				}
			}
		case errors.Is(err, io.EOF):
			if len(chunk) == 0 && len(lr.buf) == 0 && !tooLong {
				return nil, false, io.EOF
			}
			lr.line++
			if tooLong {
				return nil, true, nil
			}
			lr.buf = append(lr.buf, chunk...)
			l := lr.buf
			if n := len(l); n > 0 && l[n-1] == '\r' {
				l = l[:n-1]
			}
			if len(l) > lr.max {
				return nil, true, nil
			}
			return l, false, nil
		default:
			return nil, false, fmt.Errorf("read line %d: %w", lr.line+1, err)
		}
	}
}

func trimEOL(b []byte) []byte {
	n := len(b)
	if n > 0 && b[n-1] == '\n' {
		n--
		if n > 0 && b[n-1] == '\r' {
			n--
		}
	}
	return b[:n]
}

// tooLongError is the LineError for an over-long line.
func tooLongError(line, max int) *LineError {
	return &LineError{
		Line:   line,
		Reason: fmt.Sprintf("line longer than %d bytes (Options.MaxLineBytes)", max),
		Err:    ErrLineTooLong,
	}
}

// lineGuard passes a stream through unchanged until one physical line grows
// longer than max bytes; then it fails with a *LineError naming that line.
// It bounds the memory of readers that have no cap of their own, such as
// encoding/csv, which otherwise grows its buffer to fit any line.
type lineGuard struct {
	r    io.Reader
	max  int
	run  int // bytes since the last '\n'
	line int // 1-based number of the line being read
	name string
	err  error
}

func newLineGuard(r io.Reader, max int, name string) *lineGuard {
	// max+1 leaves room for a '\r' before the '\n'.
	return &lineGuard{r: r, max: max + 1, line: 1, name: name}
}

func (g *lineGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	b := p[:n]
	off := 0
	for {
		i := bytes.IndexByte(b[off:], '\n')
		seg := len(b) - off
		if i >= 0 {
			seg = i
		}
		if g.run+seg > g.max {
			cut := off + (g.max - g.run)
			le := tooLongError(g.line, g.max-1)
			le.Object = g.name
			g.err = le
			return cut, g.err
		}
		if i < 0 {
			g.run += seg
			break
		}
		g.run = 0
		g.line++
		off += i + 1
	}
	return n, err
}

// records is the loop shared by the line-per-record readers (FIMI, SPMF):
// it reads lines, applies the length cap, skips what the format ignores,
// parses, and counts or rejects bad lines according to Options. After an
// error it keeps returning that error.
type records struct {
	lr  *lineReader
	bad badLines
	err error
}

func newRecords(r io.Reader, opt Options) records {
	opt = opt.withDefaults()
	return records{lr: newLineReader(r, opt.MaxLineBytes), bad: badLines{opt: opt}}
}

// Stats returns the counts so far.
func (rs *records) Stats() Stats { return rs.bad.snapshot() }

// next returns the first line for which parse succeeds; skip reports lines
// the format ignores (nil: none). parse reports a bad line as a *LineError,
// whose Line and Text next fills in.
func (rs *records) next(skip func([]byte) bool, parse func([]byte) *LineError) error {
	if rs.err != nil {
		return rs.err
	}
	for {
		line, tooLong, err := rs.lr.next()
		if err != nil {
			rs.err = err
			return err
		}
		rs.bad.stats.Lines++
		if tooLong {
			if err := rs.bad.reject(tooLongError(rs.lr.line, rs.bad.opt.MaxLineBytes)); err != nil {
				rs.err = err
				return err
			}
			continue
		}
		if skip != nil && skip(line) {
			continue
		}
		if le := parse(line); le != nil {
			le.Line = rs.lr.line
			le.Text = truncate(line)
			if err := rs.bad.reject(le); err != nil {
				rs.err = err
				return err
			}
			continue
		}
		rs.bad.stats.Records++
		return nil
	}
}
