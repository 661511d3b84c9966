package split

import (
	"context"
	"fmt"
	"io"
)

// Chunk sizes of the reads past a split's end.
const (
	firstTail = 4 << 10 // read with the split's own bytes, for its last record
	minChunk  = 64 << 10
	maxChunk  = 8 << 20
)

// rangeStream reads an object sequentially from an offset with a series of
// GetRange calls: first up to a planned end (plus a small tail), then in
// chunks that double from 64 KiB to 8 MiB.
type rangeStream struct {
	ctx   context.Context
	src   Source
	key   string
	pos   int64 // next offset to read
	size  int64 // object size
	until int64 // the first chunk reads up to here (plus firstTail)
	next  int64 // size of the next chunk past until
	cur   io.ReadCloser
	left  int64 // bytes still expected from cur
}

// newRangeStream returns a stream from off over an object of size bytes,
// whose first request covers [off, until+firstTail).
func newRangeStream(ctx context.Context, src Source, key string, off, until, size int64) *rangeStream {
	return &rangeStream{ctx: ctx, src: src, key: key, pos: off, size: size, until: until, next: minChunk}
}

// Read implements io.Reader.
func (s *rangeStream) Read(p []byte) (int, error) {
	for {
		if s.cur == nil {
			if s.pos >= s.size {
				return 0, io.EOF
			}
			var n int64
			if s.pos < s.until {
				n = s.until - s.pos + firstTail
			} else {
				n = s.next
				s.next = min(2*s.next, maxChunk)
			}
			n = min(n, s.size-s.pos)
			rc, err := s.src.GetRange(s.ctx, s.key, s.pos, n)
			if err != nil {
				return 0, err
			}
			s.cur, s.left = rc, n
		}
		n, err := s.cur.Read(p)
		s.pos += int64(n)
		s.left -= int64(n)
		if err == io.EOF {
			s.cur.Close()
			s.cur = nil
			if s.left > 0 {
				return n, fmt.Errorf("split: %s: range ended %d bytes early at offset %d (object changed?): %w",
					s.key, s.left, s.pos, io.ErrUnexpectedEOF)
			}
			if n == 0 {
				continue
			}
			return n, nil
		}
		return n, err
	}
}

// Close releases the current range reader.
func (s *rangeStream) Close() error {
	if s.cur == nil {
		return nil
	}
	err := s.cur.Close()
	s.cur = nil
	return err
}
