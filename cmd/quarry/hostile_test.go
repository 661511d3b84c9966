package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/miniotest"
	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/objstore"
	"github.com/quarrydata/quarry/storage/objstore/s3"
)

// hostileHeader and hostileRow are a valid Online Retail header and row.
const (
	hostileHeader = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
	hostileRow    = "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,01/12/2010 08:26,2.55,17850,United Kingdom\n"
)

// hostileFile is one hostile input and what importing it must do: fail
// with an error matching want (which names the file and the line or
// field), or, when want is empty, publish a version of records records
// (a documented acceptance).
type hostileFile struct {
	name    string
	content func(t *testing.T, path string)
	want    string
	records int
}

// text writes s.
func text(s string) func(*testing.T, string) {
	return func(t *testing.T, p string) {
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// withRow is the header, one good row and then line.
func withRow(line string) func(*testing.T, string) {
	return text(hostileHeader + hostileRow + line + "\n")
}

// longLine writes head, then n bytes of unit repeated on one line.
func longLine(head, unit string, n int) func(*testing.T, string) {
	return func(t *testing.T, p string) {
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		f.WriteString(head)
		chunk := []byte(strings.Repeat(unit, (1<<20)/len(unit)))
		for w := 0; w < n; w += len(chunk) {
			if _, err := f.Write(chunk); err != nil {
				t.Fatal(err)
			}
		}
		f.WriteString("\n")
	}
}

// gzipBombFile writes a CSV log that inflates to copies × 16 MiB of one
// repeated valid row from about copies × 57 KB: concatenated gzip members
// of the same compressed block.
func gzipBombFile(copies int) func(*testing.T, string) {
	return func(t *testing.T, p string) {
		var member bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&member, gzip.BestCompression)
		zw.Write(bytes.Repeat([]byte(hostileRow), (16<<20)/len(hostileRow)))
		zw.Close()
		var out bytes.Buffer
		zw = gzip.NewWriter(&out)
		zw.Write([]byte(hostileHeader))
		zw.Close()
		for range copies {
			out.Write(member.Bytes())
		}
		if err := os.WriteFile(p, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// randomBytes writes n seeded random bytes.
func randomBytes(n int) func(*testing.T, string) {
	return func(t *testing.T, p string) {
		b := make([]byte, n)
		r := rand.New(rand.NewPCG(7, 11))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		text(string(b))(t, p)
	}
}

const pngHeader = "\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"

// hostileFiles is the corpus: generated at test time, never committed.
func hostileFiles() []hostileFile {
	const noRecords = `: no records in the sources \(\d+ lines read, \d+ skipped\): nothing published`
	return []hostileFile{
		{name: "empty.csv", content: text(""), want: `empty\.csv: split: empty\.csv: object has no header line`},
		{name: "empty.dat", content: text(""), want: `empty\.dat` + noRecords},
		{name: "empty.txt", content: text(""), want: `empty\.txt` + noRecords},
		{name: "header-only.csv", content: text(hostileHeader), want: `header-only\.csv` + noRecords},
		{name: "random.csv", content: randomBytes(4096), want: `random\.csv:\d+: `},
		{name: "random.dat", content: randomBytes(4096), want: `random\.dat:1: field "item 1": not a non-negative integer`},
		{name: "png.csv", content: text(pngHeader), want: `png\.csv:1: column "StockCode" not in the header "\\x89PNG`},
		{name: "png.dat", content: text(pngHeader), want: `png\.dat:1: field "item 1": not a non-negative integer "\\x89PNG"`},
		{name: "png.txt", content: text(pngHeader), want: `png\.txt:1: `},
		{name: "long-line.dat", content: longLine("", "1 ", 100<<20), want: `long-line\.dat:1: line longer than 1048576 bytes \(max line bytes\)`},
		{name: "long-row.csv", content: longLine(hostileHeader+hostileRow, "x", 100<<20), want: `long-row\.csv:3: line longer than 1048576 bytes \(max line bytes\)`},
		{name: "long-header.csv", content: longLine("", "x", 100<<20), want: `long-header\.csv: split: long-header\.csv: record at offset 0: record too long`},
		{name: "utf8-item.csv", content: withRow("536366,A\xff\xfeB,X,1,01/12/2010 08:28,1.0,17850,United Kingdom"), want: `utf8-item\.csv:3: field "StockCode": not valid UTF-8: "A\\xff\\xfeB"`},
		{name: "utf8-customer.csv", content: withRow("536366,22,X,1,01/12/2010 08:28,1.0,178\xff50,United Kingdom"), want: `utf8-customer\.csv:3: field "CustomerID": not valid UTF-8: "178\\xff50"`},
		{name: "utf8-description.csv", content: withRow("536366,22,Gift voucher \xa340,1,01/12/2010 08:28,1.0,17850,United Kingdom"), records: 2},
		{name: "missing-field.csv", content: withRow("536366,22,X,1,01/12/2010 08:28,1.0,17850"), want: `missing-field\.csv:3: wrong number of fields: 7, the header has 8`},
		{name: "extra-field.csv", content: withRow("536366,22,X,1,01/12/2010 08:28,1.0,17850,United Kingdom,extra"), want: `extra-field\.csv:3: wrong number of fields: 9, the header has 8`},
		{name: "shifted.csv", content: withRow("536366,X,1,01/12/2010 08:28,1.0,17850,United Kingdom,22"), want: `shifted\.csv:3: field "InvoiceDate": `},
		{name: "nan-quantity.csv", content: withRow("536366,22,X,NaN,01/12/2010 08:28,1.0,17850,United Kingdom"), want: `nan-quantity\.csv:3: field "Quantity": not a finite number "NaN"`},
		{name: "nan-price.csv", content: withRow("536366,22,X,1,01/12/2010 08:28,nan,17850,United Kingdom"), want: `nan-price\.csv:3: field "UnitPrice": not a finite number "nan"`},
		{name: "inf-price.csv", content: withRow("536366,22,X,1,01/12/2010 08:28,1e999,17850,United Kingdom"), want: `inf-price\.csv:3: field "UnitPrice": `},
		{name: "negative-quantity.csv", content: withRow("536366,22,X,-3,01/12/2010 08:28,1.0,17850,United Kingdom"), records: 2},
		{name: "negative-price.csv", content: withRow("536366,B,Adjust bad debt,1,01/12/2010 08:28,-11062.06,,United Kingdom"), records: 2},
		{name: "year-0001.csv", content: withRow("536366,22,X,1,01/12/0001 08:28,1.0,17850,United Kingdom"), want: `year-0001\.csv:3: field "InvoiceDate": time "01/12/0001 08:28" outside 1970–2200`},
		{name: "year-9999.csv", content: withRow("536366,22,X,1,31/12/9999 23:59,1.0,17850,United Kingdom"), want: `year-9999\.csv:3: field "InvoiceDate": time "31/12/9999 23:59" outside 1970–2200`},
		{name: "bad-date.csv", content: withRow("536366,22,X,1,32/13/2010 25:61,1.0,17850,United Kingdom"), want: `bad-date\.csv:3: field "InvoiceDate": not a time in layout`},
		{name: "bomb.csv.gz", content: gzipBombFile(640), want: `bomb\.csv\.gz.*gzip stream inflates beyond the limit: \d+ bytes out of the first \d+ compressed bytes, more than 100 times`},
	}
}

// TestHostileFiles imports every hostile file with 'quarry dataset import'
// into a local folder store and into MinIO: each fails with an error
// naming the file and its line or field, or is accepted as documented
// (docs/datasets.md, "Bad input"), and a failed import leaves nothing in
// the store, published or temporary.
func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	files := hostileFiles()
	start := time.Now()
	for _, f := range files {
		f.content(t, filepath.Join(dir, f.name))
	}
	t.Logf("generated %d hostile files in %v", len(files), time.Since(start))

	t.Run("local", func(t *testing.T) {
		store := t.TempDir()
		b, err := objstore.Open(context.Background(), store, objstore.DefaultOpenOptions())
		if err != nil {
			t.Fatal(err)
		}
		defer closeBucket(b)
		importHostile(t, dir, files, b, store)
		// The folder itself: no temporary file of a failed import either.
		var left []string
		filepath.WalkDir(store, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				left = append(left, p)
			}
			return nil
		})
		for _, p := range left {
			if !strings.Contains(p, "accepted-") {
				t.Errorf("file %s left in the store folder by a failed import", p)
			}
		}
	})
	t.Run("minio", func(t *testing.T) {
		if testing.Short() {
			t.Skip("MinIO run skipped with -short")
		}
		srv := miniotest.Start(t)
		t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
		t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
		url := "s3://" + srv.Bucket + "/hostile?endpoint=" + srv.Endpoint + "&insecure=true"
		b, err := objstore.Open(context.Background(), url, objstore.OpenOptions{S3: s3.FromEnv(os.Getenv)})
		if err != nil {
			t.Fatal(err)
		}
		defer closeBucket(b)
		importHostile(t, dir, files, b, url)
	})
}

// importHostile imports each file of dir into the store at location (b
// opened on it) as its own dataset and checks the outcome and what the
// store holds afterwards.
func importHostile(t *testing.T, dir string, files []hostileFile, b objstore.Bucket, location string) {
	ctx := context.Background()
	for i, f := range files {
		t.Run(f.name, func(t *testing.T) {
			name := fmt.Sprintf("failed-%02d", i)
			if f.want == "" {
				name = fmt.Sprintf("accepted-%02d", i)
			}
			start := time.Now()
			_, err := runOut(t, "dataset", "import", filepath.Join(dir, f.name), "--name", name, "--store", location, "--partitions", "2")
			t.Logf("import took %v", time.Since(start))
			keys, lerr := objstore.List(ctx, b, "datasets/"+name+"/")
			if lerr != nil {
				t.Fatal(lerr)
			}
			if f.want == "" {
				if err != nil {
					t.Fatalf("got error %v; want the file accepted", err)
				}
				m, err := dataset.LoadManifest(ctx, b, name, 0)
				if err != nil {
					t.Fatal(err)
				}
				if m.Counts.Records != f.records {
					t.Errorf("got %d records; want %d", m.Counts.Records, f.records)
				}
				if want := len(m.Partitions) + 1; len(keys) != want {
					t.Errorf("got objects %v; want the %d partitions and the manifest", keys, want)
				}
				return
			}
			if err == nil {
				t.Fatalf("got no error; want one matching %s", f.want)
			}
			if !regexp.MustCompile(f.want).MatchString(err.Error()) {
				t.Errorf("got error %q; want one matching %s", err, f.want)
			}
			if len(keys) > 0 {
				t.Errorf("got objects %v left by the failed import; want none", keys)
			}
			if _, err := dataset.LoadManifest(ctx, b, name, 0); err == nil {
				t.Errorf("a version of %s was published", name)
			}
		})
	}
}
