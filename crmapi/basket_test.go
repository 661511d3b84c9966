package crmapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// slowBasket parses a body as the route did before the fast path: with
// encoding/json alone.
func slowBasket(m *Model, data []byte) (basket, error) {
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

// TestParseBasket compares parseBasket with encoding/json on bodies of
// the plain shape and around it, and on random mutations of them.
func TestParseBasket(t *testing.T) {
	m, _ := loadedModels(t)
	a, b := m.items[0].Name, m.items[1].Name
	bodies := []string{
		fmt.Sprintf(`{"items":[%q,%q],"k":3}`, a, b),
		fmt.Sprintf(" {\n\t\"items\" : [ %q , \"nope\" ] , \"k\" : 0 }\r\n", a),
		fmt.Sprintf(`{"k":10,"items":[%q]}`, b),
		`{}`, `{"items":[]}`, `{"items":null}`, `{"items":["x"],"k":-1}`, `{"items":["x"],"k":1.0}`, `{"items":["x"],"k":1e1}`,
		`{"items":["x"],"k":01}`, `{"items":["x"],"k":1234567890}`, `{"items":["x"],"k":"1"}`, `{"ITEMS":["x"]}`, `{"Items":["x"]}`,
		`{"items":["x"],"items":["y"]}`, `{"items":["x"],"extra":1}`, `{"items":["a\"b","c\\d","\u00e9"]}`, "{\"items\":[\"\xff\"]}",
		`{"items":["x"]} {}`, `{"items":["x"]}]`, `{"items":["x"]}}`, `{"items":["x"],}`, `{"items":["x",]}`, `{"items":["x"]`, ``, `[]`, `null`,
		`{"items":[1]}`, `{"items":["x"],"k":5}garbage`, "{\"items\":[\"tab\there\"]}",
	}
	r := rand.New(rand.NewPCG(3, 4))
	const alphabet = `{}[]":, 0123456789kitems\x"`
	for range 3000 {
		body := []byte(bodies[r.IntN(3)])
		for range 1 + r.IntN(3) {
			i := r.IntN(len(body) + 1)
			switch r.IntN(3) {
			case 0:
				body = slices.Insert(body, i, alphabet[r.IntN(len(alphabet))])
			case 1:
				if i < len(body) {
					body = slices.Delete(body, i, i+1)
				}
			default:
				if i < len(body) {
					body[i] = alphabet[r.IntN(len(alphabet))]
				}
			}
		}
		bodies = append(bodies, string(body))
	}
	for _, body := range bodies {
		got, gerr := m.parseBasket([]byte(body))
		want, werr := slowBasket(m, []byte(body))
		if fmt.Sprint(gerr) != fmt.Sprint(werr) || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("body %q: got %+v, %v; want %+v, %v", body, got, gerr, want, werr)
		}
	}
}
