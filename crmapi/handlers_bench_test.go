package crmapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkHandlers serves the hot routes in process (no network), with a
// read token and the default configuration, as quarry crmapi serves.
func BenchmarkHandlers(b *testing.B) {
	m, _ := loadedModels(b)
	cfg := DefaultConfig()
	tok, err := AdminToken("bench-admin-token-0123456789abcdef", "bench")
	if err != nil {
		b.Fatal(err)
	}
	cfg.Tokens, cfg.RateLimit, cfg.RateBurst = tok, 0, 0
	s, err := NewServer(cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	s.Swap(m)
	cust := m.bySegment[0][0]
	var items []string
	for _, it := range m.customers[cust].recent[0] {
		items = append(items, `"`+m.items[it].Name+`"`)
	}
	body := `{"items":[` + strings.Join(items, ",") + `],"k":10}`
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/v1/customers/" + cust, ""},
		{"GET", "/v1/customers/" + cust + "/recommendations?k=10", ""},
		{"POST", "/v1/recommendations", body},
	} {
		b.Run(tc.method+" "+tc.path, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				req := httptest.NewRequest(tc.method, tc.path, strings.NewReader(tc.body))
				req.Header.Set("Authorization", "Bearer bench-admin-token-0123456789abcdef")
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d: %s", w.Code, w.Body)
				}
			}
		})
	}
}
