package format

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/quarrydata/quarry/algorithms/itemsets"
	"github.com/quarrydata/quarry/algorithms/rules"
	"github.com/quarrydata/quarry/algorithms/sequences"
)

// OutputFormat names a text format that results are written in.
type OutputFormat string

// The output formats.
const (
	// JSONLines writes one JSON object per pattern, with named fields.
	JSONLines OutputFormat = "json"
	// SPMF writes SPMF's text format ("1 2 3 #SUP: 42"), which diffs
	// cleanly against SPMF's own output.
	SPMF OutputFormat = "spmf"
	// Text writes one readable line per pattern, with item descriptions
	// where the input has them: for people, not for programs.
	Text OutputFormat = "text"
)

// ParseOutputFormat reads an --output-format value.
func ParseOutputFormat(s string) (OutputFormat, error) {
	switch OutputFormat(strings.ToLower(s)) {
	case JSONLines, "jsonl":
		return JSONLines, nil
	case SPMF:
		return SPMF, nil
	case Text:
		return Text, nil
	}
	return "", fmt.Errorf("unknown output format %q (want json, spmf or text)", s)
}

// ItemNames maps the kernels' item ids back to the names users know. With
// NumericItems (FIMI and SPMF inputs, whose ids are the file's own integers)
// SPMF output writes the ids themselves; with any other ItemNames it writes
// id+1 and a "@CONVERTED_FROM_TEXT" header of "@ITEM=id=name" lines, as SPMF
// does for text input, so that items stay in ascending order within a line.
type ItemNames interface {
	Name(id uint32) string
}

// Describer is implemented by ItemNames that know a description of each
// item (a product name), used by the text format.
type Describer interface {
	Description(id uint32) string
}

// NumericItems names each item by its decimal id: the names of FIMI and SPMF
// inputs, whose items are integers already.
type NumericItems struct{}

// Name returns id in decimal.
func (NumericItems) Name(id uint32) string { return strconv.FormatUint(uint64(id), 10) }

// PatternWriter writes mining results in one output format. Call Close to
// flush; the underlying writer is not closed.
type PatternWriter struct {
	w      *bufio.Writer
	format OutputFormat
	names  ItemNames
	n      int // database size, for relative supports in JSON
	header bool
}

// NewPatternWriter returns a writer of results over a database of n
// transactions or sequences.
func NewPatternWriter(w io.Writer, f OutputFormat, names ItemNames, n int) *PatternWriter {
	if names == nil {
		names = NumericItems{}
	}
	return &PatternWriter{w: bufio.NewWriterSize(w, 1<<16), format: f, names: names, n: n}
}

// Close flushes buffered output.
func (pw *PatternWriter) Close() error { return pw.w.Flush() }

func (pw *PatternWriter) numeric() bool {
	_, ok := pw.names.(NumericItems)
	return ok
}

// spmfID returns the token SPMF output uses for an item.
func (pw *PatternWriter) spmfID(id uint32) string {
	if pw.numeric() {
		return pw.names.Name(id)
	}
	return strconv.FormatUint(uint64(id)+1, 10)
}

// writeSPMFHeader writes the item dictionary once, when item names are not
// integers, in SPMF's converted-from-text form. used lists the items that
// occur in the output.
func (pw *PatternWriter) writeSPMFHeader(used func(func(uint32))) error {
	if pw.header || pw.numeric() {
		return nil
	}
	pw.header = true
	seen := map[uint32]bool{}
	var ids []uint32
	used(func(id uint32) {
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	})
	sortIDs(ids)
	if _, err := pw.w.WriteString("@CONVERTED_FROM_TEXT\n"); err != nil {
		return err
	}
	for _, id := range ids {
		name := strings.NewReplacer("\n", " ", "\r", " ").Replace(pw.names.Name(id))
		if _, err := fmt.Fprintf(pw.w, "@ITEM=%d=%s\n", id+1, name); err != nil {
			return err
		}
	}
	return nil
}

func sortIDs(ids []uint32) {
	for i := 1; i < len(ids); i++ {
		for j := i; j > 0 && ids[j] < ids[j-1]; j-- {
			ids[j], ids[j-1] = ids[j-1], ids[j]
		}
	}
}

func (pw *PatternWriter) nameList(items []uint32) []string {
	out := make([]string, len(items))
	for i, id := range items {
		out[i] = pw.names.Name(id)
	}
	return out
}

func (pw *PatternWriter) spmfItems(items []uint32) {
	for i, id := range items {
		if i > 0 {
			pw.w.WriteByte(' ')
		}
		pw.w.WriteString(pw.spmfID(id))
	}
}

// textItems writes "{a, b}" with each item's description when known.
func (pw *PatternWriter) textItems(items []uint32) {
	d, _ := pw.names.(Describer)
	pw.w.WriteByte('{')
	for i, id := range items {
		if i > 0 {
			pw.w.WriteString(", ")
		}
		name := pw.names.Name(id)
		if d != nil {
			if desc := d.Description(id); desc != "" && desc != name {
				name = desc + " (" + name + ")"
			}
		}
		pw.w.WriteString(name)
	}
	pw.w.WriteByte('}')
}

func (pw *PatternWriter) textSupport(count int) {
	fmt.Fprintf(pw.w, "support %d (%.2f%%)", count, 100*pw.relative(count))
}

func (pw *PatternWriter) relative(count int) float64 {
	if pw.n == 0 {
		return 0
	}
	return float64(count) / float64(pw.n)
}

func (pw *PatternWriter) writeJSON(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	pw.w.Write(b)
	return pw.w.WriteByte('\n')
}

type itemsetJSON struct {
	Items           []string `json:"items"`
	Support         int      `json:"support"`
	RelativeSupport float64  `json:"relative_support"`
}

// Itemsets writes frequent itemsets in the order given.
func (pw *PatternWriter) Itemsets(sets []itemsets.Itemset) error {
	if pw.format == SPMF {
		if err := pw.writeSPMFHeader(func(f func(uint32)) {
			for _, s := range sets {
				for _, id := range s.Items {
					f(id)
				}
			}
		}); err != nil {
			return err
		}
		for _, s := range sets {
			pw.spmfItems(s.Items)
			fmt.Fprintf(pw.w, " #SUP: %d\n", s.Support)
		}
		return nil
	}
	if pw.format == Text {
		for _, s := range sets {
			pw.textItems(s.Items)
			pw.w.WriteString("  ")
			pw.textSupport(s.Support)
			pw.w.WriteByte('\n')
		}
		return nil
	}
	for _, s := range sets {
		if err := pw.writeJSON(itemsetJSON{pw.nameList(s.Items), s.Support, pw.relative(s.Support)}); err != nil {
			return err
		}
	}
	return nil
}

type ruleJSON struct {
	Antecedent        []string `json:"antecedent"`
	Consequent        []string `json:"consequent"`
	Support           int      `json:"support"`
	RelativeSupport   float64  `json:"relative_support"`
	AntecedentSupport int      `json:"antecedent_support"`
	ConsequentSupport int      `json:"consequent_support"`
	Confidence        float64  `json:"confidence"`
	Lift              float64  `json:"lift"`
	Leverage          float64  `json:"leverage"`
	// Conviction is null when it is infinite (confidence 1).
	Conviction *float64 `json:"conviction"`
}

// Rules writes association rules in the order given. In SPMF format a rule
// reads "1 2 ==> 3 #SUP: 42 #CONF: 0.5 #LIFT: 1.7"; in JSON an infinite
// conviction (confidence 1) is written as null.
func (pw *PatternWriter) Rules(rs []rules.Rule) error {
	if pw.format == SPMF {
		if err := pw.writeSPMFHeader(func(f func(uint32)) {
			for _, r := range rs {
				for _, id := range r.Antecedent {
					f(id)
				}
				for _, id := range r.Consequent {
					f(id)
				}
			}
		}); err != nil {
			return err
		}
		for _, r := range rs {
			pw.spmfItems(r.Antecedent)
			pw.w.WriteString(" ==> ")
			pw.spmfItems(r.Consequent)
			fmt.Fprintf(pw.w, " #SUP: %d #CONF: %s #LIFT: %s\n", r.Support, formatMeasure(r.Confidence), formatMeasure(r.Lift))
		}
		return nil
	}
	if pw.format == Text {
		for _, r := range rs {
			pw.textItems(r.Antecedent)
			pw.w.WriteString(" => ")
			pw.textItems(r.Consequent)
			pw.w.WriteString("\n    ")
			pw.textSupport(r.Support)
			fmt.Fprintf(pw.w, "  confidence %.3f  lift %.2f  leverage %.4f\n", r.Confidence, r.Lift, r.Leverage)
		}
		return nil
	}
	for _, r := range rs {
		var conv *float64
		if !math.IsInf(r.Conviction, 0) && !math.IsNaN(r.Conviction) {
			c := r.Conviction
			conv = &c
		}
		if err := pw.writeJSON(ruleJSON{
			Antecedent: pw.nameList(r.Antecedent), Consequent: pw.nameList(r.Consequent),
			Support: r.Support, RelativeSupport: pw.relative(r.Support),
			AntecedentSupport: r.AntecedentSupport, ConsequentSupport: r.ConsequentSupport,
			Confidence: r.Confidence, Lift: r.Lift, Leverage: r.Leverage, Conviction: conv,
		}); err != nil {
			return err
		}
	}
	return nil
}

// formatMeasure prints a rule measure with up to six decimals and no
// trailing zeros, as SPMF's output is compared after rounding.
func formatMeasure(v float64) string {
	s := strconv.FormatFloat(v, 'f', 6, 64)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

type sequenceJSON struct {
	Elements        [][]string `json:"elements"`
	Support         int        `json:"support"`
	RelativeSupport float64    `json:"relative_support"`
}

// Sequences writes sequential patterns in the order given. In SPMF format a
// pattern reads "1 -1 2 3 -1 #SUP: 7".
func (pw *PatternWriter) Sequences(ps []sequences.Pattern) error {
	if pw.format == SPMF {
		if err := pw.writeSPMFHeader(func(f func(uint32)) {
			for _, p := range ps {
				for _, e := range p.Elements {
					for _, id := range e {
						f(id)
					}
				}
			}
		}); err != nil {
			return err
		}
		for _, p := range ps {
			for _, e := range p.Elements {
				pw.spmfItems(e)
				pw.w.WriteString(" -1 ")
			}
			fmt.Fprintf(pw.w, "#SUP: %d\n", p.Support)
		}
		return nil
	}
	if pw.format == Text {
		for _, p := range ps {
			for i, e := range p.Elements {
				if i > 0 {
					pw.w.WriteString(" -> ")
				}
				pw.textItems(e)
			}
			pw.w.WriteString("  ")
			pw.textSupport(p.Support)
			pw.w.WriteByte('\n')
		}
		return nil
	}
	for _, p := range ps {
		els := make([][]string, len(p.Elements))
		for i, e := range p.Elements {
			els[i] = pw.nameList(e)
		}
		if err := pw.writeJSON(sequenceJSON{els, p.Support, pw.relative(p.Support)}); err != nil {
			return err
		}
	}
	return nil
}
