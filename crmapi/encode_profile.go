package crmapi

import (
	"strconv"
	"time"
)

// appendProfile appends c's CustomerProfile as json.Marshal writes the
// struct profile builds, without building it; ok is false when a figure
// cannot be written so (NaN, ±Inf).
func (m *Model) appendProfile(b []byte, c *customer) ([]byte, bool) {
	ok := true
	num := func(f float64) {
		var fine bool
		if b, fine = appendJSONFloat(b, f); !fine {
			ok = false
		}
	}
	b = append(b, `{"model_version":`...)
	b = strconv.AppendInt(b, int64(m.Version), 10)
	b = append(b, `,"customer":`...)
	b = appendJSONString(b, c.id)
	if c.segment >= 0 {
		b = append(b, `,"segment":{"id":`...)
		b = strconv.AppendInt(b, int64(c.segment), 10)
		b = append(b, `,"label":`...)
		b = appendJSONString(b, m.segments[c.segment].Label)
		b = append(b, '}')
	}
	if c.hasRFM {
		b = append(b, `,"rfm":{"recency_days":`...)
		num(c.recency)
		b = append(b, `,"frequency":`...)
		num(c.frequency)
		b = append(b, `,"monetary":`...)
		num(c.monetary)
		b = append(b, `,"r":`...)
		b = strconv.AppendInt(b, int64(c.r), 10)
		b = append(b, `,"f":`...)
		b = strconv.AppendInt(b, int64(c.f), 10)
		b = append(b, `,"m":`...)
		b = strconv.AppendInt(b, int64(c.mScore), 10)
		b = append(b, `,"score":"`...)
		b = strconv.AppendInt(b, int64(c.r), 10)
		b = strconv.AppendInt(b, int64(c.f), 10)
		b = strconv.AppendInt(b, int64(c.mScore), 10)
		b = append(b, `"},"value":{"net_spend":`...)
		num(c.monetary)
		b = append(b, `,"score":`...)
		b = strconv.AppendInt(b, int64(c.mScore), 10)
		b = append(b, '}')
	}
	b = append(b, `,"lifecycle":{"stage":"`...)
	b = append(b, m.lifecycle(c)...)
	b = append(b, `","tenure_days":`...)
	num(m.tenure(c))
	b = append(b, `,"recency_days":`...)
	num(c.recency)
	b = append(b, `,"dataset_span_days":`...)
	num(m.span)
	b = append(b, '}')
	if c.hasRFM {
		f := m.churnFigures(c)
		b = append(b, `,"churn":{"score":`...)
		num(f.score)
		b = append(b, `,"level":"`...)
		b = append(b, f.level...)
		b = append(b, `","rule":"`...)
		b = append(b, ChurnRule...)
		// The explanation holds digits, letters, spaces and ./()=;+-,
		// none of which JSON escapes.
		b = append(b, `","explanation":"`...)
		b = appendChurnExplanation(b, c.recency, &f)
		b = append(b, `"}`...)
	}
	b = append(b, `,"last_purchases":[`...)
	for i := range c.orders {
		o := &c.orders[i]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"order":`...)
		b = appendJSONString(b, o.id)
		b = append(b, `,"time":"`...)
		b = time.Unix(o.time, 0).UTC().AppendFormat(b, time.RFC3339)
		b = append(b, '"')
		if o.cancel {
			b = append(b, `,"cancel":true`...)
		}
		b = append(b, `,"lines":`...)
		if len(o.lines) == 0 {
			b = append(b, "null}"...)
			continue
		}
		b = append(b, '[')
		for j := range o.lines {
			l := &o.lines[j]
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, '{')
			b = append(b, m.json.items[l.item].field...)
			b = append(b, `,"quantity":`...)
			var q, p bool
			b, q = appendJSONAmount(b, l.quantity)
			b = append(b, `,"price":`...)
			b, p = appendJSONAmount(b, l.price)
			ok = ok && q && p
			b = append(b, '}')
		}
		b = append(b, "]}"...)
	}
	return append(b, "]}"...), ok
}
