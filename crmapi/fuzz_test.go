package crmapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	pathpkg "path"
	"reflect"
	"strings"
	"testing"

	"github.com/quarrydata/quarry/storage/dataset"
)

// fuzzRuleModel is a catalogue of a few items, some with names that need
// care in JSON, for the rule decoders.
func fuzzRuleModel() *Model {
	m := &Model{itemIndex: map[string]int32{}}
	for i, n := range []string{"85123A", "71053", "84406B", "22", "a b", "X", "é", `q"t`} {
		m.items = append(m.items, dataset.Item{Name: n})
		m.itemIndex[n] = int32(i)
	}
	return m
}

// decodeRuleJSON decodes one rules.jsonl line the slow way, as loadRules
// does for the lines fastRule declines.
func (m *Model) decodeRuleJSON(l []byte) (rule, error) {
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

// FuzzFastRule is the differential test of the hand-written rules.jsonl
// decoder against encoding/json: whenever fastRule takes a line, encoding/json
// accepts it too and decodes exactly the same rule; a line it declines
// goes to encoding/json, so what loads is unchanged.
func FuzzFastRule(f *testing.F) {
	for _, s := range []string{
		`{"antecedent":["X","22"],"consequent":["a b"],"support":3,"relative_support":0.25,"confidence":0.5,"lift":2}`,
		`{"antecedent":["85123A"],"consequent":["71053","84406B"],"support":12,"relative_support":0.0123,"confidence":0.61,"lift":14.2}  `,
		`{"antecedent":["X"],"consequent":["22"],"support":-0,"relative_support":1e-3,"confidence":2.5E+2,"lift":0.30000000000000004}`,
		`{"antecedent":["X"],"consequent":["22"],"support":1.0,"relative_support":01,"confidence":.5,"lift":+1}`,
		`{"antecedent":["X"],"consequent":["22"],"support":99999999999999999999,"relative_support":1e999,"confidence":1,"lift":1}`,
		`{"antecedent":["\u00e9"],"consequent":["é"],"support":1,"relative_support":1,"confidence":1,"lift":1}`,
		`{"antecedent":["q\"t"],"consequent":["X","X"],"support":1,"relative_support":1,"confidence":1,"lift":1}`,
		`{"antecedent":[],"consequent":["X"],"support":1,"relative_support":1,"confidence":1,"lift":1}`,
		`{"Antecedent":["X"],"consequent":["22"],"support":1,"relative_support":1,"confidence":1,"lift":1,"extra":null}`,
		`{"antecedent":["X"],"consequent":["22"],"support":1,"relative_support":1,"confidence":1,"lift":1}}`,
	} {
		f.Add([]byte(s))
	}
	m := fuzzRuleModel()
	f.Fuzz(func(t *testing.T, line []byte) {
		var arena idArena
		var got rule
		if !m.fastRule(line, &arena, &got) {
			return
		}
		want, err := m.decodeRuleJSON(line)
		if err != nil {
			t.Fatalf("fastRule took %q; encoding/json refuses it: %v", line, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("fastRule(%q) = %+v; want %+v as encoding/json decodes it", line, got, want)
		}
	})
}

// FuzzParseTokens checks that a token file either parses into tokens that
// authenticate or fails with an error that names the entry and never
// shows a token.
func FuzzParseTokens(f *testing.F) {
	for _, s := range []string{
		"0123456789abcdef0123456789abcdef read analyst\n# comment\n\nfedcba9876543210fedcba9876543210 admin,read ops\n",
		"0123456789abcdef0123456789abcdef read; fedcba9876543210fedcba9876543210 admin",
		"short read\n",
		"0123456789abcdef0123456789abcdef write x\n",
		"0123456789abcdef0123456789abcdef read a\n0123456789abcdef0123456789abcdef read b\n",
		"0123456789abcdef0123456789abcdef read a\nfedcba9876543210fedcba9876543210 read a\n",
		"0123456789abcdef\x01123456789abcdef read\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		toks, err := ParseTokens(strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "crmapi tokens: ") {
				t.Fatalf("got error %q; want it to start with \"crmapi tokens: \"", err)
			}
			for line := range strings.SplitSeq(in, "\n") {
				for entry := range strings.SplitSeq(line, ";") {
					// A field long enough to be a token, in the token's
					// place or (swapped) in the scopes', is never echoed.
					fs := strings.Fields(entry)
					if len(fs) < 2 || len(fs) > 3 {
						continue
					}
					for _, secret := range append([]string{fs[0]}, strings.Split(fs[1], ",")...) {
						if len(secret) >= MinTokenLength && !strings.Contains(fs[len(fs)-1], secret) && strings.Contains(err.Error(), secret) {
							t.Fatalf("error %q shows the token-like field %q", err, secret)
						}
					}
				}
			}
			return
		}
		if toks == nil || toks.Len() == 0 {
			t.Fatalf("got no tokens and no error for %q", in)
		}
	})
}

// fuzzServer serves model v2 of the shared fixture, without rate limits.
func fuzzServer(t testing.TB) *Server {
	_, m2 := loadedModels(t)
	cfg := DefaultConfig()
	cfg.RateLimit = 0
	s, err := NewServer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Swap(m2)
	return s
}

// FuzzHandlers drives every read route with fuzzed ids, query values
// (k, limit, cursor) and basket bodies: the answer is 2xx or 4xx, never 5xx
// and never a panic, always JSON, and an error answer has a code and a
// message.
func FuzzHandlers(f *testing.F) {
	f.Add(uint8(0), "17850", "10", "", "")
	f.Add(uint8(1), "12347", "abc", "", "")
	f.Add(uint8(2), "", "5", "", `{"items":["85123A","71053"],"k":3}`)
	f.Add(uint8(2), "", "", "", `{"items":["85123A"],"k":-1}`)
	f.Add(uint8(2), "", "", "", `{"items":[]}`)
	f.Add(uint8(2), "", "", "", `{"items":["x"]} {}`)
	f.Add(uint8(2), "", "", "", `{"items":["x"],"other":1}`)
	f.Add(uint8(2), "", "", "", `{"items":["\ud800"],"k":1e3}`)
	f.Add(uint8(3), "85123A", "1000000", "", "")
	f.Add(uint8(4), "0", "", "", "")
	f.Add(uint8(4), "-0", "", "", "")
	f.Add(uint8(5), "1", "2", encodeCursor("12347"), "")
	f.Add(uint8(5), "01", "0", "!!", "")
	f.Add(uint8(6), "", "", "", "")
	f.Fuzz(func(t *testing.T, route uint8, id, k, cursor, body string) {
		s := fuzzServer(t)
		q := url.Values{}
		if k != "" {
			q.Set("k", k)
			q.Set("limit", k)
		}
		if cursor != "" {
			q.Set("cursor", cursor)
		}
		method, path := "GET", ""
		switch route % 7 {
		case 0:
			path = "/v1/customers/" + url.PathEscape(id)
		case 1:
			path = "/v1/customers/" + url.PathEscape(id) + "/recommendations"
		case 2:
			method, path = "POST", "/v1/recommendations"
		case 3:
			path = "/v1/items/" + url.PathEscape(id) + "/associations"
		case 4:
			path = "/v1/segments/" + url.PathEscape(id)
		case 5:
			path = "/v1/segments/" + url.PathEscape(id) + "/customers"
		case 6:
			path = "/v1/segments"
		}
		u := &url.URL{Path: path, RawQuery: q.Encode()}
		var rd io.Reader
		if method == "POST" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, u.String(), rd)
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		res := rec.Result()
		data, _ := io.ReadAll(res.Body)
		if res.StatusCode/100 == 3 {
			// net/http's ServeMux redirects a path with an empty segment
			// (an empty id) or a "." or ".." segment to the cleaned path,
			// with a text/html body, before any handler runs (reported in
			// issue 7). Nothing else may redirect.
			if pathpkg.Clean(path) == path || res.Header.Get("Location") == "" {
				t.Fatalf("%s %s: got status %d (%s); want no redirect of a clean path", method, u, res.StatusCode, data)
			}
			return
		}
		if res.StatusCode >= 500 || res.StatusCode < 200 {
			t.Fatalf("%s %s body %q: got status %d (%s); want 2xx or 4xx", method, u, body, res.StatusCode, data)
		}
		if ct := res.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: got content type %q; want application/json", method, u, ct)
		}
		if !json.Valid(data) {
			t.Fatalf("%s %s: got body %q; want JSON", method, u, data)
		}
		if res.StatusCode >= 400 {
			var e ErrorBody
			if err := json.Unmarshal(data, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
				t.Fatalf("%s %s: got error body %q; want a code and a message", method, u, data)
			}
		}
		if bytes.Contains(data, []byte("\"internal\"")) {
			t.Fatalf("%s %s: got an internal error %s", method, u, data)
		}
	})
}
