package format

import (
	"bytes"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/quarrydata/quarry/internal/testenv"
)

const retailHeader = "InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"

func readLog(t *testing.T, in string, cols Columns, opt LogOptions) ([]Row, Stats, error) {
	t.Helper()
	if opt.Name == "" {
		opt.Name = "orders.csv"
	}
	return ReadCSVLog(strings.NewReader(in), cols, opt)
}

func TestCSVLogRows(t *testing.T) {
	in := retailHeader +
		"536365,85123A,WHITE HANGING HEART,6,01/12/2010 08:26,2.55,17850,United Kingdom\r\n" +
		"C536379,D,Discount,-1,01/12/2010 09:41,27.5,14527,United Kingdom\r\n" +
		"536381,82567,\"AIRLINE LOUNGE,METAL SIGN\",2,01/12/2010 09:41,2.1,,United Kingdom\r\n" +
		"536382,22,adjust,-3,01/12/2010 09:45,0,15311,United Kingdom"
	rows, st, err := readLog(t, in, DefaultColumns(), LogOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Line: 2, Customer: "17850", Order: "536365", Item: "85123A", Description: "WHITE HANGING HEART", Time: time.Date(2010, 12, 1, 8, 26, 0, 0, time.UTC), Quantity: 6, Price: 2.55},
		{Line: 3, Customer: "14527", Order: "C536379", Item: "D", Description: "Discount", Time: time.Date(2010, 12, 1, 9, 41, 0, 0, time.UTC), Quantity: -1, Price: 27.5, Return: true},
		{Line: 4, Customer: "", Order: "536381", Item: "82567", Description: "AIRLINE LOUNGE,METAL SIGN", Time: time.Date(2010, 12, 1, 9, 41, 0, 0, time.UTC), Quantity: 2, Price: 2.1},
		{Line: 5, Customer: "15311", Order: "536382", Item: "22", Description: "adjust", Time: time.Date(2010, 12, 1, 9, 45, 0, 0, time.UTC), Quantity: -3, Price: 0, Return: true},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows; want %d", len(rows), len(want))
	}
	for i := range want {
		if rows[i] != want[i] {
			t.Errorf("row %d: got %+v; want %+v", i, rows[i], want[i])
		}
	}
	if st.Records != 4 || st.Lines != 5 {
		t.Errorf("got stats %+v; want 4 records over 5 lines", st)
	}
}

func TestCSVLogErrors(t *testing.T) {
	row := func(q, date, price string) string {
		return "536365,85123A,HEART," + q + "," + date + "," + price + ",17850,UK\n"
	}
	tests := []struct {
		name, in string
		opt      LogOptions
		line     int
		field    string
		want     string
	}{
		{"bad quantity", retailHeader + row("6", "01/12/2010 08:26", "1") + row("abc", "01/12/2010 08:26", "1"), LogOptions{}, 3, "Quantity", `orders.csv:3: field "Quantity": not a number "abc"`},
		{"NaN quantity", retailHeader + row("NaN", "01/12/2010 08:26", "1"), LogOptions{}, 2, "Quantity", `not a finite number "NaN"`},
		{"Inf price", retailHeader + row("1", "01/12/2010 08:26", "+Inf"), LogOptions{}, 2, "UnitPrice", `not a finite number "+Inf"`},
		{"empty price", retailHeader + row("1", "01/12/2010 08:26", ""), LogOptions{}, 2, "UnitPrice", "empty number"},
		{"bad time", retailHeader + row("1", "01/12/2010 08:26", "1") + row("1", "yesterday", "1"), LogOptions{}, 3, "InvoiceDate", `"yesterday"`},
		{"undetectable time", retailHeader + row("1", "soon", "1"), LogOptions{}, 2, "InvoiceDate", "cannot detect the time layout"},
		{"before 1970", retailHeader + row("1", "31/12/1969 23:59", "1"), LogOptions{}, 2, "InvoiceDate", "outside 1970–2200"},
		{"after 2200", retailHeader + row("1", "01/01/2200 00:00", "1"), LogOptions{}, 2, "InvoiceDate", "outside 1970–2200"},
		{"forced layout mismatch", retailHeader + row("1", "13/12/2010 08:26", "1"), LogOptions{TimeLayout: "01/02/2006 15:04"}, 2, "InvoiceDate", `layout "01/02/2006 15:04"`},
		{"truncated record", retailHeader + row("1", "01/12/2010 08:26", "1") + "539650,84347,R", LogOptions{}, 3, "", "wrong number of fields"},
		{"empty item", retailHeader + "536365,,HEART,1,01/12/2010 08:26,1,17850,UK\n", LogOptions{}, 2, "StockCode", "empty item"},
		{"empty order", retailHeader + ",1,HEART,1,01/12/2010 08:26,1,17850,UK\n", LogOptions{}, 2, "InvoiceNo", "empty order id"},
		{"bare quote", retailHeader + "536365,1,HE\"ART,1,01/12/2010 08:26,1,17850,UK\n", LogOptions{}, 2, "", "bare"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := readLog(t, tc.in, DefaultColumns(), tc.opt)
			wantLineError(t, err, "orders.csv", tc.line, tc.field, tc.want)
		})
	}
}

func TestCSVLogHeader(t *testing.T) {
	_, err := NewCSVLogReader(strings.NewReader("a,b\n1,2\n"), Columns{Item: "b", Price: "Price", Order: "Invoice"}, LogOptions{Options: Options{Name: "x.csv"}})
	if err == nil {
		t.Fatal("got no error; want one naming the missing columns")
	}
	for _, want := range []string{"x.csv:1:", `"Invoice"`, `"Price"`, "a,b"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("got %q; want it to contain %q", err, want)
		}
	}
	// No column is required: without an item column, rows have no item.
	if rows, _, err := readLog(t, "a\n1\n", Columns{Customer: "a"}, LogOptions{}); err != nil || len(rows) != 1 || rows[0].Item != "" || rows[0].Customer != "1" {
		t.Errorf("no item column: got %+v, %v; want one row of customer 1 without an item", rows, err)
	}
	for _, in := range []string{"", "\ufeffItem\n"} {
		rows, _, err := readLog(t, in, Columns{Item: "Item"}, LogOptions{})
		if err != nil || len(rows) != 0 {
			t.Errorf("input %q: got %d rows, %v; want none, no error", in, len(rows), err)
		}
	}
}

func TestCSVLogDefaults(t *testing.T) {
	in := "cust\tday\tproduct\tcat\n" +
		"7\t2015-07-21\tmilk\tdairy\n" +
		"7\t2015-07-21\tbread\t\n" +
		"8\t2015-07-22\tmilk\tdairy\n"
	rows, _, err := readLog(t, in, Columns{Customer: "cust", Time: "day", Item: "product", Category: "cat"}, LogOptions{Comma: '\t'})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 {
		t.Fatalf("got %d rows; want 3", len(rows))
	}
	if rows[0].Quantity != 1 || rows[0].Price != 0 || rows[0].Return || rows[0].Category != "dairy" {
		t.Errorf("got %+v; want quantity 1, price 0, no return, category dairy", rows[0])
	}
	if rows[0].Order != rows[1].Order || rows[0].Order == rows[2].Order || rows[0].Order != "7|2015-07-21T00:00:00Z" {
		t.Errorf("got orders %q %q %q; want the first two equal to 7|2015-07-21T00:00:00Z, the third different", rows[0].Order, rows[1].Order, rows[2].Order)
	}
	// No order, customer or time column: every row is its own order.
	rows, _, err = readLog(t, "product\na\na\n", Columns{Item: "product"}, LogOptions{})
	if err != nil || len(rows) != 2 || rows[0].Order == rows[1].Order {
		t.Errorf("got %+v, %v; want two rows with distinct orders", rows, err)
	}
	// A customer id starting with C is not a cancellation without an order column.
	rows, _, err = readLog(t, "c,i\nC12,a\n", Columns{Customer: "c", Item: "i"}, LogOptions{})
	if err != nil || rows[0].Return {
		t.Errorf("got %+v, %v; want a sale", rows, err)
	}
	// NoCancelPrefix and a custom prefix.
	in = "o,i\nC1,a\nR2,b\n"
	rows, _, _ = readLog(t, in, Columns{Order: "o", Item: "i"}, LogOptions{NoCancelPrefix: true})
	if rows[0].Return || rows[1].Return {
		t.Errorf("got returns %v %v with NoCancelPrefix; want none", rows[0].Return, rows[1].Return)
	}
	rows, _, _ = readLog(t, in, Columns{Order: "o", Item: "i"}, LogOptions{CancelPrefix: "R"})
	if rows[0].Return || !rows[1].Return {
		t.Errorf("got returns %v %v with prefix R; want false true", rows[0].Return, rows[1].Return)
	}
}

func TestTimeDetection(t *testing.T) {
	utc := func(y int, m time.Month, d, hh, mm, ss int) time.Time {
		return time.Date(y, m, d, hh, mm, ss, 0, time.UTC)
	}
	tests := []struct {
		in, layout string
		want       time.Time
	}{
		{"2010-12-01T08:26:00Z", "", utc(2010, 12, 1, 8, 26, 0)},
		{"2010-12-01T08:26:00+01:00", "", utc(2010, 12, 1, 7, 26, 0)},
		{"2010-12-01T08:26:05", "", utc(2010, 12, 1, 8, 26, 5)},
		{"2010-12-01 08:26:05", "", utc(2010, 12, 1, 8, 26, 5)},
		{"2010-12-01 08:26", "", utc(2010, 12, 1, 8, 26, 0)},
		{"2010-12-01", "", utc(2010, 12, 1, 0, 0, 0)},
		{"01/12/2010 08:26", "", utc(2010, 12, 1, 8, 26, 0)},
		{"1/12/2010 8:26", "", utc(2010, 12, 1, 8, 26, 0)},
		{"03/04/2011", "", utc(2011, 4, 3, 0, 0, 0)}, // day first unless forced
		{"03-04-2011", "", utc(2011, 4, 3, 0, 0, 0)},
		{"1291191960", "", utc(2010, 12, 1, 8, 26, 0)},
		{"03/04/2011", "01/02/2006", utc(2011, 3, 4, 0, 0, 0)},
		{"1291191960", LayoutUnix, utc(2010, 12, 1, 8, 26, 0)},
		{"19970101", "", utc(1997, 1, 1, 0, 0, 0)},     // yyyymmdd, not Unix seconds
		{"19970230", "", time.Unix(19970230, 0).UTC()}, // no 30 February: Unix seconds
		{"00010101", "", time.Unix(10101, 0).UTC()},    // year 1 is out of range: Unix seconds
		{"19970101", "20060102", utc(1997, 1, 1, 0, 0, 0)},
	}
	for _, tc := range tests {
		t.Run(tc.in+"/"+tc.layout, func(t *testing.T) {
			rows, _, err := readLog(t, "t,i\n"+tc.in+",a\n", Columns{Time: "t", Item: "i"}, LogOptions{TimeLayout: tc.layout})
			if err != nil {
				t.Fatal(err)
			}
			if !rows[0].Time.Equal(tc.want) {
				t.Errorf("got %v; want %v", rows[0].Time, tc.want)
			}
		})
	}
}

func TestCSVLogSkipBadLines(t *testing.T) {
	in := retailHeader +
		"1,a,d,1,01/12/2010 08:26,1,5,UK\n" +
		"2,a,d,x,01/12/2010 08:26,1,5,UK\n" +
		"3,a,d\n" +
		"4,a,d,1,01/12/2010 08:26,1,5,UK\n"
	rows, st, err := readLog(t, in, DefaultColumns(), LogOptions{Options: Options{SkipBadLines: true}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || st.Skipped != 2 || st.Samples[0].Line != 3 || st.Samples[1].Line != 4 {
		t.Errorf("got %d rows, stats %+v; want 2 rows, samples at lines 3 and 4", len(rows), st)
	}
	if st.Samples[0].Field != "Quantity" || !strings.Contains(st.Samples[0].Text, "2,a,d,x") {
		t.Errorf("got sample %+v; want field Quantity and the line text", st.Samples[0])
	}
}

func TestCSVLogHugeLine(t *testing.T) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := io.MultiReader(strings.NewReader("o,i\n1,a\n2,"), longLine(20<<20, "3,b\n"))
	lr, err := NewCSVLogReader(r, Columns{Order: "o", Item: "i"}, LogOptions{Options: Options{Name: "big.csv", MaxLineBytes: 1 << 20, SkipBadLines: true}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lr.Next(); err != nil {
		t.Fatal(err)
	}
	_, err = lr.Next()
	runtime.ReadMemStats(&after)
	wantLineError(t, err, "big.csv", 3, "", "longer than 1048576 bytes")
	if !errors.Is(err, ErrLineTooLong) {
		t.Errorf("got %v; want it to wrap ErrLineTooLong", err)
	}
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 12<<20 {
		t.Errorf("got %d bytes allocated for a 20 MiB line; want under 12 MiB", alloc)
	}
}

func TestCSVLogGzip(t *testing.T) {
	r, err := MaybeGunzip(bytes.NewReader(gz(t, "o,i\n1,a\n")))
	if err != nil {
		t.Fatal(err)
	}
	rows, _, err := ReadCSVLog(r, Columns{Order: "o", Item: "i"}, LogOptions{})
	if err != nil || len(rows) != 1 || rows[0].Item != "a" {
		t.Errorf("got %+v, %v; want one row of item a", rows, err)
	}
}

func TestOnlineRetail(t *testing.T) {
	path := testenv.Shared(t, "online-retail-part.csv")
	t.Run("strict", func(t *testing.T) {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		rows, _, err := ReadCSVLog(f, DefaultColumns(), LogOptions{Options: Options{Name: "online-retail-part.csv"}})
		wantLineError(t, err, "online-retail-part.csv", 39531, "", "wrong number of fields")
		if rows != nil {
			t.Errorf("got %d rows; want none on error", len(rows))
		}
	})
	t.Run("skip", func(t *testing.T) {
		f, err := Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		lr, err := NewCSVLogReader(f, DefaultColumns(), LogOptions{Options: Options{Name: "online-retail-part.csv", SkipBadLines: true}})
		if err != nil {
			t.Fatal(err)
		}
		var rows, returns, noCustomer int
		for {
			r, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			rows++
			if r.Return {
				returns++
			}
			if r.Customer == "" {
				noCustomer++
			}
		}
		st := lr.Stats()
		if rows != 39529 || returns != 749 || noCustomer != 13766 {
			t.Errorf("got %d rows, %d returns, %d without customer; want 39529, 749, 13766", rows, returns, noCustomer)
		}
		if st.Skipped != 1 || st.Samples[0].Line != 39531 || st.Samples[0].Text != "539650,84347,R" {
			t.Errorf("got stats %+v; want the truncated line 39531 skipped", st)
		}
		if lr.TimeLayout() != "2/1/2006 15:04" {
			t.Errorf("got layout %q; want day-first 2/1/2006 15:04", lr.TimeLayout())
		}
	})
}

// GroceriesColumns maps the Kaggle groceries layout.
var groceriesColumns = Columns{Customer: "Member_number", Time: "Date", Item: "itemDescription"}

func TestGroceries(t *testing.T) {
	tests := []struct {
		file                      string
		shared                    bool
		rows, customers, items, n int
	}{
		{"groceries.csv", true, 38765, 3898, 167, 14963},
		{"groceries-sample.csv.gz", false, 9659, 975, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			var path string
			if tc.shared {
				path = testenv.Shared(t, tc.file)
			} else {
				path = testenv.Path(t, tc.file)
			}
			f, err := Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, _, err := ReadCSVLog(f, groceriesColumns, LogOptions{Options: Options{Name: tc.file}})
			if err != nil {
				t.Fatal(err)
			}
			customers, items, orders := map[string]bool{}, map[string]bool{}, map[string]bool{}
			for _, r := range rows {
				customers[r.Customer], items[r.Item], orders[r.Order] = true, true, true
			}
			if len(rows) != tc.rows || len(customers) != tc.customers {
				t.Errorf("got %d rows, %d customers; want %d, %d", len(rows), len(customers), tc.rows, tc.customers)
			}
			if tc.items > 0 && (len(items) != tc.items || len(orders) != tc.n) {
				t.Errorf("got %d items, %d orders; want %d, %d", len(items), len(orders), tc.items, tc.n)
			}
		})
	}
}
