package crmapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkHandlers serves the hot routes in process (no network), with a
// read token and the default request timeout, as quarry crmapi serves.
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
	for _, path := range []string{"/v1/customers/" + cust, "/v1/customers/" + cust + "/recommendations?k=10"} {
		b.Run(path, func(b *testing.B) {
			req := httptest.NewRequest(http.MethodGet, path, nil)
			req.Header.Set("Authorization", "Bearer bench-admin-token-0123456789abcdef")
			b.ReportAllocs()
			for b.Loop() {
				w := httptest.NewRecorder()
				s.ServeHTTP(w, req)
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
		})
	}
}
