package split

import (
	"errors"
	"fmt"
	"io"
)

// DefaultMaxGzipRatio is the default cap on how many times larger than its
// compressed bytes a gzip object may inflate. Real transaction logs
// compress 4–10 times (the bundled samples: 4.5 and 6.1); a gzip bomb, a
// few megabytes that inflate to gigabytes, does about 1,000 times.
const DefaultMaxGzipRatio = 100

// minInflateLimit is the decompressed size below which the ratio is not
// checked: small objects compress unevenly (a header, a short run of
// identical lines), and 16 MiB is a size any import can hold.
const minInflateLimit = 16 << 20

// ErrInflateLimit reports a gzip object that inflates beyond the ratio
// set by SetMaxGzipRatio: most likely a gzip bomb.
var ErrInflateLimit = errors.New("gzip stream inflates beyond the limit")

// SetMaxGzipRatio changes the cap on the decompressed size of a gzip split
// (default DefaultMaxGzipRatio): once more than 16 MiB have come out, the
// decompressed bytes may not exceed ratio times the compressed bytes read
// so far, or the reader stops with ErrInflateLimit. The check runs as the
// stream is read, so a bomb is refused after a few tens of megabytes
// whatever it would inflate to. A ratio of 0 or less turns the check off.
// Call it before the first Next.
func (lr *LineReader) SetMaxGzipRatio(ratio int) { lr.maxRatio = ratio }

// inflateGuard counts the bytes a decompressor returns and fails once
// they exceed ratio times the compressed bytes consumed from stream.
type inflateGuard struct {
	r      io.Reader
	stream *rangeStream
	ratio  int64
	n      int64 // decompressed bytes returned so far
	err    error
}

// Read implements io.Reader.
func (g *inflateGuard) Read(p []byte) (int, error) {
	if g.err != nil {
		return 0, g.err
	}
	n, err := g.r.Read(p)
	g.n += int64(n)
	if in := g.stream.pos; g.n > minInflateLimit && g.n/g.ratio > in {
		g.err = fmt.Errorf("%w: %d bytes out of the first %d compressed bytes, more than %d times (a gzip bomb? raise the ratio limit if the data is genuine)",
			ErrInflateLimit, g.n, in, g.ratio)
		return 0, g.err
	}
	return n, err
}
