package crmapi

import (
	"math"
	"strconv"
	"sync"
	"unicode/utf8"
)

// The hot answers (profiles and recommendations) are encoded by hand:
// encoding/json's reflection was a third of a lookup's time. The output is
// byte for byte what json.Marshal writes (fast_json_test.go checks it on
// every customer of the test models and on random strings and numbers);
// anything it cannot write the same way (NaN, ±Inf) makes it give up, and
// writeJSON falls back to json.Marshal.

// jsonAppender is an answer that can append its own JSON encoding; ok is
// false when it cannot (the caller then uses encoding/json).
type jsonAppender interface {
	appendJSON(b []byte) (_ []byte, ok bool)
}

// bufPool recycles answer buffers.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// appendJSONFloat appends f as encoding/json does, false for NaN and ±Inf.
func appendJSONFloat(b []byte, f float64) ([]byte, bool) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, false
	}
	abs := math.Abs(f)
	if abs < 1e15 && f == math.Trunc(f) && (f != 0 || !math.Signbit(f)) {
		return strconv.AppendInt(b, int64(f), 10), true // quantities, counts: the common case
	}
	fmt := byte('f')
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		fmt = 'e'
	}
	start := len(b)
	b = strconv.AppendFloat(b, f, fmt, -1, 64)
	if fmt == 'e' {
		// Clean up e-09 to e-9, as encoding/json does.
		n := len(b) - start
		if n >= 4 && b[len(b)-4] == 'e' && b[len(b)-3] == '-' && b[len(b)-2] == '0' {
			b[len(b)-2] = b[len(b)-1]
			b = b[:len(b)-1]
		}
	}
	return b, true
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends s quoted as encoding/json does by default: the
// HTML characters <, > and & escaped, invalid UTF-8 as \ufffd, U+2028 and
// U+2029 escaped.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// jsonWriter appends object members, remembering whether a number could
// not be written.
type jsonWriter struct {
	b  []byte
	ok bool
}

func (w *jsonWriter) key(first bool, k string) {
	if !first {
		w.b = append(w.b, ',')
	}
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jsonWriter) str(first bool, k, v string) {
	w.key(first, k)
	w.b = appendJSONString(w.b, v)
}

func (w *jsonWriter) int(first bool, k string, v int) {
	w.key(first, k)
	w.b = strconv.AppendInt(w.b, int64(v), 10)
}

func (w *jsonWriter) float(first bool, k string, v float64) {
	w.key(first, k)
	var ok bool
	if w.b, ok = appendJSONFloat(w.b, v); !ok {
		w.ok = false
	}
}

func (w *jsonWriter) strings(vs []string) {
	if vs == nil {
		w.b = append(w.b, "null"...)
		return
	}
	w.b = append(w.b, '[')
	for i, v := range vs {
		if i > 0 {
			w.b = append(w.b, ',')
		}
		w.b = appendJSONString(w.b, v)
	}
	w.b = append(w.b, ']')
}

// appendJSON encodes r as json.Marshal does.
func (r *Recommendations) appendJSON(b []byte) ([]byte, bool) {
	w := jsonWriter{b: append(b, '{'), ok: true}
	w.int(true, "model_version", r.ModelVersion)
	if r.Customer != "" {
		w.str(false, "customer", r.Customer)
	}
	if len(r.UnknownItems) > 0 {
		w.key(false, "unknown_items")
		w.strings(r.UnknownItems)
	}
	w.key(false, "items")
	if r.Items == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.b = append(w.b, '[')
		for i := range r.Items {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			r.Items[i].append(&w)
		}
		w.b = append(w.b, ']')
	}
	return append(w.b, '}'), w.ok
}

func (rc *Recommendation) append(w *jsonWriter) {
	w.b = append(w.b, '{')
	w.str(true, "item", rc.Item)
	if rc.Name != "" {
		w.str(false, "name", rc.Name)
	}
	w.float(false, "score", rc.Score)
	w.str(false, "source", rc.Source)
	w.key(false, "explanation")
	e := &rc.Explanation
	w.b = append(w.b, '{')
	first := true
	if len(e.Antecedent) > 0 {
		w.key(first, "antecedent")
		w.strings(e.Antecedent)
		first = false
	}
	if len(e.Consequent) > 0 {
		w.key(first, "consequent")
		w.strings(e.Consequent)
		first = false
	}
	if len(e.Sequence) > 0 {
		w.key(first, "sequence")
		w.b = append(w.b, '[')
		for i, el := range e.Sequence {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.strings(el)
		}
		w.b = append(w.b, ']')
		first = false
	}
	if e.Segment != nil {
		w.int(first, "segment", *e.Segment)
		first = false
	}
	w.int(first, "support", e.Support)
	w.float(false, "relative_support", e.RelativeSupport)
	w.float(false, "confidence", e.Confidence)
	w.float(false, "lift", e.Lift)
	w.b = append(w.b, '}', '}')
}

// appendJSON encodes p as json.Marshal does.
func (p *CustomerProfile) appendJSON(b []byte) ([]byte, bool) {
	w := jsonWriter{b: append(b, '{'), ok: true}
	w.int(true, "model_version", p.ModelVersion)
	w.str(false, "customer", p.Customer)
	if p.Segment != nil {
		w.key(false, "segment")
		w.b = append(w.b, '{')
		w.int(true, "id", p.Segment.ID)
		w.str(false, "label", p.Segment.Label)
		w.b = append(w.b, '}')
	}
	if p.RFM != nil {
		w.key(false, "rfm")
		w.b = append(w.b, '{')
		w.float(true, "recency_days", p.RFM.RecencyDays)
		w.float(false, "frequency", p.RFM.Frequency)
		w.float(false, "monetary", p.RFM.Monetary)
		w.int(false, "r", p.RFM.R)
		w.int(false, "f", p.RFM.F)
		w.int(false, "m", p.RFM.M)
		w.str(false, "score", p.RFM.Score)
		w.b = append(w.b, '}')
	}
	if p.Value != nil {
		w.key(false, "value")
		w.b = append(w.b, '{')
		w.float(true, "net_spend", p.Value.NetSpend)
		w.int(false, "score", p.Value.Score)
		w.b = append(w.b, '}')
	}
	w.key(false, "lifecycle")
	w.b = append(w.b, '{')
	w.str(true, "stage", p.Lifecycle.Stage)
	w.float(false, "tenure_days", p.Lifecycle.TenureDays)
	w.float(false, "recency_days", p.Lifecycle.RecencyDays)
	w.float(false, "dataset_span_days", p.Lifecycle.SpanDays)
	w.b = append(w.b, '}')
	if p.Churn != nil {
		w.key(false, "churn")
		w.b = append(w.b, '{')
		w.float(true, "score", p.Churn.Score)
		w.str(false, "level", p.Churn.Level)
		w.str(false, "rule", p.Churn.Rule)
		w.str(false, "explanation", p.Churn.Explanation)
		w.b = append(w.b, '}')
	}
	w.key(false, "last_purchases")
	if p.LastPurchases == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.b = append(w.b, '[')
		for i := range p.LastPurchases {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			p.LastPurchases[i].append(&w)
		}
		w.b = append(w.b, ']')
	}
	return append(w.b, '}'), w.ok
}

func (pu *Purchase) append(w *jsonWriter) {
	w.b = append(w.b, '{')
	w.str(true, "order", pu.Order)
	w.str(false, "time", pu.Time)
	if pu.Cancel {
		w.key(false, "cancel")
		w.b = append(w.b, "true"...)
	}
	w.key(false, "lines")
	if pu.Lines == nil {
		w.b = append(w.b, "null"...)
	} else {
		w.b = append(w.b, '[')
		for i, l := range pu.Lines {
			if i > 0 {
				w.b = append(w.b, ',')
			}
			w.b = append(w.b, '{')
			w.str(true, "item", l.Item)
			if l.Name != "" {
				w.str(false, "name", l.Name)
			}
			w.float(false, "quantity", l.Quantity)
			w.float(false, "price", l.Price)
			w.b = append(w.b, '}')
		}
		w.b = append(w.b, ']')
	}
	w.b = append(w.b, '}')
}
