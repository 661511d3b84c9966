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
)

// String returns the format's short name: "fimi", "spmf", "csv" or "tsv".
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
	}
	return "unknown"
}

// Comma returns the field separator of a CSV or TSV log: '\t' for FormatTSV
// and ',' otherwise.
func (f InputFormat) Comma() rune {
	if f == FormatTSV {
		return '\t'
	}
	return ','
}

// Detect tells the format of a file from its name's extension, after
// stripping a ".gz" suffix: .dat, .fimi and .basket are FIMI baskets; .spmf,
// .seq and .txt are SPMF sequences; .csv and .tsv are transaction logs. Case
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
	}
	return FormatUnknown, fmt.Errorf("%w for %q: want .dat, .fimi, .basket, .spmf, .seq, .txt, .csv or .tsv (optionally .gz)", ErrUnknownFormat, name)
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
