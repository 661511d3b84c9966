package crmapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"unicode/utf8"
)

// The body of POST /v1/recommendations is read whole (Config.MaxBodyBytes
// bounds it) and parsed by a fast path that takes the plain shape clients
// send, {"items":["…",…],"k":N} with JSON whitespace anywhere, names
// without escapes and k a small non-negative integer, and looks the names
// up in the catalogue without copying those it finds. Anything else (other
// or repeated members, escapes, null, a negative or fractional k, trailing
// data) goes to encoding/json as before, so what is accepted, and every
// error message, is unchanged: decoding the body with reflection was a
// tenth of the route's time.

// basket is a parsed POST /v1/recommendations body.
type basket struct {
	n       int      // items listed
	ids     []int32  // catalogue ids of the known items
	unknown []string // the items not in the catalogue, in order
	k       int      // 0: not given
}

// readBody reads r whole into b.
func readBody(r io.Reader, b []byte) ([]byte, error) {
	for {
		if len(b) == cap(b) {
			b = append(b, 0)[:len(b)]
		}
		n, err := r.Read(b[len(b):cap(b)])
		b = b[:len(b)+n]
		if err == io.EOF {
			return b, nil
		}
		if err != nil {
			return b, err
		}
	}
}

// parseBasket parses a request body for m.
func (m *Model) parseBasket(data []byte) (basket, error) {
	if bk, ok := m.parseBasketFast(data); ok {
		return bk, nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var req BasketRequest
	if err := dec.Decode(&req); err != nil {
		return basket{}, err
	}
	if dec.More() {
		return basket{}, errors.New("trailing data after the JSON object")
	}
	bk := basket{n: len(req.Items), k: req.K}
	for _, name := range req.Items {
		if id, ok := m.itemIndex[name]; ok {
			bk.ids = append(bk.ids, id)
		} else {
			bk.unknown = append(bk.unknown, name)
		}
	}
	return bk, nil
}

// parseBasketFast parses the plain shape of a body, false for anything
// else.
func (m *Model) parseBasketFast(data []byte) (bk basket, ok bool) {
	p := basketParser{b: data}
	var seenItems, seenK bool
	if !p.byte('{') {
		return bk, false
	}
	if !p.byte('}') {
		for {
			switch {
			case p.lit(`"items"`) && !seenItems && p.byte(':') && p.byte('['):
				seenItems = true
				if p.byte(']') {
					break
				}
				for {
					s, ok := p.str()
					if !ok {
						return bk, false
					}
					bk.n++
					if id, ok := m.itemIndex[string(s)]; ok {
						bk.ids = append(bk.ids, id)
					} else {
						bk.unknown = append(bk.unknown, string(s))
					}
					if p.byte(']') {
						break
					}
					if !p.byte(',') {
						return bk, false
					}
				}
			case p.lit(`"k"`) && !seenK && p.byte(':'):
				seenK = true
				if bk.k, ok = p.smallInt(); !ok {
					return bk, false
				}
			default:
				return bk, false
			}
			if p.byte('}') {
				break
			}
			if !p.byte(',') {
				return bk, false
			}
		}
	}
	p.space()
	return bk, len(p.b) == 0
}

// basketParser walks a body, skipping JSON whitespace before each token.
type basketParser struct{ b []byte }

func (p *basketParser) space() {
	for len(p.b) > 0 && (p.b[0] == ' ' || p.b[0] == '\t' || p.b[0] == '\n' || p.b[0] == '\r') {
		p.b = p.b[1:]
	}
}

// byte consumes c if it comes next.
func (p *basketParser) byte(c byte) bool {
	p.space()
	if len(p.b) > 0 && p.b[0] == c {
		p.b = p.b[1:]
		return true
	}
	return false
}

// lit consumes s if it comes next.
func (p *basketParser) lit(s string) bool {
	p.space()
	if len(p.b) >= len(s) && string(p.b[:len(s)]) == s {
		p.b = p.b[len(s):]
		return true
	}
	return false
}

// str consumes a string without escapes or control characters, in valid
// UTF-8, and returns its contents.
func (p *basketParser) str() ([]byte, bool) {
	if !p.byte('"') {
		return nil, false
	}
	for i, c := range p.b {
		switch {
		case c == '"':
			s := p.b[:i]
			p.b = p.b[i+1:]
			return s, utf8.Valid(s)
		case c == '\\' || c < 0x20:
			return nil, false
		}
	}
	return nil, false
}

// smallInt consumes 0 or a positive integer of up to 9 digits.
func (p *basketParser) smallInt() (int, bool) {
	p.space()
	n, i := 0, 0
	for ; i < len(p.b) && i < 10 && p.b[i] >= '0' && p.b[i] <= '9'; i++ {
		n = n*10 + int(p.b[i]-'0')
	}
	if i == 0 || i == 10 || (i > 1 && p.b[0] == '0') {
		return 0, false
	}
	if i < len(p.b) && (p.b[i] == '.' || p.b[i] == 'e' || p.b[i] == 'E') {
		return 0, false
	}
	p.b = p.b[i:]
	return n, true
}
