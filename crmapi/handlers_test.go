package crmapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// newTestServer returns a Server serving m (nil: no model).
func newTestServer(t testing.TB, m *Model) *Server {
	t.Helper()
	s, err := NewServer(DefaultConfig(), nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Swap(m)
	return s
}

// do serves one request and checks its status, decoding the body into
// out (when not nil).
func do(t testing.TB, h http.Handler, method, path, body string, status int, out any) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, path, rd))
	res := rec.Result()
	data, _ := io.ReadAll(res.Body)
	if res.StatusCode != status {
		t.Fatalf("%s %s: got status %d (%s); want %d", method, path, res.StatusCode, data, status)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: content type %q; want application/json", method, path, ct)
	}
	if out != nil {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return res
}

func get(t testing.TB, h http.Handler, path string, status int, out any) *http.Response {
	t.Helper()
	return do(t, h, "GET", path, "", status, out)
}

func TestNotReady(t *testing.T) {
	s := newTestServer(t, nil)
	get(t, s, "/healthz", http.StatusOK, nil)
	for _, p := range []string{"/readyz", "/v1/segments", "/v1/customers/12347"} {
		var e ErrorBody
		get(t, s, p, http.StatusServiceUnavailable, &e)
		if e.Error.Code != CodeNotReady {
			t.Errorf("%s: code %q; want %s", p, e.Error.Code, CodeNotReady)
		}
	}
	var e ErrorBody
	do(t, s, "POST", "/v1/admin/model/rollback", "", http.StatusConflict, &e)
}

func TestEndpoints(t *testing.T) {
	m1, _ := loadedModels(t)
	s := newTestServer(t, m1)
	var cust string
	for _, id := range m1.bySegment[0] {
		if c := m1.customers[id]; len(c.recent) > 0 && len(c.orders) > 0 {
			cust = id
			break
		}
	}
	t.Run("profile", func(t *testing.T) {
		var p CustomerProfile
		res := get(t, s, "/v1/customers/"+cust, http.StatusOK, &p)
		if res.Header.Get(ModelVersionHeader) != "1" || p.ModelVersion != 1 {
			t.Errorf("version header %q, field %d; want 1", res.Header.Get(ModelVersionHeader), p.ModelVersion)
		}
		if p.Customer != cust || p.Segment == nil || p.Segment.ID != 0 || p.Segment.Label == "" || p.RFM == nil || len(p.RFM.Score) != 3 ||
			p.Churn == nil || p.Churn.Rule != ChurnRule || p.Lifecycle.Stage == "" || len(p.LastPurchases) == 0 || len(p.LastPurchases[0].Lines) == 0 {
			t.Errorf("profile %+v: want segment 0, label, RFM, churn, stage and last purchases", p)
		}
	})
	t.Run("recommendations", func(t *testing.T) {
		var r Recommendations
		get(t, s, "/v1/customers/"+cust+"/recommendations?k=3", http.StatusOK, &r)
		if len(r.Items) != 3 || r.Customer != cust {
			t.Errorf("got %d items for %q; want 3 for %s", len(r.Items), r.Customer, cust)
		}
	})
	t.Run("basket", func(t *testing.T) {
		ru := m1.rules[0]
		body := `{"items":["` + strings.Join(m1.names(ru.ant), `","`) + `","NO-SUCH-ITEM"],"k":5}`
		var r Recommendations
		do(t, s, "POST", "/v1/recommendations", body, http.StatusOK, &r)
		if len(r.Items) != 5 || r.Items[0].Source != SourceRule || len(r.UnknownItems) != 1 {
			t.Fatalf("got %+v; want 5 items led by a rule and one unknown item", r)
		}
		if r.Items[0].Explanation.Confidence < ru.confidence {
			t.Errorf("first confidence %v; want at least %v (rule 0 fires)", r.Items[0].Explanation.Confidence, ru.confidence)
		}
	})
	t.Run("associations", func(t *testing.T) {
		item := m1.items[m1.rules[0].ant[0]].Name
		var a Associations
		get(t, s, "/v1/items/"+item+"/associations?limit=1000", http.StatusOK, &a)
		if len(a.Rules) != len(m1.rulesByItem.of(m1.rules[0].ant[0])) || len(a.Rules) == 0 {
			t.Errorf("%d rules; want %d", len(a.Rules), len(m1.rulesByItem.of(m1.rules[0].ant[0])))
		}
		for _, r := range a.Rules {
			if !strings.Contains(strings.Join(append(r.Antecedent, r.Consequent...), " ")+" ", item+" ") {
				t.Errorf("rule %v ⇒ %v lacks %s", r.Antecedent, r.Consequent, item)
			}
		}
	})
	t.Run("segments", func(t *testing.T) {
		var l SegmentList
		get(t, s, "/v1/segments", http.StatusOK, &l)
		if len(l.Segments) != 4 || len(l.Segments[0].TopItems) == 0 || l.Segments[0].Centroid[colMonetary] == 0 {
			t.Errorf("segments %+v: want 4 with top items and centroids", l)
		}
		var d SegmentDetail
		get(t, s, "/v1/segments/2", http.StatusOK, &d)
		if d.ID != 2 || d.Label != m1.segments[2].Label {
			t.Errorf("segment 2: got %+v", d)
		}
	})
	t.Run("segment customers paged", func(t *testing.T) {
		var all []string
		cursor := ""
		for pages := 0; ; pages++ {
			var p SegmentCustomers
			get(t, s, "/v1/segments/1/customers?limit=7&cursor="+cursor, http.StatusOK, &p)
			all = append(all, p.Customers...)
			if p.NextCursor == "" {
				break
			}
			cursor = p.NextCursor
			if pages > 1000 {
				t.Fatal("paging does not end")
			}
		}
		if strings.Join(all, ",") != strings.Join(m1.bySegment[1], ",") {
			t.Errorf("paged %d customers; want the %d of segment 1 in order", len(all), len(m1.bySegment[1]))
		}
	})
	t.Run("readyz and openapi", func(t *testing.T) {
		var info ModelInfo
		get(t, s, "/readyz", http.StatusOK, &info)
		if info.ModelVersion != 1 || info.Dataset != "retail" {
			t.Errorf("readyz %+v", info)
		}
		var doc map[string]any
		get(t, s, "/openapi.json", http.StatusOK, &doc)
	})
}

func TestErrors(t *testing.T) {
	m1, _ := loadedModels(t)
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 100
	s, err := NewServer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Swap(m1)
	cust := m1.bySegment[0][0]
	tests := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"GET", "/v1/customers/nobody", "", 404, CodeNotFound},
		{"GET", "/v1/customers/nobody/recommendations", "", 404, CodeNotFound},
		{"GET", "/v1/customers/" + cust + "/recommendations?k=0", "", 400, CodeInvalidParameter},
		{"GET", "/v1/customers/" + cust + "/recommendations?k=101", "", 400, CodeInvalidParameter},
		{"GET", "/v1/customers/" + cust + "/recommendations?k=ten", "", 400, CodeInvalidParameter},
		{"GET", "/v1/items/NOPE/associations", "", 404, CodeNotFound},
		{"GET", "/v1/items/" + m1.items[0].Name + "/associations?limit=-1", "", 400, CodeInvalidParameter},
		{"GET", "/v1/segments/9", "", 404, CodeNotFound},
		{"GET", "/v1/segments/x", "", 404, CodeNotFound},
		{"GET", "/v1/segments/01", "", 404, CodeNotFound},
		{"GET", "/v1/segments/9/customers", "", 404, CodeNotFound},
		{"GET", "/v1/segments/0/customers?cursor=%21%21", "", 400, CodeBadCursor},
		{"GET", "/v1/segments/0/customers?cursor=" + "Zm9v", "", 400, CodeBadCursor},
		{"GET", "/v1/segments/0/customers?limit=5000", "", 400, CodeInvalidParameter},
		{"POST", "/v1/recommendations", `{"items":`, 400, CodeBadRequest},
		{"POST", "/v1/recommendations", `{"items":[]}`, 400, CodeBadRequest},
		{"POST", "/v1/recommendations", `{"itemz":["a"]}`, 400, CodeBadRequest},
		{"POST", "/v1/recommendations", `{"items":["a"]} {}`, 400, CodeBadRequest},
		{"POST", "/v1/recommendations", `{"items":["a"],"k":1000}`, 400, CodeInvalidParameter},
		{"POST", "/v1/recommendations", `{"items":["` + strings.Repeat("a", 200) + `"]}`, 413, CodeBodyTooLarge},
		{"GET", "/v1/recommendations", "", 405, CodeMethodNotAllowed},
		{"DELETE", "/v1/segments", "", 405, CodeMethodNotAllowed},
		{"GET", "/v1/nothing", "", 404, CodeNoRoute},
		{"POST", "/v1/admin/model/rollback", "", 409, CodeNoPrevious},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path+" "+strconv.Itoa(len(tt.body)), func(t *testing.T) {
			var e ErrorBody
			do(t, s, tt.method, tt.path, tt.body, tt.status, &e)
			if e.Error.Code != tt.code || e.Error.Message == "" {
				t.Errorf("got error %+v; want code %s with a message", e.Error, tt.code)
			}
		})
	}
}

// TestQueryValue compares queryValue with url.Values.Get.
func TestQueryValue(t *testing.T) {
	for _, raw := range []string{"", "k=10", "k=1&k=2", "a=1&k=%31%30", "k", "k=", "%6B=7", "k=%zz&k=3", "k;x=1&k=4",
		"x=1;k=2", "k=a+b", "&&k=5&", "kk=1&k=6", "k=1=2", "+k=1&k=9", "k%=1&k=8"} {
		q, _ := url.ParseQuery(raw) // what r.URL.Query() does
		want := q.Get("k")
		if got := queryValue(raw, "k"); got != want {
			t.Errorf("%q: got %q; want %q", raw, got, want)
		}
	}
}
