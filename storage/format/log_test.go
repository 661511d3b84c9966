package format

import (
	"errors"
	"io"
	"reflect"
	"testing"
	"time"

	"github.com/quarrydata/quarry/algorithms/features"
	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/internal/testenv"
)

const builderLog = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n" +
	"1,A,apple,2,01/12/2010 08:00,1.5,20,UK\n" +
	"1,B,bread,1,01/12/2010 08:00,2,20,UK\n" +
	"1,A,apple again,1,01/12/2010 08:00,1.5,20,UK\n" +
	"2,C,cheese,1,01/12/2010 09:00,4,10,UK\n" +
	"C3,A,apple,-1,01/12/2010 10:00,1.5,20,UK\n" +
	"4,B,bread,3,01/12/2010 11:00,2,,UK\n" +
	"5,C,cheese,1,01/12/2010 18:00,4,20,UK\n" +
	"6,A,apple,1,03/12/2010 08:00,1.5,20,UK\n" +
	"7,D,dates,-2,03/12/2010 09:00,0,10,UK\n"

// A Dictionary names items in written results.
var _ ItemNames = (*Dictionary)(nil)

func builderRows(t *testing.T) []Row {
	t.Helper()
	rows, _, err := readLog(t, builderLog, DefaultColumns(), LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestBasketBuilder(t *testing.T) {
	dict := NewDictionary()
	b := NewBasketBuilder(dict)
	for _, r := range builderRows(t) {
		b.Add(&r)
	}
	baskets, orders := b.Baskets()
	// ids: A=0, B=1, C=2 in order of first appearance; D is only returned.
	want := [][]uint32{{0, 1}, {2}, {1}, {2}, {0}}
	if !reflect.DeepEqual(baskets, want) || !reflect.DeepEqual(orders, []string{"1", "2", "4", "5", "6"}) {
		t.Errorf("got %v %v; want %v [1 2 4 5 6]", baskets, orders, want)
	}
	if b.Returns != 2 || dict.Len() != 3 || dict.Name(1) != "B" || dict.Description(0) != "apple" {
		t.Errorf("got %d returns, %d items, name(1) %q, desc(0) %q; want 2, 3, B, apple", b.Returns, dict.Len(), dict.Name(1), dict.Description(0))
	}
	if _, ok := dict.Lookup("D"); ok {
		t.Error("got an id for the returned-only item D; want none")
	}
}

func TestSequenceBuilder(t *testing.T) {
	dict := NewDictionary()
	b := NewSequenceBuilder(dict, 0)
	for _, r := range builderRows(t) {
		b.Add(&r)
	}
	customers, seqs := b.Sequences()
	day := time.Date(2010, 12, 1, 0, 0, 0, 0, time.UTC).Unix() / 86400
	// customer 20 first appears, so A=0, B=1; C=2.
	want := []sequences.Sequence{
		{{Time: day, Items: []uint32{2}}},
		{{Time: day, Items: []uint32{0, 1, 2}}, {Time: day + 2, Items: []uint32{0}}},
	}
	if !reflect.DeepEqual(customers, []string{"10", "20"}) || !reflect.DeepEqual(seqs, want) {
		t.Errorf("got %v %v; want [10 20] %v", customers, seqs, want)
	}
	if b.Returns != 2 || b.NoCustomer != 1 {
		t.Errorf("got %d returns, %d without customer; want 2, 1", b.Returns, b.NoCustomer)
	}
	// An hourly unit splits customer 20's first day into two events.
	hb := NewSequenceBuilder(NewDictionary(), time.Hour)
	for _, r := range builderRows(t) {
		hb.Add(&r)
	}
	_, hs := hb.Sequences()
	if len(hs[1]) != 3 {
		t.Errorf("got %d hourly events for customer 20; want 3", len(hs[1]))
	}
}

func TestPurchaseBuilder(t *testing.T) {
	b := NewPurchaseBuilder(false)
	for _, r := range builderRows(t) {
		b.Add(&r)
	}
	ps, customers, cats := b.Purchases()
	if !reflect.DeepEqual(customers, []string{"10", "20"}) || len(cats) != 0 || b.NoCustomer != 1 {
		t.Fatalf("got customers %v, categories %v, %d without customer; want [10 20], none, 1", customers, cats, b.NoCustomer)
	}
	tab, err := features.Compute(ps, features.Options{})
	if err != nil {
		t.Fatal(err)
	}
	// customer 20: orders 1 (3+2+1.5), C3 (-1.5), 5 (4), 6 (1.5): 10.5 net
	if tab.Frequency[1] != 3 || tab.Monetary[1] != 10.5 {
		t.Errorf("got customer 20 frequency %v monetary %v; want 3, 10.5", tab.Frequency[1], tab.Monetary[1])
	}
	// customer 10: one sale of 4; the -2 × 0 return adds nothing.
	if tab.Frequency[0] != 1 || tab.Monetary[0] != 4 {
		t.Errorf("got customer 10 frequency %v monetary %v; want 1, 4", tab.Frequency[0], tab.Monetary[0])
	}
	// Without prices, monetary value is the item count net of returns.
	cb := NewPurchaseBuilder(true)
	for _, r := range builderRows(t) {
		cb.Add(&r)
	}
	ps, _, _ = cb.Purchases()
	tab, _ = features.Compute(ps, features.Options{})
	if tab.Monetary[1] != 5 || tab.Monetary[0] != -1 {
		t.Errorf("got item-count monetary %v; want [-1 5]", tab.Monetary)
	}
}

func TestOnlineRetailSample(t *testing.T) {
	f, err := Open(testenv.Path(t, "online-retail-sample.csv.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lr, err := NewCSVLogReader(f, DefaultColumns(), LogOptions{Options: Options{Name: "online-retail-sample.csv.gz"}})
	if err != nil {
		t.Fatal(err)
	}
	dict := NewDictionary()
	bb, sb, pb := NewBasketBuilder(dict), NewSequenceBuilder(dict, 0), NewPurchaseBuilder(lr.Mapped().Price == "")
	for {
		r, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		bb.Add(&r)
		sb.Add(&r)
		pb.Add(&r)
	}
	baskets, _ := bb.Baskets()
	customers, _ := sb.Sequences()
	_, pcust, _ := pb.Purchases()
	if st := lr.Stats(); st.Records != 15015 || len(baskets) != 606 || bb.Returns != 222 || sb.NoCustomer != 4271 || len(pcust) != 442 || len(customers) != 413 {
		t.Errorf("got %d rows, %d baskets, %d returns, %d without customer, %d/%d customers; want 15015, 606, 222, 4271, 413/442",
			st.Records, len(baskets), bb.Returns, sb.NoCustomer, len(customers), len(pcust))
	}
}

func TestGroceriesRFM(t *testing.T) {
	f, err := Open(testenv.Shared(t, "groceries.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lr, err := NewCSVLogReader(f, groceriesColumns, LogOptions{Options: Options{Name: "groceries.csv"}})
	if err != nil {
		t.Fatal(err)
	}
	pb := NewPurchaseBuilder(lr.Mapped().Price == "")
	sb := NewSequenceBuilder(NewDictionary(), 0)
	for {
		r, err := lr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		pb.Add(&r)
		sb.Add(&r)
	}
	ps, customers, _ := pb.Purchases()
	tab, err := features.Compute(ps, features.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var orders, items float64
	for i := range tab.Customers {
		orders += tab.Frequency[i]
		items += tab.Monetary[i]
	}
	// No order column: an order is a member's day; no price: monetary is the item count.
	if len(customers) != 3898 || tab.Len() != 3898 || orders != 14963 || items != 38765 {
		t.Errorf("got %d customers, %v orders, %v items; want 3898, 14963, 38765", tab.Len(), orders, items)
	}
	seqCustomers, seqs := sb.Sequences()
	events := 0
	for _, s := range seqs {
		events += len(s)
	}
	if len(seqCustomers) != 3898 || events != 14963 {
		t.Errorf("got %d sequences with %d events; want 3898 with 14963 (one per member-day)", len(seqCustomers), events)
	}
}
