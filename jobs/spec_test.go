package jobs

import (
	"errors"
	"strings"
	"testing"
)

func TestParseSpec(t *testing.T) {
	cases := []struct {
		name, json, field string // field "" means valid
	}{
		{"itemsets", `{"type":"itemsets","dataset":"retail","itemsets":{"min_support":0.01,"kind":"closed","rules":{"min_confidence":0.5}}}`, ""},
		{"sequences", `{"type":"sequences","dataset":"orders","sequences":{"min_support":0.05,"max_gap":30,"time_unit":"day"}}`, ""},
		{"segments", `{"type":"segments","dataset":"orders","segments":{"k":5,"seed":7,"scale":"standard","tol":0}}`, ""},
		{"model", `{"type":"model","dataset":"orders","model":{"rules_job":"j1"}}`, ""},
		{"unknown field", `{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.1},"extra":1}`, "extra"},
		{"bad type", `{"type":"clusters","dataset":"r"}`, "type"},
		{"import", `{"type":"import","dataset":"r"}`, "type"},
		{"bad dataset", `{"type":"itemsets","dataset":"../x","itemsets":{"min_support":0.1}}`, "dataset"},
		{"no section", `{"type":"itemsets","dataset":"r"}`, "itemsets"},
		{"two sections", `{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.1},"segments":{"k":2}}`, "type"},
		{"support 0", `{"type":"itemsets","dataset":"r","itemsets":{"min_support":0}}`, "itemsets.min_support"},
		{"support 1.5", `{"type":"itemsets","dataset":"r","itemsets":{"min_support":1.5}}`, "itemsets.min_support"},
		{"kind", `{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.1,"kind":"open"}}`, "itemsets.kind"},
		{"confidence", `{"type":"itemsets","dataset":"r","itemsets":{"min_support":0.1,"rules":{"min_confidence":2}}}`, "itemsets.rules.min_confidence"},
		{"gap", `{"type":"sequences","dataset":"r","sequences":{"min_support":0.1,"min_gap":5,"max_gap":2}}`, "sequences.min_gap"},
		{"unit", `{"type":"sequences","dataset":"r","sequences":{"min_support":0.1,"time_unit":"fortnight"}}`, "sequences.time_unit"},
		{"k", `{"type":"segments","dataset":"r","segments":{"k":0}}`, "segments.k"},
		{"init", `{"type":"segments","dataset":"r","segments":{"k":3,"init":"kmeans++"}}`, "segments.init"},
		{"scale", `{"type":"segments","dataset":"r","segments":{"k":3,"scale":"log"}}`, "segments.scale"},
		{"model empty", `{"type":"model","dataset":"r","model":{}}`, "model"},
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
