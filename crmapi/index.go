package crmapi

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/quarrydata/quarry/algorithms/sequences"
	"github.com/quarrydata/quarry/jobs"
	"github.com/quarrydata/quarry/storage/objstore"
)

// ruleJSON is one line of rules.jsonl.
type ruleJSON struct {
	Antecedent      []string `json:"antecedent"`
	Consequent      []string `json:"consequent"`
	Support         int      `json:"support"`
	RelativeSupport float64  `json:"relative_support"`
	Confidence      float64  `json:"confidence"`
	Lift            float64  `json:"lift"`
}

// sequenceJSON is one line of sequences.jsonl.
type sequenceJSON struct {
	Elements        [][]string `json:"elements"`
	Support         int        `json:"support"`
	RelativeSupport float64    `json:"relative_support"`
}

// loadRules reads rules.jsonl and indexes the rules by the smallest item
// of their antecedent (to fire them on a basket) and by every item on
// either side (associations). Rules keep the file's canonical order.
func (m *Model) loadRules(ctx context.Context, b objstore.Bucket, p *jobs.ModelPart) error {
	o, err := object(p, "rules.jsonl")
	if err != nil {
		return err
	}
	data, err := readVerified(ctx, b, o)
	if err != nil {
		return err
	}
	m.rulesN = p.Records
	m.rules = make([]rule, 0, o.Count)
	var arena idArena
	err = eachLineFast(o.Key, data, func(l []byte) bool {
		var r rule
		if !m.fastRule(l, &arena, &r) {
			return false
		}
		m.rules = append(m.rules, r)
		return true
	}, func(r *ruleJSON) error {
		if len(r.Antecedent) == 0 || len(r.Consequent) == 0 {
			return fmt.Errorf("%w: rule with an empty side", ErrInvalidModel)
		}
		ant, err := m.ids(r.Antecedent)
		if err != nil {
			return err
		}
		cons, err := m.ids(r.Consequent)
		if err != nil {
			return err
		}
		m.rules = append(m.rules, rule{ant: ant, cons: cons, support: r.Support, relSupport: r.RelativeSupport, confidence: r.Confidence, lift: r.Lift})
		return nil
	})
	if err != nil {
		return err
	}
	m.ruleByFirst = newPostings(len(m.items), func(add func(key, id int32)) {
		for i := range m.rules {
			add(m.rules[i].ant[0], int32(i))
		}
	})
	m.rulesByItem = newPostings(len(m.items), func(add func(key, id int32)) {
		for i := range m.rules {
			r := &m.rules[i]
			for _, it := range r.ant {
				add(it, int32(i))
			}
			for _, it := range r.cons {
				if !slices.Contains(r.ant, it) {
					add(it, int32(i))
				}
			}
		}
	})
	return nil
}

// postings are lists of ids by item, in one array: the lists of item i
// are ids[start[i]:start[i+1]]. Unlike a map of slices, a lookup is two
// loads and the garbage collector has no pointers to follow.
type postings struct {
	start []int32
	ids   []int32
}

// newPostings builds the postings of n items from each, which calls add
// for every (item, id) pair, ids in the order the lists keep; it is
// called twice (counting, then filling).
func newPostings(n int, each func(add func(key, id int32))) postings {
	start := make([]int32, n+1)
	each(func(key, _ int32) { start[key+1]++ })
	for i := 1; i <= n; i++ {
		start[i] += start[i-1]
	}
	ids := make([]int32, start[n])
	next := slices.Clone(start[:n])
	each(func(key, id int32) {
		ids[next[key]] = id
		next[key]++
	})
	return postings{start: start, ids: ids}
}

// of returns the ids listed under item it.
func (p *postings) of(it int32) []int32 {
	if it < 0 || int(it)+1 >= len(p.start) {
		return nil
	}
	return p.ids[p.start[it]:p.start[it+1]]
}

// seqKey is a map key for a list of elements.
func seqKey(elements [][]int32) string {
	var sb strings.Builder
	for _, e := range elements {
		for _, it := range e {
			sb.WriteString(strconv.Itoa(int(it)))
			sb.WriteByte(',')
		}
		sb.WriteByte('|')
	}
	return sb.String()
}

// loadSequences reads sequences.jsonl and the time constraints of the
// sequences job, and keeps every pattern of two or more elements as a rule
// "prefix ⇒ last element" with confidence support(pattern) /
// support(prefix) and lift confidence / (support(⟨last⟩) / N). Patterns
// are indexed by the first item of their first element.
func (m *Model) loadSequences(ctx context.Context, b objstore.Bucket, p *jobs.ModelPart) error {
	rm, err := jobs.LoadResult(ctx, b, p.Job)
	if err != nil {
		return fmt.Errorf("sequences job %s: %w", p.Job, err)
	}
	sp := rm.Spec.Sequences
	if sp == nil {
		return fmt.Errorf("sequences job %s: %w: no sequences spec", p.Job, ErrInvalidModel)
	}
	if m.seqUnit, err = jobs.ParseTimeUnit(sp.TimeUnit); err != nil {
		return fmt.Errorf("sequences job %s: %w: %w", p.Job, ErrInvalidModel, err)
	}
	m.seqOpt = sequences.Options{MinGap: sp.MinGap, MaxGap: sp.MaxGap, MaxWindow: sp.MaxWindow}
	o, err := object(p, "sequences.jsonl")
	if err != nil {
		return err
	}
	data, err := readVerified(ctx, b, o)
	if err != nil {
		return err
	}
	m.seqN = p.Records
	support := make(map[string]int)
	var all []seqRule
	err = eachLine(o.Key, data, func(s *sequenceJSON) error {
		if len(s.Elements) == 0 {
			return fmt.Errorf("%w: empty pattern", ErrInvalidModel)
		}
		r := seqRule{elements: make([][]int32, len(s.Elements)), support: s.Support, relSupport: s.RelativeSupport}
		for i, e := range s.Elements {
			if len(e) == 0 {
				return fmt.Errorf("%w: empty element", ErrInvalidModel)
			}
			if r.elements[i], err = m.ids(e); err != nil {
				return err
			}
		}
		support[seqKey(r.elements)] = s.Support
		all = append(all, r)
		return nil
	})
	if err != nil {
		return err
	}
	for _, r := range all {
		n := len(r.elements)
		if n < 2 {
			continue
		}
		if ps := support[seqKey(r.elements[:n-1])]; ps > 0 {
			r.confidence = float64(r.support) / float64(ps)
		}
		if ls := support[seqKey(r.elements[n-1:])]; ls > 0 && m.seqN > 0 {
			r.lift = r.confidence / (float64(ls) / float64(m.seqN))
		}
		m.seqs = append(m.seqs, r)
	}
	m.seqByHead = newPostings(len(m.items), func(add func(key, id int32)) {
		for i := range m.seqs {
			add(m.seqs[i].elements[0][0], int32(i))
		}
	})
	return nil
}
