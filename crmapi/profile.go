package crmapi

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/quarrydata/quarry/algorithms/features"
)

// The lifecycle stages of a customer.
const (
	StageNew       = "new"
	StageGrowing   = "growing"
	StageMature    = "mature"
	StageDeclining = "declining"
	StageLapsed    = "lapsed"
)

// ChurnRule names the rule that computes churn risk.
const ChurnRule = "recency-over-gap/1"

// tenure returns the days from c's first purchase to the model's
// reference time.
func (m *Model) tenure(c *customer) float64 {
	if c.first < 0 {
		return 0
	}
	return float64(m.now-c.first) / features.SecondsPerDay
}

// lifecycle returns c's stage, tested in this order against the dataset
// span S (days from its first to its last purchase, at least 1):
// lapsed when recency > S/2, declining when recency > S/4, new when
// tenure ≤ S/8, mature when the F score is 4 or 5, growing otherwise.
func (m *Model) lifecycle(c *customer) string {
	switch {
	case c.recency > m.span/2:
		return StageLapsed
	case c.recency > m.span/4:
		return StageDeclining
	case m.tenure(c) <= m.span/8:
		return StageNew
	case c.f >= 4:
		return StageMature
	}
	return StageGrowing
}

// meanGap returns the mean days between c's orders with a sale, known for
// customers with two or more (at least one day).
func (c *customer) meanGap(now int64) (float64, bool) {
	if c.frequency < 2 || c.first < 0 {
		return 0, false
	}
	span := float64(now-c.first)/features.SecondsPerDay - c.recency
	return max(span/(c.frequency-1), 1), true
}

// Churn is a churn-risk assessment and how it was computed.
type Churn struct {
	Score float64 `json:"score"`
	Level string  `json:"level"`
	Rule  string  `json:"rule"`
	// Explanation gives the figures the rule used.
	Explanation string `json:"explanation"`
}

// churn applies ChurnRule: x = recency / expected gap, where the expected
// gap is the customer's mean gap between orders (two or more orders) or
// the median of those gaps over all repeat customers; score = x / (1 + x),
// so a customer as overdue as one usual gap scores 0.5. Levels: low below
// 0.5, medium below 0.75, high from 0.75.
func (m *Model) churn(c *customer) Churn {
	f := m.churnFigures(c)
	return Churn{Score: f.score, Level: f.level, Rule: ChurnRule,
		Explanation: fmt.Sprintf("recency %.1f d / expected gap %.1f d (%s) = %.2f; score = x/(1+x)", c.recency, f.gap, f.source, f.x)}
}

// churnFigures are the figures of ChurnRule for one customer.
type churnFigures struct {
	gap    float64 // expected gap, days
	source string  // where the gap comes from
	x      float64 // recency / gap
	score  float64
	level  string
}

// churnFigures computes ChurnRule for c.
func (m *Model) churnFigures(c *customer) churnFigures {
	g, own := c.meanGap(m.now)
	src := "own mean gap"
	if !own {
		g, src = m.medianGap, "median gap of repeat customers"
	}
	x := c.recency / g
	score := math.Round(x/(1+x)*1000) / 1000
	level := "low"
	switch {
	case score >= 0.75:
		level = "high"
	case score >= 0.5:
		level = "medium"
	}
	return churnFigures{gap: g, source: src, x: x, score: score, level: level}
}

// appendChurnExplanation appends the explanation of f, the text churn
// formats with fmt (%.1f is strconv's 'f' at precision 1).
func appendChurnExplanation(b []byte, recency float64, f *churnFigures) []byte {
	b = append(b, "recency "...)
	b = strconv.AppendFloat(b, recency, 'f', 1, 64)
	b = append(b, " d / expected gap "...)
	b = strconv.AppendFloat(b, f.gap, 'f', 1, 64)
	b = append(b, " d ("...)
	b = append(b, f.source...)
	b = append(b, ") = "...)
	b = strconv.AppendFloat(b, f.x, 'f', 2, 64)
	return append(b, "; score = x/(1+x)"...)
}

// Centroid feature names in segments.json.
const (
	colRecency   = "recency_days"
	colFrequency = "frequency_orders"
	colMonetary  = "monetary"
)

// labelSegments names each segment from its centroid against the medians
// of all customers (see segmentLabel).
func (m *Model) labelSegments(t features.Table) {
	med := func(v []float64) float64 {
		if len(v) == 0 {
			return 0
		}
		s := slices.Clone(v)
		slices.Sort(s)
		return s[len(s)/2]
	}
	mr, mf, mm := med(t.Recency), med(t.Frequency), med(t.Monetary)
	for i := range m.segments {
		m.segments[i].Label = segmentLabel(m.segments[i].Centroid, mr, mf, mm)
	}
}

// segmentLabel derives a readable label from a centroid in the log's
// units, given the medians of all customers' recency mr, frequency mf and
// monetary value mm. Value: "high value" when monetary ≥ 1.5 mm, "low
// value" when ≤ mm / 1.5, else "mid value" (with mm ≤ 0: high when
// positive, low otherwise). Frequency: "frequent" when ≥ max(1.5 mf,
// mf + 1), "one-time" when below 1.5 orders, else "occasional". Recency,
// only when far from the median: "recent" when ≤ mr / 2, "lapsing" when
// ≥ 2 mr. Parts are joined with ", ".
func segmentLabel(c map[string]float64, mr, mf, mm float64) string {
	var parts []string
	mon := c[colMonetary]
	switch {
	case mm <= 0 && mon > 0, mm > 0 && mon >= 1.5*mm:
		parts = append(parts, "high value")
	case mm <= 0, mon <= mm/1.5:
		parts = append(parts, "low value")
	default:
		parts = append(parts, "mid value")
	}
	switch f := c[colFrequency]; {
	case f >= max(1.5*mf, mf+1):
		parts = append(parts, "frequent")
	case f < 1.5:
		parts = append(parts, "one-time")
	default:
		parts = append(parts, "occasional")
	}
	switch r := c[colRecency]; {
	case r <= mr/2:
		parts = append(parts, "recent")
	case r >= 2*mr:
		parts = append(parts, "lapsing")
	}
	return strings.Join(parts, ", ")
}

// bestSellers ranks items per segment (and overall) by the number of the
// segment's customers who bought them, ties by item id.
func (m *Model) bestSellers() {
	counts := make([]map[int32]int, len(m.segments))
	for i := range counts {
		counts[i] = map[int32]int{}
	}
	overall := map[int32]int{}
	seen := map[uint32]bool{}
	for _, c := range m.customers {
		clear(seen)
		for _, e := range c.history {
			for _, it := range e.Items {
				if seen[it] {
					continue
				}
				seen[it] = true
				overall[int32(it)]++
				if c.segment >= 0 {
					counts[c.segment][int32(it)]++
				}
			}
		}
	}
	for i := range m.segments {
		m.segments[i].best = topItems(counts[i])
	}
	m.overall = topItems(overall)
}

func topItems(counts map[int32]int) []itemCount {
	out := make([]itemCount, 0, len(counts))
	for it, n := range counts {
		out = append(out, itemCount{it, n})
	}
	slices.SortFunc(out, func(a, b itemCount) int {
		return cmp.Or(cmp.Compare(b.customers, a.customers), cmp.Compare(a.item, b.item))
	})
	return out[:min(len(out), bestSellers)]
}
