package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// output is a result file that appears only when it is complete: it is
// written to a temporary file beside the target and renamed into place by
// Commit, so a reader never sees half a result and a failed run leaves the
// previous file untouched. "-" means standard output.
type output struct {
	io.Writer
	path string
	tmp  *os.File
}

func createOutput(path string) (*output, error) {
	if path == "" {
		return nil, usagef("--output is required (use - for standard output)")
	}
	if path == "-" {
		return &output{Writer: os.Stdout, path: path}, nil
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("create output %s: %w", path, err)
	}
	return &output{Writer: tmp, path: path, tmp: tmp}, nil
}

// Commit syncs the temporary file and renames it into place.
func (o *output) Commit() error {
	if o.tmp == nil {
		return nil
	}
	tmp := o.tmp
	o.tmp = nil
	err := tmp.Sync()
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), o.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write output %s: %w", o.path, err)
	}
	return nil
}

// Abort removes the temporary file; it is a no-op after Commit.
func (o *output) Abort() {
	if o == nil || o.tmp == nil {
		return
	}
	o.tmp.Close()
	os.Remove(o.tmp.Name())
	o.tmp = nil
}

// writeOutput creates path, lets write fill it, and commits it only when
// write succeeds.
func writeOutput(path string, write func(io.Writer) error) error {
	out, err := createOutput(path)
	if err != nil {
		return err
	}
	if err := write(out); err != nil {
		out.Abort()
		return err
	}
	return out.Commit()
}
