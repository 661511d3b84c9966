package crmapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
)

// TestFastJSONMatchesMarshal checks the hand-written encoders against
// json.Marshal of the answers' structs on every customer's profile and
// recommendations of both test models (twice: the second time the rules'
// explanations come from the model's kept copies), and on basket answers
// with unknown items.
func TestFastJSONMatchesMarshal(t *testing.T) {
	m1, m2 := loadedModels(t)
	n := 0
	for _, m := range []*Model{m1, m2} {
		for range 2 {
			for id, c := range m.customers {
				got, ok := m.appendProfile(nil, c)
				sameJSON(t, "profile "+id, got, ok, m.profile(c))
				cs := m.forCustomer(c, 10)
				got, ok = m.appendRecommendations(nil, id, nil, cs)
				sameJSON(t, "recommendations "+id, got, ok, &Recommendations{ModelVersion: m.Version, Customer: id, Items: m.render(cs)})
				n++
			}
		}
		basket := m.customers[m.bySegment[0][0]].recent[0]
		cs := m.forBasket(basket, 20)
		for _, unknown := range [][]string{nil, {"x<y>", "\u2028"}} {
			got, ok := m.appendRecommendations(nil, "", unknown, cs)
			sameJSON(t, "basket", got, ok, &Recommendations{ModelVersion: m.Version, UnknownItems: unknown, Items: m.render(cs)})
		}
		got, ok := m.appendRecommendations(nil, "", nil, nil)
		sameJSON(t, "no items", got, ok, &Recommendations{ModelVersion: m.Version, Items: m.render(nil)})
	}
	if n < 800 {
		t.Fatalf("checked %d customers; want the fixture's", n)
	}
}

// TestFastJSONRefusesNaN checks that an answer json.Marshal refuses is
// not encoded by hand either.
func TestFastJSONRefusesNaN(t *testing.T) {
	m1, _ := loadedModels(t)
	c := *m1.customers[m1.bySegment[0][0]]
	c.monetary = math.NaN()
	if got, ok := m1.appendProfile(nil, &c); ok {
		t.Fatalf("profile with a NaN: got %s, ok; want not ok", got)
	}
	cs := []candidate{{item: 0, src: srcBestSeller, idx: 1 << 20, conf: math.Inf(1), segment: -1}} // not a pre-encoded rank
	if got, ok := m1.appendRecommendations(nil, "", nil, cs); ok {
		t.Fatalf("recommendation with +Inf: got %s, ok; want not ok", got)
	}
}

// TestChurnExplanation compares the appended churn explanation with the
// fmt one churn writes, on ordinary and extreme figures.
func TestChurnExplanation(t *testing.T) {
	for _, tc := range []struct{ recency, gap, x float64 }{
		{1.0041666666666667, 1, 1.0041666666666667}, {0.05, 12.25, 0.004}, {-0.05, 0.95, -0.0526},
		{1e300, 1e-300, math.Inf(1)}, {math.NaN(), 3, math.NaN()}, {2.5, math.Inf(1), 0}, {0.25, 0.35, 0.125},
	} {
		f := churnFigures{gap: tc.gap, source: "own mean gap", x: tc.x}
		want := fmt.Sprintf("recency %.1f d / expected gap %.1f d (%s) = %.2f; score = x/(1+x)", tc.recency, tc.gap, f.source, tc.x)
		if got := string(appendChurnExplanation(nil, tc.recency, &f)); got != want {
			t.Errorf("%v: got %q; want %q", tc, got, want)
		}
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
	for range 5000 { // amounts: one or two decimals, and their neighbours
		a := float64(r.IntN(2000000)-1000000) / []float64{1, 10, 100, 1000}[r.IntN(4)]
		floats = append(floats, a, math.Nextafter(a, math.Inf(1)), a*1e6)
	}
	for _, f := range floats {
		want, err := json.Marshal(f)
		for name, enc := range map[string]func([]byte, float64) ([]byte, bool){"float": appendJSONFloat, "amount": appendJSONAmount} {
			got, ok := enc(nil, f)
			if err != nil {
				if ok {
					t.Fatalf("%s %v: encoded %s; json.Marshal refuses it", name, f, got)
				}
				continue
			}
			if !ok || !bytes.Equal(got, want) {
				t.Fatalf("%s %v: got %s, %v; want %s", name, f, got, ok, want)
			}
		}
	}
}

// sameJSON compares got, ok with json.Marshal of v.
func sameJSON(t *testing.T, what string, got []byte, ok bool, v any) {
	t.Helper()
	want, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if !ok || !bytes.Equal(got, want) {
		t.Fatalf("%s:\n got %s (ok %v)\nwant %s", what, got, ok, want)
	}
}
