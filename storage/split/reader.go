package split

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
)

// DefaultMaxLine is the default cap on one record's length.
const DefaultMaxLine = 16 << 20

// Named errors.
var (
	// ErrLineTooLong reports a record longer than the reader's cap.
	ErrLineTooLong = errors.New("record too long")
	// ErrNoHeader reports that an object has no first record.
	ErrNoHeader = errors.New("object has no header line")
)

// LineReader iterates over the records a split owns, like bufio.Scanner:
//
//	for lr.Next() { use(lr.Line()) }
//	if err := lr.Err(); err != nil { … }
//
// It is not safe for concurrent use.
type LineReader struct {
	ctx      context.Context
	src      Source
	key      string
	s        Split
	maxLine  int
	maxRatio int

	started bool
	stream  *rangeStream
	gz      *gzip.Reader
	br      *bufio.Reader
	pos     int64 // offset of the next unread byte (decompressed for gzip)
	line    []byte
	off     int64
	err     error
	done    bool
}

// NewLineReader returns a reader of the records split s of the object under
// key owns. Nothing is read until the first Next.
func NewLineReader(ctx context.Context, src Source, key string, s Split) *LineReader {
	return &LineReader{ctx: ctx, src: src, key: key, s: s, maxLine: DefaultMaxLine, maxRatio: DefaultMaxGzipRatio}
}

// SetMaxLine changes the cap on a record's length (default
// DefaultMaxLine); a longer record stops the reader with ErrLineTooLong.
// Call it before the first Next.
func (lr *LineReader) SetMaxLine(n int) { lr.maxLine = n }

// Next advances to the next record, returning false at the end of the
// split or on an error (see Err).
func (lr *LineReader) Next() bool {
	if lr.done {
		return false
	}
	if !lr.started {
		lr.started = true
		if err := lr.start(); err != nil {
			return lr.fail(err)
		}
	}
	if !lr.s.Gzip && lr.pos >= lr.s.End {
		return lr.stop()
	}
	if err := lr.ctx.Err(); err != nil {
		return lr.fail(err)
	}
	lr.line = lr.line[:0]
	lr.off = lr.pos
	for {
		chunk, err := lr.br.ReadSlice('\n')
		lr.pos += int64(len(chunk))
		if len(lr.line)+len(chunk) > lr.maxLine+2 { // room for "\r\n"
			return lr.tooLong()
		}
		lr.line = append(lr.line, chunk...)
		switch {
		case err == nil:
			if lr.line = trimEOL(lr.line); len(lr.line) > lr.maxLine {
				return lr.tooLong()
			}
			return true
		case err == bufio.ErrBufferFull:
			continue
		case err == io.EOF:
			if len(lr.line) == 0 {
				return lr.stop() // no record starts at the end
			}
			if lr.line = trimEOL(lr.line); len(lr.line) > lr.maxLine {
				return lr.tooLong()
			}
			return true
		default:
			return lr.fail(fmt.Errorf("split: %s: read at offset %d: %w", lr.key, lr.pos, err))
		}
	}
}

// tooLong fails with ErrLineTooLong for the current record.
func (lr *LineReader) tooLong() bool {
	return lr.fail(fmt.Errorf("split: %s: record at offset %d: %w (more than %d bytes)", lr.key, lr.off, ErrLineTooLong, lr.maxLine))
}

// trimEOL drops a trailing "\n" and then one "\r" (also from a last record
// without "\n").
func trimEOL(b []byte) []byte {
	b = bytes.TrimSuffix(b, []byte{'\n'})
	return bytes.TrimSuffix(b, []byte{'\r'})
}

// start opens the stream and skips the partial first record.
func (lr *LineReader) start() error {
	s := lr.s
	if s.Start < 0 || s.End < s.Start || s.Size < s.End {
		return fmt.Errorf("split: bad split %v", s)
	}
	if s.Gzip {
		// No planned end: chunks grow from 64 KiB, so reading just the
		// header does not fetch the whole object.
		lr.stream = newRangeStream(lr.ctx, lr.src, lr.key, 0, 0, s.Size)
		gz, err := gzip.NewReader(bufio.NewReaderSize(lr.stream, 256<<10))
		if err != nil {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF
			}
			return fmt.Errorf("split: %s: gzip: %w", lr.key, err)
		}
		lr.gz = gz
		var r io.Reader = gz
		if lr.maxRatio > 0 {
			r = &inflateGuard{r: gz, stream: lr.stream, ratio: int64(lr.maxRatio)}
		}
		lr.br = bufio.NewReaderSize(r, 64<<10)
		return nil
	}
	if s.Start == s.End && s.Start > 0 {
		lr.pos = s.Start
		lr.br = bufio.NewReader(bytes.NewReader(nil))
		return nil
	}
	from := max(s.Start-1, 0)
	lr.stream = newRangeStream(lr.ctx, lr.src, lr.key, from, s.End, s.Size)
	// Small splits get small buffers; bufio's minimum is 16 bytes.
	lr.br = bufio.NewReaderSize(lr.stream, int(min(64<<10, s.End-from+firstTail)))
	lr.pos = from
	if s.Start == 0 {
		return nil
	}
	for { // discard through the first '\n', however long the line
		chunk, err := lr.br.ReadSlice('\n')
		lr.pos += int64(len(chunk))
		switch {
		case err == nil:
			return nil
		case err == bufio.ErrBufferFull:
			if err := lr.ctx.Err(); err != nil {
				return err
			}
		case err == io.EOF:
			return nil
		default:
			return fmt.Errorf("split: %s: read at offset %d: %w", lr.key, lr.pos, err)
		}
	}
}

// Line returns the current record without its line ending. The slice is
// valid until the next call to Next.
func (lr *LineReader) Line() []byte { return lr.line }

// Offset returns the byte offset at which the current record starts (in the
// decompressed stream for gzip objects).
func (lr *LineReader) Offset() int64 { return lr.off }

// Err returns the error that stopped Next, or nil at a clean end.
func (lr *LineReader) Err() error { return lr.err }

// Close releases the reader's connections.
func (lr *LineReader) Close() error {
	lr.done = true
	var err error
	if lr.gz != nil {
		err = lr.gz.Close()
	}
	if lr.stream != nil {
		if cerr := lr.stream.Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// stop ends the iteration cleanly.
func (lr *LineReader) stop() bool {
	lr.done, lr.line = true, nil
	lr.Close()
	return false
}

// fail ends the iteration with err.
func (lr *LineReader) fail(err error) bool {
	lr.err = err
	return lr.stop()
}

// Header returns the first record of the object under key (decompressed if
// it is gzip), for the parsers of splits other than split 0. An object
// without records gives ErrNoHeader.
func Header(ctx context.Context, src Source, key string) ([]byte, error) {
	splits, err := PlanObject(ctx, src, key, 0)
	if err != nil {
		return nil, err
	}
	s := splits[0]
	if !s.Gzip {
		s.End = min(s.Size, 1) // owns only the record at offset 0
	}
	lr := NewLineReader(ctx, src, key, s)
	defer lr.Close()
	if !lr.Next() {
		if err := lr.Err(); err != nil {
			return nil, err
		}
		return nil, fmt.Errorf("split: %s: %w", key, ErrNoHeader)
	}
	return bytes.Clone(lr.Line()), nil
}
