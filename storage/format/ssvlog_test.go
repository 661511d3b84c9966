package format

import (
	"errors"
	"strings"
	"testing"
	"time"
)

// cdnowMaster and cdnowSample are the first lines of the two CDNOW files
// (docs/datasets.md), as they come: CRLF, leading blanks, runs of spaces.
const (
	cdnowMaster = " customer_id  date number_of_cds  dollar_value\r\n" +
		" 00001 19970101  1   11.77\r\n" +
		" 00002 19970112  1   12.00\r\n" +
		" 00002 19970112  5   77.00\r\n" +
		" 00003 19970102  2   20.76\r\n"
	cdnowSample = " 00004 0001 19970101  2   29.33\r\n" +
		" 00004 0001 19970118  2   29.73\r\n" +
		"\t00021\t0002 19970101  3   63.34 \r\n"
)

var (
	masterCols = Columns{Customer: "customer_id", Time: "date", Amount: "dollar_value"}
	sampleCols = Columns{Customer: "1", Time: "3", Amount: "5"}
	ssvOpt     = LogOptions{Whitespace: true, TimeLayout: "20060102"}
	noHeader   = LogOptions{Whitespace: true, NoHeader: true, TimeLayout: "20060102"}
)

func day(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func TestSSVLogRows(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cols Columns
		opt  LogOptions
		want []Row
	}{
		{"master", cdnowMaster, masterCols, ssvOpt, []Row{
			{Line: 2, Customer: "00001", Order: "00001|1997-01-01T00:00:00Z", Time: day(1997, 1, 1), Quantity: 1, Price: 11.77},
			{Line: 3, Customer: "00002", Order: "00002|1997-01-12T00:00:00Z", Time: day(1997, 1, 12), Quantity: 1, Price: 12},
			{Line: 4, Customer: "00002", Order: "00002|1997-01-12T00:00:00Z", Time: day(1997, 1, 12), Quantity: 1, Price: 77},
			{Line: 5, Customer: "00003", Order: "00003|1997-01-02T00:00:00Z", Time: day(1997, 1, 2), Quantity: 1, Price: 20.76},
		}},
		{"sample without a header", cdnowSample, sampleCols, noHeader, []Row{
			{Line: 1, Customer: "00004", Order: "00004|1997-01-01T00:00:00Z", Time: day(1997, 1, 1), Quantity: 1, Price: 29.33},
			{Line: 2, Customer: "00004", Order: "00004|1997-01-18T00:00:00Z", Time: day(1997, 1, 18), Quantity: 1, Price: 29.73},
			{Line: 3, Customer: "00021", Order: "00021|1997-01-01T00:00:00Z", Time: day(1997, 1, 1), Quantity: 1, Price: 63.34},
		}},
		{"detected yyyymmdd", "c d a\n7 19980630 5\n", Columns{Customer: "c", Time: "d", Amount: "a"}, LogOptions{Whitespace: true}, []Row{
			{Line: 2, Customer: "7", Order: "7|1998-06-30T00:00:00Z", Time: day(1998, 6, 30), Quantity: 1, Price: 5},
		}},
		{"negative amount is a return", "c a\n\n  \n7 -3.5\n7 0\n7 -0\n", Columns{Customer: "c", Amount: "a"}, LogOptions{Whitespace: true}, []Row{
			{Line: 4, Customer: "7", Order: "7|0001-01-01T00:00:00Z", Quantity: -1, Price: 3.5, Return: true},
			{Line: 5, Customer: "7", Order: "7|0001-01-01T00:00:00Z", Quantity: 1, Price: 0},
			{Line: 6, Customer: "7", Order: "7|0001-01-01T00:00:00Z", Quantity: 1, Price: 0},
		}},
		{"a number is a header name with a header", "2 1\nx y\n", Columns{Customer: "1", Item: "2"}, LogOptions{Whitespace: true}, []Row{
			{Line: 2, Customer: "y", Order: "y|0001-01-01T00:00:00Z", Item: "x", Quantity: 1},
		}},
		{"csv without a header", "a,7,2\nb,8,3\n", Columns{Item: "1", Customer: "2", Quantity: "3"}, LogOptions{NoHeader: true}, []Row{
			{Line: 1, Customer: "7", Order: "7|0001-01-01T00:00:00Z", Item: "a", Quantity: 2},
			{Line: 2, Customer: "8", Order: "8|0001-01-01T00:00:00Z", Item: "b", Quantity: 3},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rows, st, err := readLog(t, tc.in, tc.cols, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(tc.want) || st.Records != len(tc.want) {
				t.Fatalf("got %d rows (%d records); want %d", len(rows), st.Records, len(tc.want))
			}
			for i := range rows {
				if rows[i] != tc.want[i] {
					t.Errorf("row %d: got %+v; want %+v", i, rows[i], tc.want[i])
				}
			}
			if n := strings.Count(tc.in, "\n"); st.Lines != n {
				t.Errorf("got %d lines; want %d", st.Lines, n)
			}
		})
	}
}

func TestSSVLogErrors(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		cols  Columns
		opt   LogOptions
		line  int
		field string
		want  string
	}{
		{"missing field", cdnowMaster + " 00004 19970101 2\r\n", masterCols, ssvOpt, 6, "", "wrong number of fields: 3, the header has 4"},
		{"extra field", cdnowMaster + " 00004 19970101 2 1.0 x\r\n", masterCols, ssvOpt, 6, "", "wrong number of fields: 5, the header has 4"},
		{"bad amount", cdnowMaster + " 00004 19970101 2 $1\r\n", masterCols, ssvOpt, 6, "dollar_value", `not a number "$1"`},
		{"bad date", cdnowMaster + " 00004 1997-01-01 2 1\r\n", masterCols, ssvOpt, 6, "date", `not a time in layout "20060102"`},
		{"no header: field by position", cdnowSample + " 00022 0003 19970101 3 x\r\n", sampleCols, noHeader, 4, "column 5", `not a number "x"`},
		{"no header: count of the first line", cdnowSample + " 00022 19970101 3 1\r\n", sampleCols, noHeader, 4, "", "the first line has 5"},
		{"quotes are text", "i c\n\"a b\" 1\n", Columns{Item: "i", Customer: "c"}, LogOptions{Whitespace: true}, 2, "", "wrong number of fields: 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Name = "cdnow.txt"
			_, _, err := readLog(t, tc.in, tc.cols, tc.opt)
			wantLineError(t, err, "cdnow.txt", tc.line, tc.field, tc.want)
		})
	}
}

func TestLogColumnErrors(t *testing.T) {
	tests := []struct {
		name string
		in   string
		cols Columns
		opt  LogOptions
		role string
		want string
	}{
		{"position beyond the first line", cdnowSample, Columns{Customer: "1", Time: "7"}, noHeader, "time", `x.txt:1: time column "7": beyond the 5 fields of the first line`},
		{"name without a header", cdnowSample, Columns{Customer: "customer_id"}, noHeader, "customer", "1-based position"},
		{"position zero", cdnowSample, Columns{Customer: "0"}, noHeader, "customer", "1-based position"},
		{"amount and price", cdnowMaster, Columns{Amount: "dollar_value", Price: "number_of_cds"}, ssvOpt, "price", "no quantity or price"},
		{"amount and quantity", cdnowMaster, Columns{Amount: "dollar_value", Quantity: "number_of_cds"}, ssvOpt, "quantity", "no quantity or price"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.opt.Name = "x.txt"
			_, err := NewCSVLogReader(strings.NewReader(tc.in), tc.cols, tc.opt)
			var ce *ColumnError
			if !errors.As(err, &ce) || ce.Role != tc.role {
				t.Fatalf("got %v; want a *ColumnError of the %s column", err, tc.role)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %q; want it to contain %q", err, tc.want)
			}
		})
	}
	// A missing header name is reported as for CSV.
	_, err := NewCSVLogReader(strings.NewReader(cdnowMaster), Columns{Customer: "cust"}, LogOptions{Whitespace: true, Options: Options{Name: "m.txt"}})
	if err == nil || !strings.Contains(err.Error(), `m.txt:1: column "cust" not in the header "customer_id,date,number_of_cds`) {
		t.Errorf("got %v; want the missing column and the header", err)
	}
}

func TestSSVLogSkipBadLines(t *testing.T) {
	in := cdnowSample + " 00022 19970101 3 1\r\n 00023 0003 19970105 1 x\r\n 00024 0004 19970106 1 2.50\r\n"
	opt := noHeader
	opt.SkipBadLines, opt.Name = true, "s.txt"
	rows, st, err := readLog(t, in, sampleCols, opt)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || st.Skipped != 2 || st.Lines != 6 || len(st.Samples) != 2 {
		t.Fatalf("got %d rows, stats %+v; want 4 rows, 2 skipped of 6 lines", len(rows), st)
	}
	if s := st.Samples[1]; s.Line != 5 || s.Field != "column 5" || s.Object != "s.txt" || !strings.Contains(s.Text, "00023") {
		t.Errorf("got sample %+v; want line 5, column 5, with its text", s)
	}
	// A bad first line of a log without a header is skipped too; the next
	// sets the number of fields.
	rows, st, err = readLog(t, "x\"y,1\n7,2\n8,3\n", Columns{Customer: "1", Amount: "2"}, LogOptions{NoHeader: true, Options: Options{SkipBadLines: true}})
	if err != nil || len(rows) != 2 || st.Skipped != 1 {
		t.Errorf("bad first line: got %d rows, %+v, %v; want 2 rows, 1 skipped", len(rows), st, err)
	}
	// An over-long line stops the reader even in skip mode, as in CSV.
	opt.MaxLineBytes = 40
	_, _, err = readLog(t, cdnowSample+" "+strings.Repeat("1", 50)+"\n"+cdnowSample, sampleCols, opt)
	wantLineError(t, err, "s.txt", 4, "", "line longer than 40 bytes")
	if !errors.Is(err, ErrLineTooLong) {
		t.Errorf("got %v; want ErrLineTooLong", err)
	}
}

func TestHeaderFields(t *testing.T) {
	tests := []struct {
		line string
		f    InputFormat
		want string
	}{
		{" customer_id  date number_of_cds  dollar_value\r\n", FormatSSV, "customer_id|date|number_of_cds|dollar_value"},
		{"\ufeffa, b ,\"c,d\"\n", FormatCSV, "a|b|c,d"},
		{"a\tb\r", FormatTSV, "a|b"},
		{"  \t ", FormatSSV, ""},
	}
	for _, tc := range tests {
		if got := strings.Join(HeaderFields([]byte(tc.line), tc.f), "|"); got != tc.want {
			t.Errorf("HeaderFields(%q, %v): got %q; want %q", tc.line, tc.f, got, tc.want)
		}
	}
}

func TestFormatNames(t *testing.T) {
	for _, f := range []InputFormat{FormatFIMI, FormatSPMF, FormatCSV, FormatTSV, FormatSSV} {
		got, err := ParseFormat(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q): got %v, %v; want %v", f.String(), got, err, f)
		}
		if want := f == FormatCSV || f == FormatTSV || f == FormatSSV; f.Log() != want {
			t.Errorf("%v.Log(): got %v; want %v", f, f.Log(), want)
		}
	}
	if _, err := ParseFormat("txt"); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("ParseFormat(txt): got %v; want ErrUnknownFormat", err)
	}
	if (Columns{Amount: "a"}).Monetary() != true || (Columns{Quantity: "q"}).Monetary() {
		t.Error("got Monetary wrong: an amount is a money value, a quantity alone is not")
	}
}
