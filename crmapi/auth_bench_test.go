package crmapi

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkGuard measures what authentication, the rate limit and the
// request timeout add to a request, against the bare route.
func BenchmarkGuard(b *testing.B) {
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, 200, map[string]int{"a": 1}) })
	for _, c := range []struct {
		name    string
		tokens  bool
		timeout bool
	}{{"bare", false, false}, {"auth", true, false}, {"auth+timeout", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.RateLimit = 1e9
			if c.tokens {
				cfg.Tokens = testTokens(b)
			}
			if !c.timeout {
				cfg.RequestTimeout = 0
			}
			s, err := NewServer(cfg, nil)
			if err != nil {
				b.Fatal(err)
			}
			h := s.guard(needRead, ok)
			req := httptest.NewRequest("GET", "/v1/segments", nil)
			req.Header.Set("Authorization", "Bearer "+secretRead)
			b.ReportAllocs()
			for b.Loop() {
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
			}
		})
	}
}
