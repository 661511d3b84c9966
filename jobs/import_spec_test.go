package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/internal/testenv"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
)

func specEqual(a, b Spec) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// TestParseImportSpec checks that import specs validate and that every
// error names its field.
func TestParseImportSpec(t *testing.T) {
	cases := []struct {
		name, json, field string // field "" means valid
	}{
		{"minimal", `{"type":"import","dataset":"r","import":{"sources":["raw/a.csv"]}}`, ""},
		{"full", `{"type":"import","dataset":"r","import":{"sources":["raw/a.csv.gz","raw/b.csv"],"format":"csv",
			"columns":{"customer":"Member_number","time":"Date","item":"itemDescription"},"time_layout":"2006-01-02",
			"cancel_prefix":"","partitions":16,"skip_bad_lines":true,"max_line_bytes":4096,"max_samples":10,"inline_items":50,"split_size":1000000}}`, ""},
		{"fimi", `{"type":"import","dataset":"r","import":{"sources":["raw/retail.dat"],"partitions":8}}`, ""},
		{"append", `{"type":"import","dataset":"r","import":{"sources":["raw/b.csv"],"append":true,"skip_bad_lines":true}}`, ""},
		{"no section", `{"type":"import","dataset":"r"}`, "import"},
		{"version", `{"type":"import","dataset":"r","version":2,"import":{"sources":["a.csv"]}}`, "version"},
		{"no sources", `{"type":"import","dataset":"r","import":{"sources":[]}}`, "import.sources"},
		{"bad key", `{"type":"import","dataset":"r","import":{"sources":["a.csv","../b.csv"]}}`, "import.sources[1]"},
		{"unknown extension", `{"type":"import","dataset":"r","import":{"sources":["a.xlsx"]}}`, "import.format"},
		{"bad format", `{"type":"import","dataset":"r","import":{"sources":["a.csv"],"format":"xml"}}`, "import.format"},
		{"columns of fimi", `{"type":"import","dataset":"r","import":{"sources":["a.dat"],"columns":{"item":"x"}}}`, "import.columns"},
		{"no item column", `{"type":"import","dataset":"r","import":{"sources":["a.csv"],"columns":{"customer":"c"}}}`, ""},
		{"cdnow master", `{"type":"import","dataset":"r","import":{"sources":["CDNOW_master.txt"],"format":"ssv",
			"columns":{"customer":"customer_id","time":"date","amount":"dollar_value"},"time_layout":"20060102"}}`, ""},
		{"cdnow sample", `{"type":"import","dataset":"r","import":{"sources":["CDNOW_sample.txt"],"format":"ssv","no_header":true,
			"columns":{"customer":"1","time":"3","amount":"5"},"time_layout":"20060102"}}`, ""},
		{"ssv by name", `{"type":"import","dataset":"r","import":{"sources":["cdnow.ssv.gz"]}}`, ""},
		{"no header without columns", `{"type":"import","dataset":"r","import":{"sources":["a.ssv"],"no_header":true}}`, "import.columns"},
		{"no header names", `{"type":"import","dataset":"r","import":{"sources":["a.ssv"],"no_header":true,"columns":{"customer":"id"}}}`, "import.columns.customer"},
		{"no header of fimi", `{"type":"import","dataset":"r","import":{"sources":["a.dat"],"no_header":true}}`, "import.no_header"},
		{"amount and price", `{"type":"import","dataset":"r","import":{"sources":["a.csv"],"columns":{"amount":"a","price":"p"}}}`, "import.columns.price"},
		{"append no header", `{"type":"import","dataset":"r","import":{"sources":["a.ssv"],"append":true,"no_header":true}}`, "import.no_header"},
		{"partitions", `{"type":"import","dataset":"r","import":{"sources":["a.csv"],"partitions":5000}}`, "import.partitions"},
		{"max line", `{"type":"import","dataset":"r","import":{"sources":["a.csv"],"max_line_bytes":-1}}`, "import.max_line_bytes"},
		{"split size", `{"type":"import","dataset":"r","import":{"sources":["a.csv"],"split_size":-5}}`, "import.split_size"},
		{"append format", `{"type":"import","dataset":"r","import":{"sources":["a.csv"],"append":true,"partitions":3}}`, "import.partitions"},
		{"unknown field", `{"type":"import","dataset":"r","import":{"sources":["a.csv"],"bucket":"x"}}`, "bucket"},
		{"two sections", `{"type":"import","dataset":"r","import":{"sources":["a.csv"]},"itemsets":{"min_support":0.1}}`, "type"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseSpec([]byte(c.json))
			switch {
			case c.field == "" && err != nil:
				t.Errorf("got %v; want no error", err)
			case c.field != "" && (err == nil || !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), c.field)):
				t.Errorf("got %v; want ErrInvalidSpec naming %q", err, c.field)
			}
		})
	}
}

// TestPrepareImport checks what Prepare pins for an import (and for a
// mining job), that planning then needs no store, and the errors of a
// missing source or dataset.
func TestPrepareImport(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	gz := upload(t, store, testenv.Path(t, "online-retail-sample.csv.gz"), "raw/r.csv.gz", false)
	plain := upload(t, store, testenv.Path(t, "online-retail-sample.csv.gz"), "raw/r.csv", true)
	groceries := upload(t, store, testenv.Path(t, "groceries-sample.csv.gz"), "raw/g.csv", true)
	spec, m, err := Prepare(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{gz, plain}, SplitSize: 1 << 20}})
	if err != nil || m != nil {
		t.Fatalf("Prepare: got %v, %v; want a spec and no manifest", m, err)
	}
	p := spec.Import.Pinned
	if p.Format != "csv" || p.Partitions != 4 || p.CancelPrefix != "C" || p.TimeLayout != "2/1/2006 15:04" || p.Columns != dataset.Columns(retailCols) {
		t.Errorf("pinned %+v; want csv, 4 partitions, C, the detected layout and the default columns", p)
	}
	for i, s := range p.Sources {
		a, _ := store.Attributes(ctx, s.Key)
		if s.Key != spec.Import.Sources[i] || s.Size != a.Size || s.ETag != a.ETag || s.Gzip != (i == 0) || s.URL != store.String()+"/"+s.Key {
			t.Errorf("source %d pinned as %+v; want size %d, etag %q, gzip %v", i, s, a.Size, a.ETag, i == 0)
		}
	}
	// The defaults a header lacks are dropped, as the command drops them.
	g, _, err := Prepare(ctx, store, Spec{Type: TypeImport, Dataset: "g", Import: &ImportSpec{Sources: []string{groceries}, Columns: nil}})
	if err != nil {
		t.Fatal(err)
	}
	if c := g.Import.Pinned.Columns; c != (dataset.Columns{Item: "StockCode"}) {
		t.Errorf("groceries with default columns: got %+v; want only the item column", c)
	}
	// Plans are pure: the same stages from the spec alone, twice.
	a, err := Plan(Job{ID: "j", Spec: spec}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Plan(Job{ID: "j", Spec: spec}, nil)
	aj, _ := json.Marshal(a)
	bj, _ := json.Marshal(b)
	if !bytes.Equal(aj, bj) || a.Name != stageParse || len(a.Tasks) != 1+2 { // gzip: 1 split; 1.26 MB plain: 2
		t.Errorf("plan %s with %d tasks; want parse with the splits of both sources", a.Name, len(a.Tasks))
	}
	unprepared := Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{gz}}}
	if _, err := Plan(Job{ID: "j", Spec: unprepared}, nil); !errors.Is(err, ErrPlan) {
		t.Errorf("unprepared: got %v; want ErrPlan", err)
	}
	if _, _, err := Prepare(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &ImportSpec{Sources: []string{"raw/missing.csv"}}}); !objstore.IsNotFound(err) || !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), "import.sources[0]: raw/missing.csv") {
		t.Errorf("missing source: got %v; want ErrInvalidSpec and not found naming the field and key", err)
	}
	if _, _, err := Prepare(ctx, store, Spec{Type: TypeImport, Dataset: "none", Import: &ImportSpec{Sources: []string{gz}, Append: true}}); !errors.Is(err, dataset.ErrNotFound) {
		t.Errorf("append to nothing: got %v; want dataset.ErrNotFound", err)
	}
	// A mining job gets its version pinned, and the manifest.
	if _, err := RunLocal(ctx, store, spec, LocalOptions{}); err != nil {
		t.Fatal(err)
	}
	mine, m, err := Prepare(ctx, store, Spec{Type: TypeItemsets, Dataset: "d", Itemsets: &ItemsetsSpec{MinSupport: 0.1}})
	if err != nil || m == nil || mine.Version != 1 || m.Version != 1 {
		t.Fatalf("itemsets: got version %d, manifest %v, %v; want v1", mine.Version, m, err)
	}
	if m2, err := ManifestFor(ctx, store, mine); err != nil || m2.Version != 1 {
		t.Errorf("ManifestFor: got %v, %v", m2, err)
	}
	if m3, err := ManifestFor(ctx, store, spec); err != nil || m3 != nil {
		t.Errorf("ManifestFor an import: got %v, %v; want nil, nil", m3, err)
	}
	var names []string
	r, err := RunLocal(ctx, store, spec, LocalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range r.Stages {
		names = append(names, c.Stage.Name)
	}
	if !slices.Equal(names, importStages) || r.Dataset.Version != 2 {
		t.Errorf("stages %v, version %d; want %v, v2", names, r.Dataset.Version, importStages)
	}
}

// TestPrepareImportColumns checks that the columns a spec names are
// checked against the first source's first line when the job is
// submitted: the error names the spec's field.
func TestPrepareImportColumns(t *testing.T) {
	ctx := context.Background()
	store := newStore(t)
	for name, text := range importTexts {
		if err := store.Upload(ctx, "raw/"+name, strings.NewReader(text)); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		is     ImportSpec
		field  string // "" means valid
		pinned dataset.Columns
	}{
		{"master", ImportSpec{Sources: []string{"raw/master.txt"}, Format: "ssv", Columns: &cdnowMasterJob}, "", cdnowMasterJob},
		{"sample", ImportSpec{Sources: []string{"raw/sample.txt"}, Format: "ssv", NoHeader: true, Columns: &cdnowSampleJob}, "", cdnowSampleJob},
		{"position beyond the first line", ImportSpec{Sources: []string{"raw/sample.txt"}, Format: "ssv", NoHeader: true,
			Columns: &dataset.Columns{Customer: "1", Time: "6"}}, "import.columns.time", dataset.Columns{}},
		{"name not in the header", ImportSpec{Sources: []string{"raw/master.txt"}, Format: "ssv",
			Columns: &dataset.Columns{Customer: "cust", Amount: "dollar_value"}}, "import.columns.customer", dataset.Columns{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			spec, _, err := Prepare(ctx, store, Spec{Type: TypeImport, Dataset: "d", Import: &c.is})
			if c.field != "" {
				if !errors.Is(err, ErrInvalidSpec) || !strings.Contains(err.Error(), c.field) {
					t.Errorf("got %v; want ErrInvalidSpec naming %s", err, c.field)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			p := spec.Import.Pinned
			if p.Columns != c.pinned || p.NoHeader != c.is.NoHeader || p.TimeLayout != "20060102" || p.Format != "ssv" {
				t.Errorf("pinned %+v; want the columns given, no header %v, yyyymmdd detected", p, c.is.NoHeader)
			}
		})
	}
}
