package dataset_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/storage/dataset"
	"github.com/quarrydata/quarry/storage/format"
	"github.com/quarrydata/quarry/storage/objstore"
)

// cdnowLike returns a customer-base log in the two CDNOW shapes (the
// master file with a header, the sample without one and with an extra
// id column), the same lines in both, and what they hold, counted here
// independently of the parsers: customers, customer-days and the total
// amount. Some customers buy several times a day; one line is a return
// (a negative amount) and one is worth nothing.
func cdnowLike() (master, sample string, customers, orders int, total float64) {
	var m, s strings.Builder
	m.WriteString(" customer_id  date number_of_cds  dollar_value\r\n")
	days, custs := map[string]bool{}, map[int]bool{}
	for i := range 60 {
		c := 1 + (i/4*7)%17 // four lines each, over two days
		d := fmt.Sprintf("1997%02d%02d", 1+(i/8)%5, 1+(i%4)/2)
		amount := fmt.Sprintf("%d.%02d", 3+i*5%41, i*13%100)
		switch i {
		case 31:
			amount = "-12.50"
		case 44:
			amount = "0.00"
		}
		fmt.Fprintf(&m, " %05d %s  %d   %s\r\n", c, d, 1+i%3, amount)
		fmt.Fprintf(&s, " %05d %04d %s\t%d  %s\r\n", c, c, d, 1+i%3, amount)
		days[fmt.Sprint(c, d)], custs[c] = true, true
		var v float64
		fmt.Sscan(amount, &v)
		total += v
	}
	return m.String(), s.String(), len(custs), len(days), total
}

var (
	masterSpec = dataset.Spec{Format: format.FormatSSV, Partitions: 3, TimeLayout: "20060102",
		Columns: format.Columns{Customer: "customer_id", Time: "date", Amount: "dollar_value"}}
	sampleSpec = dataset.Spec{Format: format.FormatSSV, Partitions: 3, TimeLayout: "20060102", NoHeader: true,
		Columns: format.Columns{Customer: "1", Time: "3", Amount: "5"}}
)

func upload(t *testing.T, store objstore.Bucket, key, content string) dataset.SourceObject {
	t.Helper()
	if err := store.Upload(context.Background(), key, strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	return dataset.SourceObject{Bucket: store, Key: key, URL: store.String() + "/" + key}
}

func rawParts(t *testing.T, store objstore.Bucket, m *dataset.Manifest) [][]byte {
	t.Helper()
	d, err := dataset.Open(context.Background(), store, m.Name, m.Version)
	if err != nil {
		t.Fatal(err)
	}
	var out [][]byte
	for i := range m.Partitions {
		b, err := d.ReadRaw(context.Background(), i)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}

// TestImportCustomerBaseLogs imports both CDNOW shapes: whatever the
// split size, and with a header or without, the partitions are the same
// bytes, the distributed pieces build them too, the manifest says there
// are no items, and the purchases add up to the log's amounts.
func TestImportCustomerBaseLogs(t *testing.T) {
	ctx := context.Background()
	master, sample, customers, orders, total := cdnowLike()
	store := newLocal(t)
	srcs := map[string]dataset.SourceObject{"master": upload(t, store, "raw/master.txt", master), "sample": upload(t, store, "raw/sample.txt", sample)}
	specs := map[string]dataset.Spec{"master": masterSpec, "sample": sampleSpec}
	var ref [][]byte
	for _, shape := range []string{"master", "sample"} {
		for _, size := range []int64{0, 41, 500} {
			t.Run(fmt.Sprintf("%s/split-%d", shape, size), func(t *testing.T) {
				m := importFile(t, store, shape, dataset.Options{Spec: specs[shape], SplitSize: size, Workers: 2}, srcs[shape])
				c := m.Counts
				if c.Customers != customers || c.Orders != orders || c.Records != 60 || c.Returns != 1 {
					t.Errorf("got counts %+v; want %d customers, %d orders, 60 records, 1 return", c, customers, orders)
				}
				if m.HasItems() || m.NumItems != 0 || m.Items != nil || m.Import.Columns.Item != "" || m.Import.NoHeader != (shape == "sample") {
					t.Errorf("got items %v (%d), columns %+v, no header %v; want no items and the shape's header", m.Items, m.NumItems, m.Import.Columns, m.Import.NoHeader)
				}
				raw := rawParts(t, store, m)
				if ref == nil {
					ref = raw
				}
				for i := range raw {
					if !bytes.Equal(raw[i], ref[i]) {
						t.Errorf("partition %d: got %d bytes; want the %d of the master file in one split", i, len(raw[i]), len(ref[i]))
					}
				}
				if size == 41 {
					_, parts := shuffleImport(t, store, []dataset.SourceObject{srcs[shape]}, specs[shape], size)
					for i := range parts {
						if !bytes.Equal(parts[i], ref[i]) {
							t.Errorf("distributed partition %d differs from Import's", i)
						}
					}
				}
				d, err := dataset.Open(ctx, store, m.Name, m.Version)
				if err != nil {
					t.Fatal(err)
				}
				sum := 0.0
				for i := range m.Partitions {
					p, err := d.ReadPurchases(ctx, i)
					if err != nil {
						t.Fatal(err)
					}
					for _, pu := range p.Purchases {
						sum += pu.Amount
					}
				}
				if math.Abs(sum-total) > 1e-9 {
					t.Errorf("got purchases worth %.2f; want %.2f", sum, total)
				}
				if _, err := d.ReadBaskets(ctx, 0); !errors.Is(err, dataset.ErrNoItems) {
					t.Errorf("ReadBaskets: got %v; want ErrNoItems", err)
				}
				if _, _, err := d.ReadSequences(ctx, 0, 0); !errors.Is(err, dataset.ErrNoItems) {
					t.Errorf("ReadSequences: got %v; want ErrNoItems", err)
				}
				var sum2 bytes.Buffer
				if err := dataset.WriteSummary(&sum2, m); err != nil || !strings.Contains(sum2.String(), "none: imported without an item column") {
					t.Errorf("summary: got %q, %v; want it to say there are no items", sum2.String(), err)
				}
			})
		}
	}
	// An append reads its sources as the version it appends to: without
	// a header, by position.
	m, err := dataset.Append(ctx, store, "sample", []dataset.SourceObject{upload(t, store, "raw/more.txt", " 00099 0099 19980101 1 5.00\r\n")}, dataset.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if last := m.Segments[len(m.Segments)-1]; !m.Import.NoHeader || last.Counts.Records != 1 || last.Counts.Lines != 1 {
		t.Errorf("append: got no header %v, segment counts %+v; want a header-less record of one line", m.Import.NoHeader, last.Counts)
	}
	if err := (&dataset.Manifest{Kind: dataset.KindBaskets}).RequireItems("itemsets"); err != nil {
		t.Errorf("a baskets dataset: got %v; want items", err)
	}
}
