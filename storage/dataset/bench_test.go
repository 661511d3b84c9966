package dataset_test

import (
	"context"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
)

func benchImport(b *testing.B, file string, spec dataset.Spec) {
	path := testenv.Shared(b, file)
	src := fileSource(b, path)
	store := newLocal(b)
	b.ResetTimer()
	for b.Loop() {
		if _, err := dataset.Import(context.Background(), store, "b", []dataset.SourceObject{src}, dataset.Options{Spec: spec, SplitSize: 1 << 20}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkImportRetail(b *testing.B) {
	spec := retailSpec(8)
	spec.SkipBadLines = true
	benchImport(b, "online-retail-part.csv", spec)
}

func BenchmarkImportT10(b *testing.B) {
	benchImport(b, "T10I4D100K.dat", dataset.Spec{Format: format.FormatFIMI, Partitions: 8})
}

func BenchmarkReadBasketsT10(b *testing.B) {
	path := testenv.Shared(b, "T10I4D100K.dat")
	store := newLocal(b)
	m := importFile(b, store, "b", dataset.Options{Spec: dataset.Spec{Format: format.FormatFIMI, Partitions: 8}}, fileSource(b, path))
	d, err := dataset.Open(context.Background(), store, "b", m.Version)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		for i := range m.Partitions {
			if _, err := d.ReadBaskets(context.Background(), i); err != nil {
				b.Fatal(err)
			}
		}
	}
}
