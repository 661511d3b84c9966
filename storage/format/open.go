package format

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// InputFormat is a kind of input file.
type InputFormat int

// The input formats, as Detect names them.
const (
	FormatUnknown InputFormat = iota
	FormatFIMI                // baskets, one per line: .dat, .fimi, .basket
	FormatSPMF                // SPMF sequences: .spmf, .seq, .txt
	FormatCSV                 // comma-separated transaction log: .csv
	FormatTSV                 // tab-separated transaction log: .tsv (a CSV log with Comma '\t')
	FormatSSV                 // whitespace-separated transaction log: .ssv (runs of spaces and tabs, no quoting)
)

// String returns the format's short name: "fimi", "spmf", "csv", "tsv" or
// "ssv".
func (f InputFormat) String() string {
	switch f {
	case FormatFIMI:
		return "fimi"
	case FormatSPMF:
		return "spmf"
	case FormatCSV:
		return "csv"
	case FormatTSV:
		return "tsv"
	case FormatSSV:
		return "ssv"
	}
	return "unknown"
}

// Log reports whether the format is a transaction log read by
// CSVLogReader: CSV, TSV or SSV.
func (f InputFormat) Log() bool {
	return f == FormatCSV || f == FormatTSV || f == FormatSSV
}

// ParseFormat returns the format of a short name as String gives it.
func ParseFormat(name string) (InputFormat, error) {
	for _, f := range []InputFormat{FormatFIMI, FormatSPMF, FormatCSV, FormatTSV, FormatSSV} {
		if f.String() == name {
			return f, nil
		}
	}
	return FormatUnknown, fmt.Errorf("%w %q: want fimi, spmf, csv, tsv or ssv", ErrUnknownFormat, name)
}

// Comma returns the field separator of a CSV or TSV log: '\t' for FormatTSV
// and ',' otherwise. An SSV log has no single separator: see
// LogOptions.Whitespace.
func (f InputFormat) Comma() rune {
	if f == FormatTSV {
		return '\t'
	}
	return ','
}

// Detect tells the format of a file from its name's extension, after
// stripping a ".gz" suffix: .dat, .fimi and .basket are FIMI baskets; .spmf,
// .seq and .txt are SPMF sequences; .csv, .tsv and .ssv are transaction
// logs. A whitespace-separated log is only detected by the .ssv extension:
// .txt stays SPMF, since a .txt name says nothing about its columns. Case
// is ignored. Any other extension is an error wrapping ErrUnknownFormat.
func Detect(name string) (InputFormat, error) {
	base := strings.ToLower(path.Base(strings.ReplaceAll(name, "\\", "/")))
	base = strings.TrimSuffix(base, ".gz")
	switch path.Ext(base) {
	case ".dat", ".fimi", ".basket":
		return FormatFIMI, nil
	case ".spmf", ".seq", ".txt":
		return FormatSPMF, nil
	case ".csv":
		return FormatCSV, nil
	case ".tsv":
		return FormatTSV, nil
	case ".ssv":
		return FormatSSV, nil
	}
	return FormatUnknown, fmt.Errorf("%w for %q: want .dat, .fimi, .basket, .spmf, .seq, .txt, .csv, .tsv or .ssv (optionally .gz)", ErrUnknownFormat, name)
}

// gzipMagic is the start of every gzip member.
var gzipMagic = []byte{0x1f, 0x8b}

// MaybeGunzip returns a reader of r's content, decompressed when r starts
// with the gzip magic bytes and passed through unchanged otherwise.
// Concatenated gzip members are read as one stream.
func MaybeGunzip(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("sniff gzip header: %w", err)
	}
	if len(head) == 2 && head[0] == gzipMagic[0] && head[1] == gzipMagic[1] {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("open gzip stream: %w", err)
		}
		return zr, nil
	}
	return br, nil
}

// File is an open input file, decompressed when it is gzip'd.
type File struct {
	io.Reader
	f *os.File
}

// Close closes the underlying file.
func (f *File) Close() error { return f.f.Close() }

// Open opens the file at path for reading, decompressing it transparently
// when it is gzip'd (whatever its name).
func Open(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open input: %w", err)
	}
	r, err := MaybeGunzip(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &File{Reader: r, f: f}, nil
}
