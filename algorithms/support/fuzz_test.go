package support

import (
	"errors"
	"testing"
)

// FuzzParse checks the minimum support parser: an error wrapping
// ErrInvalid, or a valid threshold that prints back to itself and whose
// count for any database is at least 1 and, for a fraction, at most the
// database size.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"0.01", "0.07", "1", "25", "0.5", "1e-300", "0.9999999999999999", "2147483647", "2147483648",
		"1.5", "0", "-0.1", "NaN", "Inf", "0x1p-3", "1_000", " 0.1", "1e308", "4.9e-324"} {
		f.Add(s, 100)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		th, err := Parse(s)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("Parse(%q): got error %v; want one wrapping ErrInvalid", s, err)
			}
			return
		}
		if !th.Valid() {
			t.Fatalf("Parse(%q) = %v, not valid", s, th)
		}
		back, err := Parse(th.String())
		if err != nil || back.String() != th.String() || back.IsFraction() != th.IsFraction() {
			t.Fatalf("Parse(%q) prints as %q, which parses to %v, %v", s, th.String(), back, err)
		}
		n = max(n%1_000_000_000, -n%1_000_000_000) // any size, within int64 products
		c := th.MinCount(n)
		if c < 1 || th.IsFraction() && n >= 1 && c > n {
			t.Fatalf("Parse(%q).MinCount(%d) = %d; want within [1, %d]", s, n, c, n)
		}
		if th.IsFraction() && back.MinCount(n) != c {
			t.Fatalf("Parse(%q).MinCount(%d) = %d but its printed form gives %d", s, n, c, back.MinCount(n))
		}
	})
}
