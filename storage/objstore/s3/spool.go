package s3

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/quarrydata/quarry/storage/objstore/internal/core"
)

// spool holds a fully read upload: in memory when small, otherwise in a
// temporary file, together with its size and SHA-256.
type spool struct {
	mem  []byte
	file *os.File
	size int64
	sum  string
}

// newSpool reads r to its end, keeping up to memLimit bytes in memory and
// the rest in a temporary file in dir. It stops with ctx's error when ctx
// is done.
func newSpool(ctx context.Context, r io.Reader, memLimit int64, dir string) (*spool, error) {
	hr := core.NewHashReader(core.ContextReader(ctx, r))
	var buf bytes.Buffer
	n, err := io.Copy(&buf, io.LimitReader(hr, memLimit+1))
	if err != nil {
		return nil, err
	}
	s := &spool{}
	if n <= memLimit {
		s.mem, s.size, s.sum = buf.Bytes(), n, hr.SHA256()
		return s, nil
	}
	f, err := os.CreateTemp(dir, core.TempMarker+"spool-*")
	if err != nil {
		return nil, fmt.Errorf("spool: %w", err)
	}
	s.file = f
	if _, err := f.Write(buf.Bytes()); err != nil {
		s.close()
		return nil, fmt.Errorf("spool: %w", err)
	}
	if _, err := io.Copy(f, hr); err != nil {
		s.close()
		return nil, err
	}
	s.size, s.sum = hr.Size(), hr.SHA256()
	return s, nil
}

// reader returns a fresh reader over the spooled bytes.
func (s *spool) reader() io.Reader {
	if s.file != nil {
		return io.NewSectionReader(s.file, 0, s.size)
	}
	return bytes.NewReader(s.mem)
}

// close removes the spool file, if any.
func (s *spool) close() error {
	if s.file == nil {
		return nil
	}
	name := s.file.Name()
	err := s.file.Close()
	if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, os.ErrNotExist) && err == nil {
		err = rerr
	}
	s.file = nil
	return err
}
