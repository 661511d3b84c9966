package jobs

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"time"
)

// FuzzParseSpec checks the job spec decoder: a spec is refused with an
// error wrapping ErrInvalidSpec, or it validates, re-encodes, and parses
// back to the same spec.
func FuzzParseSpec(f *testing.F) {
	for _, s := range []string{
		`{"type":"itemsets","dataset":"retail","version":0,"itemsets":{"min_support":0.01,"kind":"closed","max_size":4,"rules":{"min_confidence":0.5,"min_lift":1.2}}}`,
		`{"type":"sequences","dataset":"orders","sequences":{"min_support":0.02,"max_length":5,"min_gap":1,"max_gap":30,"max_window":90,"time_unit":"day"}}`,
		`{"type":"sequences","dataset":"o","sequences":{"min_support":25,"time_unit":"36h"}}`,
		`{"type":"segments","dataset":"orders","segments":{"k":5,"seed":1,"scale":"logstandard","tol":0}}`,
		`{"type":"model","dataset":"orders","model":{"rules_job":"j-1","segments_job":"j-3"}}`,
		`{"type":"import","dataset":"retail","import":{"sources":["raw/2010-12.csv.gz","raw/2011-01.csv"],"partitions":16,"skip_bad_lines":true,"split_size":67108864}}`,
		`{"type":"import","dataset":"retail","import":{"sources":["a.csv"],"append":true,"format":"csv"}}`,
		`{"type":"import","dataset":"r","import":{"sources":["../x"],"columns":{"item":""}}}`,
		`{"type":"itemsets","dataset":"r","itemsets":{"min_support":1.5}}`,
		`{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.1},"segments":{"k":1}}`,
		`{"type":"sequences","dataset":"r","sequences":{"min_support":0.1,"time_unit":"0.5s"}}`,
		`{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.1}} {}`,
		`{"type":"x","unknown":1}`, `null`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseSpec(data)
		if err != nil {
			if !errors.Is(err, ErrInvalidSpec) {
				t.Fatalf("ParseSpec(%q): got error %v; want one wrapping ErrInvalidSpec", data, err)
			}
			return
		}
		again, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("ParseSpec(%q) = %+v, which does not encode: %v", data, s, err)
		}
		back, err := ParseSpec(again)
		if err != nil {
			t.Fatalf("spec %s re-encoded from %q is refused: %v", again, data, err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Fatalf("spec %q round-trips to %+v; want %+v", data, back, s)
		}
	})
}

// FuzzParseTimeUnit checks the time unit of sequence constraints: a unit
// of at least one second, or an error.
func FuzzParseTimeUnit(f *testing.F) {
	for _, s := range []string{"", "second", "MIN", "h", "d", "week", "36h", "1.5h", "999s", "0.5s", "-1h", "1e9h", "9223372036s", "1ns"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseTimeUnit(s)
		if err == nil && d < time.Second {
			t.Fatalf("ParseTimeUnit(%q) = %v; want at least 1s or an error", s, d)
		}
	})
}
