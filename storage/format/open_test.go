package format

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestDetect(t *testing.T) {
	tests := []struct {
		name string
		want InputFormat
	}{
		{"retail.dat", FormatFIMI},
		{"x.fimi", FormatFIMI},
		{"dir/x.BASKET", FormatFIMI},
		{"s.spmf", FormatSPMF},
		{"s.seq.gz", FormatSPMF},
		{"spmf-example-sequences.txt", FormatSPMF},
		{"orders.csv", FormatCSV},
		{"orders.csv.gz", FormatCSV},
		{`C:\data\orders.tsv`, FormatTSV},
		{"cdnow.ssv.gz", FormatSSV},
		{"CDNOW_master.txt", FormatSPMF}, // .txt says nothing of columns: SSV only by --format
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Detect(tc.name)
			if err != nil || got != tc.want {
				t.Errorf("got %v, %v; want %v", got, err, tc.want)
			}
		})
	}
	for _, name := range []string{"x.parquet", "x", "x.gz", "x.dat.zip"} {
		if _, err := Detect(name); !errors.Is(err, ErrUnknownFormat) {
			t.Errorf("Detect(%q): got %v; want ErrUnknownFormat", name, err)
		}
	}
	if FormatTSV.Comma() != '\t' || FormatCSV.Comma() != ',' || FormatSPMF.String() != "spmf" {
		t.Error("got wrong Comma or String for the formats")
	}
}

func TestMaybeGunzip(t *testing.T) {
	two := append(gz(t, "hello "), gz(t, "world")...)
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"plain", []byte("plain text"), "plain text"},
		{"empty", nil, ""},
		{"one byte", []byte{0x1f}, "\x1f"},
		{"gzip", gz(t, "hello"), "hello"},
		{"two members", two, "hello world"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := MaybeGunzip(bytes.NewReader(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			if err != nil || string(got) != tc.want {
				t.Errorf("got %q, %v; want %q", got, err, tc.want)
			}
		})
	}
	if _, err := MaybeGunzip(bytes.NewReader([]byte{0x1f, 0x8b, 0})); err == nil {
		t.Error("got no error for a broken gzip header; want one")
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "b.dat")
	if err := os.WriteFile(p, gz(t, "1 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadFIMI(f, Options{})
	if cerr := f.Close(); cerr != nil {
		t.Fatal(cerr)
	}
	if err != nil || !equalBaskets(got, [][]uint32{{1, 2}}) {
		t.Errorf("got %v, %v; want [[1 2]]", got, err)
	}
	if _, err := Open(filepath.Join(dir, "missing.dat")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("got %v; want a not-exist error", err)
	}
}
