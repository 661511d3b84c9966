package format

import (
	"bytes"
	"errors"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// The seeds are a few lines of each shared dataset, plus edge cases.

func FuzzFIMI(f *testing.F) {
	for _, s := range []string{
		"\n0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 \n30 31 32 \n",
		"1 3 9 13 23 25 34 36 38 40 52 54 59 63 67 76 85 86 90 93 98 107 113 \n",
		"25 52 164 240 274 328 368 448 538 561 630 687 730 775 825 834 \r\n39 120 124 205 401 581 704 814 825 834 ",
		"1 2\n3 x\n-1\n4294967296\n\t\t\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, skip := range []bool{false, true} {
			got, st, err := ReadFIMI(bytes.NewReader(in), Options{Name: "f.dat", MaxLineBytes: 64, SkipBadLines: skip})
			if err != nil {
				var le *LineError
				if !errors.As(err, &le) || le.Line < 1 || le.Object != "f.dat" {
					t.Fatalf("got error %v; want a *LineError with a line", err)
				}
				if skip {
					t.Fatalf("got error %v in skip mode", err)
				}
				continue
			}
			if len(got) != st.Records || st.Records+st.Skipped > st.Lines {
				t.Fatalf("got %d baskets, stats %+v; inconsistent", len(got), st)
			}
			if n := bytes.Count(in, []byte("\n")); st.Lines < n || st.Lines > n+1 {
				t.Fatalf("got %d lines for %d newlines", st.Lines, n)
			}
		}
	})
}

func FuzzSPMF(f *testing.F) {
	for _, s := range []string{
		"1 -1 1 2 3 -1 1 3 -1 4 -1 3 6 -1 -2\n1 4 -1 3 -1 2 3 -1 1 5 -1 -2\n5 6 -1 1 2 -1 4 6 -1 3 -1 2 -1 -2\n5 -1 7 -1 1 6 -1 3 -1 2 -1 3 -1 -2",
		"<0> 1 -1 <1> 1 2 3 -1 -2\n",
		"@CONVERTED_FROM_TEXT\n@ITEM=1=apple\n# c\n1 -1 -2\n<3> 2 -1 <1> 3 -1 -2\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		got, st, err := ReadSPMFSequences(bytes.NewReader(in), Options{MaxLineBytes: 128, SkipBadLines: true})
		if err != nil {
			t.Fatalf("got error %v in skip mode", err)
		}
		if len(got) != st.Records {
			t.Fatalf("got %d sequences, %d records", len(got), st.Records)
		}
		for _, seq := range got {
			for i, e := range seq {
				if len(e.Items) == 0 || !slices.IsSorted(e.Items) || len(slices.Compact(slices.Clone(e.Items))) != len(e.Items) {
					t.Fatalf("got event %v; want non-empty, sorted, deduplicated items", e)
				}
				if i > 0 && e.Time <= seq[i-1].Time {
					t.Fatalf("got times %d then %d; want strictly increasing", seq[i-1].Time, e.Time)
				}
			}
		}
	})
}

func FuzzCSVLog(f *testing.F) {
	for _, s := range []string{
		retailHeader + "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,01/12/2010 08:26,2.55,17850,United Kingdom\n" +
			"536381,82567,\"AIRLINE LOUNGE,METAL SIGN\",2,01/12/2010 09:41,2.1,15311,United Kingdom\n" +
			"C536379,D,Discount,-1,01/12/2010 09:41,27.5,14527,United Kingdom\n539650,84347,R",
		"InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID\r\n1,a,\"x\"\"y\",NaN,2010-12-01,1,\r\n",
		"InvoiceNo,StockCode\n1,a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		lr, err := NewCSVLogReader(bytes.NewReader(in), DefaultColumns(), LogOptions{Options: Options{MaxLineBytes: 256, SkipBadLines: true}})
		if err != nil {
			return // a bad header is an error, not a panic
		}
		for {
			r, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrLineTooLong) {
					t.Fatalf("got error %v in skip mode; only an over-long line may stop it", err)
				}
				break
			}
			if r.Item == "" || r.Order == "" || math.IsNaN(r.Quantity) || math.IsInf(r.Price, 0) {
				t.Fatalf("got invalid row %+v", r)
			}
			if r.Time.Year() < 1970 || r.Time.Year() >= 2200 {
				t.Fatalf("got time %v outside 1970–2200", r.Time)
			}
			if r.Return != (strings.HasPrefix(r.Order, "C") || r.Quantity < 0) {
				t.Fatalf("got Return %v for %+v", r.Return, r)
			}
		}
	})
}

// FuzzSSVLog reads whitespace-separated logs in the two CDNOW shapes, with
// a header by name and without one by position, in skip mode: only an
// over-long line may stop it, every row has a customer-day order and a
// finite amount stored as ±1 × a non-negative price, and a return is
// exactly a negative quantity.
func FuzzSSVLog(f *testing.F) {
	for _, s := range []string{
		cdnowMaster + " 00004 19970101  2   29.33\r\n 00005 19970101  2  -1\r\n",
		cdnowSample + "\n\t \n 00022 0003 19970101 3 1\r\n 00023 0003 1997-01-05 1 x\r\n",
		"a b\n\"x y\" 1\n1 2 3\n",
		"1 2 3 4 5\n00001 0001 20251231 1 1e308\n",
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, in []byte, headerless bool) {
		cols, opt := masterCols, LogOptions{Whitespace: true, Options: Options{MaxLineBytes: 128, SkipBadLines: true}}
		if headerless {
			cols, opt.NoHeader = sampleCols, true
		}
		lr, err := NewCSVLogReader(bytes.NewReader(in), cols, opt)
		if err != nil {
			var ce *ColumnError
			if !errors.As(err, &ce) && !errors.Is(err, ErrLineTooLong) && !strings.Contains(err.Error(), "not in the header") {
				t.Fatalf("got error %v; want a column error, an over-long line or a missing header name", err)
			}
			return
		}
		for {
			r, err := lr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				if !errors.Is(err, ErrLineTooLong) {
					t.Fatalf("got error %v in skip mode; only an over-long line may stop it", err)
				}
				break
			}
			if r.Order != r.Customer+"|"+r.Time.Format(time.RFC3339Nano) {
				t.Fatalf("got order %q for customer %q at %v; want the customer-day", r.Order, r.Customer, r.Time)
			}
			if math.Abs(r.Quantity) != 1 || r.Price < 0 || math.IsInf(r.Price, 0) || math.IsNaN(r.Price) || math.Signbit(r.Price) {
				t.Fatalf("got quantity %v price %v; want ±1 × a finite non-negative amount", r.Quantity, r.Price)
			}
			if r.Return != (r.Quantity < 0) || strings.ContainsAny(r.Customer, " \t") {
				t.Fatalf("got row %+v; want a return exactly for a negative amount, no blank in an id", r)
			}
		}
	})
}

func FuzzNumericCSV(f *testing.F) {
	for _, s := range []string{"x,y\n1,2\n3,4.5\n", "1,2\n,3\n", "a\nNaN\n1e308\n1e309\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		data, cols, header, st, err := ReadNumericCSV(bytes.NewReader(in), Options{MaxLineBytes: 256, SkipBadLines: true})
		if err != nil {
			return
		}
		if cols > 0 && len(data) != st.Records*cols || (header != nil && len(header) != cols) {
			t.Fatalf("got %d values, %d columns, %d records, header %v", len(data), cols, st.Records, header)
		}
		for _, v := range data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("got non-finite value %v", v)
			}
		}
	})
}
