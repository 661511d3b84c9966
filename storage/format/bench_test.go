package format

import (
	"bytes"
	"errors"
	"io"
	"os"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
)

// Parse throughput on the shared datasets, from memory (b.SetBytes gives
// MB/s): go test -bench . ./storage/format

func readShared(b *testing.B, name string) []byte {
	b.Helper()
	data, err := os.ReadFile(testenv.Shared(b, name))
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func BenchmarkFIMIT10I4D100K(b *testing.B) {
	data := readShared(b, "T10I4D100K.dat")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		fr := NewFIMIReader(bytes.NewReader(data), Options{})
		for {
			if _, err := fr.Next(); err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

func BenchmarkCSVLogOnlineRetail(b *testing.B) {
	data := readShared(b, "online-retail-part.csv")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		lr, err := NewCSVLogReader(bytes.NewReader(data), DefaultColumns(), LogOptions{Options: Options{SkipBadLines: true}})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := lr.Next(); err != nil {
				if !errors.Is(err, io.EOF) {
					b.Fatal(err)
				}
				break
			}
		}
	}
}

func BenchmarkBasketsOnlineRetail(b *testing.B) {
	data := readShared(b, "online-retail-part.csv")
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		lr, err := NewCSVLogReader(bytes.NewReader(data), DefaultColumns(), LogOptions{Options: Options{SkipBadLines: true}})
		if err != nil {
			b.Fatal(err)
		}
		bb := NewBasketBuilder(NewDictionary())
		for {
			r, err := lr.Next()
			if err != nil {
				break
			}
			bb.Add(&r)
		}
		bb.Baskets()
	}
}

func BenchmarkSPMFExample(b *testing.B) {
	// 40,000 sequences: the example file repeated.
	data := bytes.Repeat(append(readShared(b, "spmf-example-sequences.txt"), '\n'), 10000)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if _, _, err := ReadSPMFSequences(bytes.NewReader(data), Options{}); err != nil {
			b.Fatal(err)
		}
	}
}
