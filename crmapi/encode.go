package crmapi

import (
	"strconv"
	"sync/atomic"
)

// Encoding a recommendation answer writes, per item, its pre-encoded
// catalogue fields and the explanation of its rule or pattern. A rule's
// explanation is the same whoever it is served to, so the first request
// that needs it encodes it and keeps the bytes for later ones (formatting
// its floats was most of the encoding's time); the kept bytes are bounded
// per model by explainMemoBytes, past which explanations are encoded on
// every request. Best-seller entries are encoded once at load.

// explainMemoBytes bounds the encoded explanations a model keeps.
const explainMemoBytes = 64 << 20

// itemJSON is an item's pre-encoded members: `"item":"<name>"` and, when
// it has a description, `,"name":"<description>"`; field[len(`"item":`):
// nameEnd] is the quoted name alone.
type itemJSON struct {
	field   string
	nameEnd int
}

// jsonCache holds what the encoders pre-encode or keep per model.
type jsonCache struct {
	items         []itemJSON
	versionHeader []string // the Quarry-Model-Version header's value
	rules         []atomic.Pointer[explained]
	seqs          []atomic.Pointer[explained]
	// bestTails are the pre-encoded members of best-seller
	// recommendations after the item's: by segment, the last entry for the
	// overall list, then by rank ("" when a share cannot be encoded).
	bestTails [][]string
	kept      atomic.Int64 // bytes of rules and seqs
}

// prepareJSON pre-encodes the catalogue for the encoders; Load calls it
// once the model is built.
func (m *Model) prepareJSON() {
	j := &m.json
	j.items = make([]itemJSON, len(m.items))
	var b []byte
	for i, it := range m.items {
		b = append(b[:0], `"item":`...)
		b = appendJSONString(b, it.Name)
		end := len(b)
		if it.Description != "" {
			b = append(b, `,"name":`...)
			b = appendJSONString(b, it.Description)
		}
		j.items[i] = itemJSON{field: string(b), nameEnd: end}
	}
	j.versionHeader = []string{strconv.Itoa(m.Version)}
	j.rules = make([]atomic.Pointer[explained], len(m.rules))
	j.seqs = make([]atomic.Pointer[explained], len(m.seqs))
	j.bestTails = make([][]string, len(m.segments)+1)
	for seg := range j.bestTails {
		best, src, size := m.overall, srcBestSeller, len(m.customers)
		if seg < len(m.segments) {
			best, src, size = m.segments[seg].best, srcSegmentBestSeller, m.segments[seg].Size
		} else {
			seg = -1
		}
		tails := make([]string, len(best))
		for i, bc := range best {
			c := candidate{item: bc.item, src: src, idx: int32(i), support: bc.customers, segment: seg}
			if size > 0 {
				c.conf = float64(bc.customers) / float64(size)
			}
			if t, ok := appendBestSellerTail(b[:0], &c); ok {
				tails[i] = string(t)
			}
		}
		j.bestTails[len(j.bestTails)-1] = tails
		if seg >= 0 {
			j.bestTails[seg] = tails
		}
	}
}

// bestSellerTail returns the pre-encoded tail of best-seller c, or "".
func (m *Model) bestSellerTail(c *candidate) string {
	seg := c.segment
	if seg < 0 {
		seg = len(m.json.bestTails) - 1
	}
	if seg >= len(m.json.bestTails) {
		return ""
	}
	tails := m.json.bestTails[seg]
	if int(c.idx) >= len(tails) {
		return ""
	}
	return tails[c.idx]
}

// appendBestSellerTail appends the members of best-seller recommendation
// c after the item's, and its closing brace.
func appendBestSellerTail(b []byte, c *candidate) ([]byte, bool) {
	b = append(b, `,"score":`...)
	confAt := len(b)
	b, ok := appendJSONFloat(b, c.conf)
	if !ok {
		return b, false
	}
	conf := b[confAt:]
	b = append(b, `,"source":"`...)
	b = append(b, c.src.String()...)
	b = append(b, `","explanation":{`...)
	if c.segment >= 0 {
		b = append(b, `"segment":`...)
		b = strconv.AppendInt(b, int64(c.segment), 10)
		b = append(b, ',')
	}
	b = append(b, `"support":`...)
	b = strconv.AppendInt(b, int64(c.support), 10)
	b = append(b, `,"relative_support":0,"confidence":`...)
	b = append(b, conf...)
	return append(b, `,"lift":0}}`...), true
}

// quotedName returns item it's name as a JSON string.
func (m *Model) quotedName(it int32) string {
	e := &m.json.items[it]
	return e.field[len(`"item":`):e.nameEnd]
}

// appendNames appends the names of ids as a JSON array.
func (m *Model) appendNames(b []byte, ids []int32) []byte {
	b = append(b, '[')
	for i, id := range ids {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, m.quotedName(id)...)
	}
	return append(b, ']')
}

// explained is an encoded Explanation and, within it, its confidence
// (which a recommendation also serves as its score).
type explained struct {
	json, conf string
}

// appendFigures appends the explanation members from support on, and
// the closing brace; confAt is where the confidence starts.
func appendFigures(b []byte, support int, rel, conf, lift float64) (_ []byte, confAt, confEnd int, ok bool) {
	b = append(b, `"support":`...)
	b = strconv.AppendInt(b, int64(support), 10)
	b = append(b, `,"relative_support":`...)
	b, ok1 := appendJSONFloat(b, rel)
	b = append(b, `,"confidence":`...)
	confAt = len(b)
	b, ok2 := appendJSONFloat(b, conf)
	confEnd = len(b)
	b = append(b, `,"lift":`...)
	b, ok3 := appendJSONFloat(b, lift)
	return append(b, '}'), confAt, confEnd, ok1 && ok2 && ok3
}

// finishExplained makes the explanation encoded in b and keeps it in p,
// within the model's bound.
func (m *Model) finishExplained(p *atomic.Pointer[explained], b []byte, confAt, confEnd int) *explained {
	s := string(b)
	e := &explained{json: s, conf: s[confAt:confEnd]}
	if m.json.kept.Add(int64(len(s))) <= explainMemoBytes {
		p.Store(e)
	}
	return e
}

// ruleExplained returns the encoded Explanation of rule i, or nil when a
// figure cannot be encoded as json.Marshal does.
func (m *Model) ruleExplained(i int32) *explained {
	p := &m.json.rules[i]
	if e := p.Load(); e != nil {
		return e
	}
	r := &m.rules[i]
	b := append(make([]byte, 0, 256), `{"antecedent":`...)
	b = m.appendNames(b, r.ant)
	b = append(b, `,"consequent":`...)
	b = m.appendNames(b, r.cons)
	b = append(b, ',')
	b, confAt, confEnd, ok := appendFigures(b, r.support, r.relSupport, r.confidence, r.lift)
	if !ok {
		return nil
	}
	return m.finishExplained(p, b, confAt, confEnd)
}

// sequenceExplained returns the encoded Explanation of pattern i, or nil
// when a figure cannot be encoded as json.Marshal does.
func (m *Model) sequenceExplained(i int32) *explained {
	p := &m.json.seqs[i]
	if e := p.Load(); e != nil {
		return e
	}
	q := &m.seqs[i]
	b := append(make([]byte, 0, 256), `{"sequence":[`...)
	for j, el := range q.elements {
		if j > 0 {
			b = append(b, ',')
		}
		b = m.appendNames(b, el)
	}
	b = append(b, "],"...)
	b, confAt, confEnd, ok := appendFigures(b, q.support, q.relSupport, q.confidence, q.lift)
	if !ok {
		return nil
	}
	return m.finishExplained(p, b, confAt, confEnd)
}

// appendRecommendations appends the Recommendations answer of cs (with
// customer, when not empty, and the basket's unknown items) as
// json.Marshal writes the struct render builds; ok is false when a
// figure cannot be written so.
func (m *Model) appendRecommendations(b []byte, customer string, unknown []string, cs []candidate) ([]byte, bool) {
	b = append(b, `{"model_version":`...)
	b = strconv.AppendInt(b, int64(m.Version), 10)
	if customer != "" {
		b = append(b, `,"customer":`...)
		b = appendJSONString(b, customer)
	}
	if len(unknown) > 0 {
		b = append(b, `,"unknown_items":`...)
		b = appendJSONStrings(b, unknown)
	}
	b = append(b, `,"items":[`...)
	for i := range cs {
		c := &cs[i]
		if i > 0 {
			b = append(b, ',')
		}
		var e *explained
		switch c.src {
		case srcRule:
			e = m.ruleExplained(c.idx)
		case srcSequence:
			e = m.sequenceExplained(c.idx)
		}
		b = append(b, '{')
		b = append(b, m.json.items[c.item].field...)
		if e != nil {
			// A rule or pattern: the score is the explanation's confidence.
			b = append(b, `,"score":`...)
			b = append(b, e.conf...)
			b = append(b, `,"source":"`...)
			b = append(b, c.src.String()...)
			b = append(b, `","explanation":`...)
			b = append(b, e.json...)
			b = append(b, '}')
			continue
		}
		if c.src == srcRule || c.src == srcSequence {
			return b, false // a figure json.Marshal refuses
		}
		if t := m.bestSellerTail(c); t != "" {
			b = append(b, t...)
			continue
		}
		var ok bool
		if b, ok = appendBestSellerTail(b, c); !ok {
			return b, false
		}
	}
	return append(b, "]}"...), true
}
