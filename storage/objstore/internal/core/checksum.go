package core

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
)

// MetaSHA256 is the metadata name under which backends store the hex
// SHA-256 of an object's content (S3 user metadata x-amz-meta-quarry-sha256,
// a user.quarry.sha256 extended attribute on local files).
const MetaSHA256 = "Quarry-Sha256"

// HashReader passes reads through while counting bytes and computing their
// SHA-256.
type HashReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

// NewHashReader returns a HashReader over r.
func NewHashReader(r io.Reader) *HashReader {
	return &HashReader{r: r, h: sha256.New()}
}

// Read implements io.Reader.
func (hr *HashReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	hr.n += int64(n)
	return n, err
}

// Size returns the number of bytes read so far.
func (hr *HashReader) Size() int64 { return hr.n }

// SHA256 returns the lowercase hex SHA-256 of the bytes read so far.
func (hr *HashReader) SHA256() string { return hex.EncodeToString(hr.h.Sum(nil)) }

// verifyReader checks the SHA-256 of everything read through it at EOF.
type verifyReader struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string
	what string
}

// VerifyReader wraps rc so that reaching EOF checks the SHA-256 of the bytes
// read against want (lowercase hex) and returns an error wrapping
// ErrChecksum instead of io.EOF on a mismatch. what names the object in the
// error. When want is "" rc is returned unchanged.
func VerifyReader(rc io.ReadCloser, want, what string) io.ReadCloser {
	if want == "" {
		return rc
	}
	return &verifyReader{rc: rc, h: sha256.New(), want: want, what: what}
}

// Read implements io.Reader.
func (v *verifyReader) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			return n, fmt.Errorf("%w: %s: got sha256 %s; stored %s", ErrChecksum, v.what, got, v.want)
		}
	}
	return n, err
}

// Close implements io.Closer.
func (v *verifyReader) Close() error { return v.rc.Close() }

// ctxReader fails reads once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// ContextReader returns a reader that returns ctx's error instead of reading
// once ctx is done, so that a long copy stops promptly on cancellation.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}

// Read implements io.Reader.
func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
