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
	m.ruleByFirst = make(map[int32][]int32)
	m.rulesByItem = make(map[int32][]int32)
	for i, r := range m.rules {
		m.ruleByFirst[r.ant[0]] = append(m.ruleByFirst[r.ant[0]], int32(i))
		for _, it := range r.ant {
			m.rulesByItem[it] = append(m.rulesByItem[it], int32(i))
		}
		for _, it := range r.cons {
			if !slices.Contains(r.ant, it) {
				m.rulesByItem[it] = append(m.rulesByItem[it], int32(i))
			}
		}
	}
	return nil
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
	m.seqByHead = make(map[int32][]int32)
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
		m.seqByHead[r.elements[0][0]] = append(m.seqByHead[r.elements[0][0]], int32(len(m.seqs)))
		m.seqs = append(m.seqs, r)
	}
	return nil
}
