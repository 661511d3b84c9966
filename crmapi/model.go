package crmapi

import (
	"slices"
	"time"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/storage/dataset"
)

// Model is one loaded model version with its lookup indexes. It is
// immutable after Load and safe for concurrent use.
type Model struct {
	// Dataset and Version name the model; DatasetVersion is the dataset
	// version whose orders it serves; Job is the model job.
	Dataset        string
	Version        int
	DatasetVersion int
	Job            string

	items     []dataset.Item
	itemIndex map[string]int32

	rules       []rule
	rulesN      int      // transactions the rules were mined from
	ruleByFirst postings // antecedent's smallest item → rules
	rulesByItem postings // item on either side → rules

	seqs      []seqRule
	seqN      int      // sequences the patterns were mined from
	seqByHead postings // first item of the prefix's first element → patterns
	seqOpt    sequences.Options
	seqUnit   time.Duration

	segments  []Segment
	customers map[string]*customer
	bySegment [][]string // customer ids per segment, ascending
	overall   []itemCount
	now       int64 // reference time, Unix seconds: latest purchase + 1 day
	span      float64
	medianGap float64

	json jsonCache // pre-encoded catalogue and kept explanations
}

// rule is an association rule in catalogue indices.
type rule struct {
	ant, cons                    []int32
	support                      int
	relSupport, confidence, lift float64
}

// seqRule is a sequential pattern of two or more elements read as a rule
// "prefix ⇒ last element".
type seqRule struct {
	elements                     [][]int32
	support                      int
	relSupport, confidence, lift float64
}

// itemCount is an item and the number of customers who bought it.
type itemCount struct {
	item      int32
	customers int
}

// Segment is one customer segment as served.
type Segment struct {
	ID    int     `json:"id"`
	Label string  `json:"label"`
	Size  int     `json:"size"`
	Share float64 `json:"share"`
	// Centroid and Mean are in the log's units (days, orders, currency).
	Centroid map[string]float64 `json:"centroid"`
	Mean     map[string]float64 `json:"mean"`
	best     []itemCount
}

// customer is everything the API serves about one customer.
type customer struct {
	id                           string
	segment                      int // -1 without a segments result
	recency, frequency, monetary float64
	r, f, mScore                 int
	hasRFM                       bool
	first                        int64     // first purchase, Unix seconds
	orders                       []order   // last orders, newest first
	recent                       [][]int32 // items of the recent baskets, newest first
	history                      sequences.Sequence
}

// order is one past order.
type order struct {
	id     string
	time   int64 // Unix seconds
	cancel bool
	lines  []orderLine
}

type orderLine struct {
	item            int32
	quantity, price float64
}

// Items returns the number of items in the catalogue.
func (m *Model) Items() int { return len(m.items) }

// Rules returns the number of association rules.
func (m *Model) Rules() int { return len(m.rules) }

// Customers returns the number of customers with a profile.
func (m *Model) Customers() int { return len(m.customers) }

// Segments returns the segments, by id.
func (m *Model) Segments() []Segment { return slices.Clone(m.segments) }

func sortIDs(ids []int32) { slices.Sort(ids) }

// subset reports whether sorted a is contained in sorted b.
func subset(a, b []int32) bool {
	j := 0
	for _, x := range a {
		for j < len(b) && b[j] < x {
			j++
		}
		if j == len(b) || b[j] != x {
			return false
		}
		j++
	}
	return true
}
