package crmapi

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/storage/dataset"
)

// slowRule decodes l as loadRules did before the fast path.
func (m *Model) slowRule(l []byte) (rule, error) {
	var r ruleJSON
	if err := json.Unmarshal(l, &r); err != nil {
		return rule{}, err
	}
	if len(r.Antecedent) == 0 || len(r.Consequent) == 0 {
		return rule{}, fmt.Errorf("empty side")
	}
	ant, err := m.ids(r.Antecedent)
	if err != nil {
		return rule{}, err
	}
	cons, err := m.ids(r.Consequent)
	if err != nil {
		return rule{}, err
	}
	return rule{ant: ant, cons: cons, support: r.Support, relSupport: r.RelativeSupport, confidence: r.Confidence, lift: r.Lift}, nil
}

// TestFastRuleMatchesJSON checks on thousands of random lines, canonical
// and mangled, that whenever fastRule takes a line it decodes it exactly
// as encoding/json does, and that it takes every canonical line.
func TestFastRuleMatchesJSON(t *testing.T) {
	m := &Model{itemIndex: map[string]int32{}}
	names := []string{"85123A", "71053", "84406B", "22", "a b", "X"}
	for i, n := range names {
		m.items = append(m.items, dataset.Item{Name: n})
		m.itemIndex[n] = int32(i)
	}
	rng := rand.New(rand.NewPCG(1, 1))
	list := func() string {
		k := rng.IntN(4)
		q := make([]string, k)
		for i := range q {
			n := names[rng.IntN(len(names))]
			if rng.IntN(20) == 0 {
				n = "unknown"
			}
			q[i] = `"` + n + `"`
		}
		return "[" + strings.Join(q, ",") + "]"
	}
	nums := []string{"0", "1", "-3", "0.5", "1e-3", "2.5E+2", "0.30000000000000004", "1.0", "01", ".5", "+1", "1e999", "-0", "7"}
	var arena idArena
	took := 0
	for i := range 5000 {
		line := fmt.Sprintf(`{"antecedent":%s,"consequent":%s,"support":%s,"relative_support":%s,"confidence":%s,"lift":%s}`,
			list(), list(), nums[rng.IntN(len(nums))], nums[rng.IntN(len(nums))], nums[rng.IntN(len(nums))], nums[rng.IntN(len(nums))])
		switch rng.IntN(6) {
		case 0: // mangle one byte
			b := []byte(line)
			b[rng.IntN(len(b))] = " ,:{}[]\"\\x9"[rng.IntN(11)]
			line = string(b)
		case 1:
			line += "  "
		}
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			var got rule
			fast := m.fastRule([]byte(line), &arena, &got)
			want, err := m.slowRule([]byte(line))
			if fast {
				took++
				if err != nil {
					t.Fatalf("fastRule took %s; encoding/json says %v", line, err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Fatalf("fastRule(%s) = %+v; want %+v", line, got, want)
				}
			}
		})
	}
	if took < 200 {
		t.Fatalf("fastRule took %d of 5000 lines; want most canonical ones", took)
	}
	canon := `{"antecedent":["X","22"],"consequent":["a b"],"support":3,"relative_support":0.25,"confidence":0.5,"lift":2}`
	var r rule
	if !m.fastRule([]byte(canon), &arena, &r) {
		t.Fatalf("fastRule declined the canonical line %s", canon)
	}
}
