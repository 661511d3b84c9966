package dataset

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"
)

// WriteSummary prints a manifest for people: what the version holds, its
// segments and its partitions.
func WriteSummary(w io.Writer, m *Manifest) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	p := func(k, format string, args ...any) {
		fmt.Fprintf(tw, "%s:\t"+format+"\n", append([]any{k}, args...)...)
	}
	p("dataset", "%s v%d", m.Name, m.Version)
	if m.Parent > 0 {
		p("appended to", "v%d", m.Parent)
	}
	p("created", "%s", m.Created.Format(time.RFC3339))
	p("kind", "%s (from %s)", m.Kind, m.Import.Format)
	c := m.Counts
	p("records", "%d (%d lines read, %d skipped)", c.Records, c.Lines, c.Skipped)
	if m.Kind == KindLog {
		p("orders", "%d", c.Orders)
		p("customers", "%d (%d rows without one)", c.Customers, c.NoCustomer)
		p("return rows", "%d", c.Returns)
		cols := m.Import.Columns
		p("columns", "customer=%q order=%q time=%q item=%q quantity=%q price=%q category=%q amount=%q", cols.Customer, cols.Order, cols.Time, cols.Item, cols.Quantity, cols.Price, cols.Category, cols.Amount)
		if m.Import.NoHeader {
			p("header", "none: columns are 1-based positions")
		}
		p("time layout", "%q, cancel prefix %q", m.Import.TimeLayout, m.Import.CancelPrefix)
	}
	if m.TimeRange != nil {
		p("time range", "%s to %s", m.TimeRange.Min.Format(time.RFC3339), m.TimeRange.Max.Format(time.RFC3339))
	}
	dict := "inline"
	if m.DictionaryObject != nil {
		dict = m.DictionaryObject.Key
	}
	if m.HasItems() {
		p("items", "%d (dictionary: %s)", m.NumItems, dict)
	} else {
		p("items", "none: imported without an item column (customer analyses only)")
	}
	if len(m.Categories) > 0 {
		p("categories", "%d", len(m.Categories))
	}
	p("partitioning", "%d per segment; %s", m.Partitioning.Partitions, m.Partitioning.Rule)
	for _, s := range m.Segments {
		var srcs []string
		for _, src := range s.Sources {
			srcs = append(srcs, fmt.Sprintf("%s (%d bytes)", src.URL, src.Size))
		}
		p(fmt.Sprintf("segment %d", s.ID), "v%d, %d records from %s", s.Version, s.Counts.Records, strings.Join(srcs, ", "))
		if s.Quarantine != nil {
			p("  quarantine", "%s (%d of %d skipped lines)", s.Quarantine.Key, s.Quarantine.Samples, s.Counts.Skipped)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "\nPARTITION\tSEGMENT\tBUCKET\tBYTES\tRECORDS\tROWS\tKEY\t")
	for i, pr := range m.Partitions {
		fmt.Fprintf(tw, "%d\t%d\t%d\t%d\t%d\t%d\t%s\t\n", i, pr.Segment, pr.Index, pr.Size, pr.Records, pr.Rows, pr.Key)
	}
	return tw.Flush()
}
