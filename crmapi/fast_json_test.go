package crmapi

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFastJSONMatchesMarshal checks the hand-written encoders against
// json.Marshal on every customer's profile and recommendations of both
// test models, and on a basket answer with unknown items.
func TestFastJSONMatchesMarshal(t *testing.T) {
	m1, m2 := loadedModels(t)
	n := 0
	for _, m := range []*Model{m1, m2} {
		for id, c := range m.customers {
			p := m.profile(c)
			sameJSON(t, "profile "+id, &p)
			r := Recommendations{ModelVersion: m.Version, Customer: id, Items: m.render(m.forCustomer(c, 10))}
			sameJSON(t, "recommendations "+id, &r)
			n++
		}
	}
	sameJSON(t, "basket", &Recommendations{ModelVersion: 3, UnknownItems: []string{"x<y>", "\u2028"}, Items: []Recommendation{}})
	sameJSON(t, "nil items", &Recommendations{ModelVersion: 3})
	if n < 400 {
		t.Fatalf("checked %d customers; want the fixture's", n)
	}
}

// TestFastJSONScalars compares strings and floats with json.Marshal,
// including escapes, invalid UTF-8 and exponent forms.
func TestFastJSONScalars(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "Z", " ", "\"", "\\", "<", ">", "&", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"é", "€", "\u2028", "\u2029", "\xff", "\xc3", "😀", "/"}
	for range 5000 {
		var sb strings.Builder
		for range r.IntN(12) {
			sb.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := sb.String()
		want, _ := json.Marshal(s)
		if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("string %q: got %s; want %s", s, got, want)
		}
	}
	floats := []float64{0, math.Copysign(0, -1), 1, -1, 0.1, 1e-6, 9.99e-7, 1e-7, 1.5e-9, 1e20, 1e21, 1.2345e22, -3.5e-10, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64}
	for range 5000 {
		floats = append(floats, math.Float64frombits(r.Uint64()), r.NormFloat64()*math.Pow(10, float64(r.IntN(60)-30)))
	}
	for _, f := range floats {
		want, err := json.Marshal(f)
		got, ok := appendJSONFloat(nil, f)
		if err != nil {
			if ok {
				t.Fatalf("float %v: encoded %s; json.Marshal refuses it", f, got)
			}
			continue
		}
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("float %v: got %s, %v; want %s", f, got, ok, want)
		}
	}
}

func sameJSON(t *testing.T, what string, v jsonAppender) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := v.appendJSON(nil)
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %s (ok %v)\nwant %s", what, got, ok, want)
	}
}
