package crmapi

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// onlyReader hides a body's length, so it is sent chunked.
type onlyReader struct{ io.Reader }

func TestBodyTooLarge(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxBodyBytes = 100
	s := newAuthServer(t, cfg, nil)
	big := `{"items":["` + strings.Repeat("a", 200) + `"]}`
	tests := []struct {
		name, method, path string
		body               io.Reader
	}{
		{"declared length", "POST", "/v1/recommendations", strings.NewReader(big)},
		{"chunked", "POST", "/v1/recommendations", onlyReader{strings.NewReader(big)}},
		{"route without body", "POST", "/v1/admin/model/rollback", strings.NewReader(big)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, tt.body)
			if _, ok := tt.body.(onlyReader); ok {
				req.ContentLength = -1
			}
			req.Header.Set("Authorization", "Bearer "+secretAdmin)
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusRequestEntityTooLarge || !strings.Contains(rec.Body.String(), CodeBodyTooLarge) {
				t.Errorf("got %d %s; want 413 %s", rec.Code, rec.Body, CodeBodyTooLarge)
			}
		})
	}
}

func TestRateLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 20, 2 // a request every 50 ms
	s := newAuthServer(t, cfg, nil)
	for i := range 2 {
		if res, data := send(s, "GET", "/v1/segments/0", "", secretRead); res.StatusCode != 200 {
			t.Fatalf("request %d: got %d (%s); want 200 within the burst", i, res.StatusCode, data)
		}
	}
	res, data := send(s, "GET", "/v1/segments/0", "", secretRead)
	if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") != "1" || !strings.Contains(string(data), CodeRateLimited) {
		t.Fatalf("got %d, Retry-After %q (%s); want 429, 1, %s", res.StatusCode, res.Header.Get("Retry-After"), data, CodeRateLimited)
	}
	if res, _ := send(s, "GET", "/v1/segments/0", "", secretAdmin); res.StatusCode != 200 {
		t.Errorf("another token: got %d; want 200 (limits are per token)", res.StatusCode)
	}
	for i := range 50 {
		if res, _ := send(s, "GET", "/healthz", "", ""); res.StatusCode != 200 {
			t.Fatalf("healthz %d: got %d; want 200 (health is not rate limited)", i, res.StatusCode)
		}
		if res, _ := send(s, "GET", "/readyz", "", secretRead); res.StatusCode != 200 {
			t.Fatalf("readyz %d: got %d; want 200 (health is not rate limited)", i, res.StatusCode)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		time.Sleep(60 * time.Millisecond)
		res, _ := send(s, "GET", "/v1/segments/0", "", secretRead)
		if res.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("still %d after 5 s; want 200 once the bucket refills", res.StatusCode)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 0.1, 1 // a request every 10 s
	s := newAuthServer(t, cfg, nil)
	send(s, "GET", "/v1/segments", "", secretRead)
	res, _ := send(s, "GET", "/v1/segments", "", secretRead)
	if got := res.Header.Get("Retry-After"); res.StatusCode != 429 || (got != "10" && got != "9") {
		t.Errorf("got %d, Retry-After %q; want 429, 10", res.StatusCode, got)
	}
}

func TestRequestTimeout(t *testing.T) {
	cfg := DefaultConfig()
	cfg.RequestTimeout = 20 * time.Millisecond
	s, err := NewServer(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	release := make(chan struct{})
	defer close(release)
	slow := s.guard(needRead, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
		writeJSON(w, 200, map[string]string{"late": "yes"})
	}))
	fast := s.guard(needRead, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("X-Fast", "1")
		writeJSON(w, 201, map[string]string{"fast": "yes"})
	}))
	res, data := send(slow, "GET", "/slow", "", "")
	if res.StatusCode != http.StatusServiceUnavailable || res.Header.Get("Content-Type") != "application/json" ||
		!strings.Contains(string(data), `"code":"timeout"`) {
		t.Errorf("slow: got %d %q %s; want 503 application/json timeout", res.StatusCode, res.Header.Get("Content-Type"), data)
	}
	res, data = send(fast, "GET", "/fast", "", "")
	if res.StatusCode != 201 || res.Header.Get("X-Fast") != "1" || !strings.Contains(string(data), "fast") {
		t.Errorf("fast: got %d %v %s; want 201 with its header and body", res.StatusCode, res.Header, data)
	}
}

// serve starts s on a loopback port and returns its address; the server
// stops at the end of the test.
func serve(t *testing.T, s *Server) string {
	t.Helper()
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, lis) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return lis.Addr().String()
}

// TestSlowloris sends a request header a line at a time, slower than the
// server's ReadHeaderTimeout allows, and checks the server hangs up.
func TestSlowloris(t *testing.T) {
	cfg := DefaultConfig()
	cfg.ReadHeaderTimeout = 300 * time.Millisecond
	s := newAuthServer(t, cfg, nil)
	addr := serve(t, s)
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		if _, err := io.WriteString(conn, "GET /healthz HTTP/1.1\r\nHost: x\r\n"); err != nil {
			return
		}
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if _, err := io.WriteString(conn, "X-Slow: "+strings.Repeat("a", i)+"\r\n"); err != nil {
				return // closed by the server
			}
		}
	}()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	data, err := io.ReadAll(conn)
	took := time.Since(start)
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("connection still open after %s; want it closed after the 300 ms header timeout", took)
	}
	if took < 250*time.Millisecond || took > 300*time.Millisecond+2*time.Second {
		t.Errorf("closed after %s; want about 300 ms", took)
	}
	if strings.Contains(string(data), "200 OK") {
		t.Errorf("got an answer %q; want none", data)
	}
	// A client that sends its header in time is served.
	res, err := http.Get("http://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Errorf("healthz: got %d; want 200", res.StatusCode)
	}
}

func TestConfigValidateLimits(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"no rate limit", func(c *Config) { c.RateLimit, c.RateBurst = 0, 0 }, true},
		{"no request timeout", func(c *Config) { c.RequestTimeout = 0 }, true},
		{"negative request timeout", func(c *Config) { c.RequestTimeout = -1 }, false},
		{"negative rate", func(c *Config) { c.RateLimit = -1 }, false},
		{"rate without burst", func(c *Config) { c.RateBurst = 0 }, false},
		{"cert without key", func(c *Config) { c.TLSCert = "cert.pem" }, false},
		{"key without cert", func(c *Config) { c.TLSKey = "key.pem" }, false},
		{"cert and key", func(c *Config) { c.TLSCert, c.TLSKey = "cert.pem", "key.pem" }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Errorf("got %v; want ok %v", err, tt.ok)
			}
		})
	}
}
