package crmapi

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// testTokens returns tokens "shop" (read) and "ops" (admin).
func testTokens(t testing.TB) *Tokens {
	t.Helper()
	toks, err := ParseTokens(strings.NewReader(secretRead + " read shop\n" + secretAdmin + " admin ops\n"))
	if err != nil {
		t.Fatal(err)
	}
	return toks
}

// newAuthServer returns a server with testTokens, cfg's other settings,
// logging to log, serving v2 with v1 as the previous model (so rollback
// always succeeds).
func newAuthServer(t testing.TB, cfg Config, log *slog.Logger) *Server {
	t.Helper()
	m1, m2 := loadedModels(t)
	cfg.Tokens = testTokens(t)
	s, err := NewServer(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	s.Swap(m1)
	s.Swap(m2)
	return s
}

// send serves one request with the bearer token secret ("" for none).
func send(h http.Handler, method, path, body, secret string) (*http.Response, []byte) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, path, rd)
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+secret)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	res := rec.Result()
	data, _ := io.ReadAll(res.Body)
	return res, data
}

// exampleRequests returns, for each route, a request that succeeds with
// the right token.
func exampleRequests(t testing.TB) map[string][2]string {
	m1, m2 := loadedModels(t)
	cust := m1.bySegment[0][0]
	item := m2.items[m2.rules[0].ant[0]].Name
	return map[string][2]string{
		"GET /healthz":                           {"/healthz", ""},
		"GET /readyz":                            {"/readyz", ""},
		"GET /openapi.json":                      {"/openapi.json", ""},
		"GET /metrics":                           {"/metrics", ""},
		"GET /v1/customers/{id}":                 {"/v1/customers/" + cust, ""},
		"GET /v1/customers/{id}/recommendations": {"/v1/customers/" + cust + "/recommendations?k=3", ""},
		"POST /v1/recommendations":               {"/v1/recommendations", `{"items":["` + item + `"]}`},
		"GET /v1/items/{id}/associations":        {"/v1/items/" + item + "/associations", ""},
		"GET /v1/segments":                       {"/v1/segments", ""},
		"GET /v1/segments/{id}":                  {"/v1/segments/1", ""},
		"GET /v1/segments/{id}/customers":        {"/v1/segments/1/customers?limit=3", ""},
		"POST /v1/admin/model/rollback":          {"/v1/admin/model/rollback", ""},
	}
}

// TestAuthMatrix calls every route with no token, a wrong token, a read
// token and an admin token.
func TestAuthMatrix(t *testing.T) {
	s := newAuthServer(t, DefaultConfig(), nil)
	examples := exampleRequests(t)
	callers := []struct{ name, secret string }{
		{"no token", ""}, {"wrong token", "wrong-token-0123456789abcdef"}, {"read token", secretRead}, {"admin token", secretAdmin},
	}
	for _, rt := range s.routeTable() {
		key := rt.method + " " + rt.path
		ex, ok := examples[key]
		if !ok {
			t.Errorf("route %s has no example request; add one to exampleRequests", key)
			continue
		}
		for ci, c := range callers {
			t.Run(key+"/"+c.name, func(t *testing.T) {
				want := http.StatusOK
				switch {
				case rt.acc == public:
				case ci < 2:
					want = http.StatusUnauthorized
				case rt.acc == needAdmin && ci == 2:
					want = http.StatusForbidden
				}
				res, data := send(s, rt.method, ex[0], ex[1], c.secret)
				if res.StatusCode != want {
					t.Fatalf("got status %d (%s); want %d", res.StatusCode, data, want)
				}
				challenge := res.Header.Get("WWW-Authenticate")
				switch want {
				case http.StatusUnauthorized:
					wantCh := `Bearer realm="quarry-crmapi"`
					if c.secret != "" {
						wantCh += `, error="invalid_token"`
					}
					if challenge != wantCh {
						t.Errorf("got WWW-Authenticate %q; want %q", challenge, wantCh)
					}
					if !strings.Contains(string(data), `"code":"unauthorized"`) {
						t.Errorf("got body %s; want code unauthorized", data)
					}
				case http.StatusForbidden:
					if !strings.Contains(challenge, `error="insufficient_scope"`) || !strings.Contains(string(data), `"code":"forbidden"`) {
						t.Errorf("got WWW-Authenticate %q, body %s; want insufficient_scope and code forbidden", challenge, data)
					}
				}
			})
		}
	}
}

func TestMalformedAuthorization(t *testing.T) {
	s := newAuthServer(t, DefaultConfig(), nil)
	for _, h := range []string{"Basic " + secretRead, "Bearer", "Bearer ", secretRead, "Token " + secretRead} {
		req := httptest.NewRequest("GET", "/v1/segments", nil)
		req.Header.Set("Authorization", h)
		rec := httptest.NewRecorder()
		s.ServeHTTP(rec, req)
		if rec.Code != http.StatusUnauthorized || rec.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("Authorization %q: got %d %s; want 401 with a challenge", h, rec.Code, rec.Body)
		}
	}
	// The scheme is case-insensitive (RFC 9110).
	req := httptest.NewRequest("GET", "/v1/segments", nil)
	req.Header.Set("Authorization", "bearer "+secretRead)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Errorf(`"bearer <token>": got %d; want 200`, rec.Code)
	}
}

// TestSecretsNeverLogged serves requests of every outcome with a debug
// logger and checks that the log names tokens but never holds one.
func TestSecretsNeverLogged(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	cfg := DefaultConfig()
	cfg.RateLimit, cfg.RateBurst = 0.001, 2
	cfg.MaxBodyBytes = 64
	s := newAuthServer(t, cfg, log)
	wrong, err := GenerateToken()
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		method, path, body, secret string
		status                     int
	}{
		{"GET", "/v1/segments", "", secretRead, 200},
		{"POST", "/v1/admin/model/rollback", "", secretRead, 403},
		{"POST", "/v1/admin/model/rollback", "", secretAdmin, 200},
		{"GET", "/v1/segments", "", wrong, 401},
		{"GET", "/v1/segments/" + secretRead, "", secretAdmin, 404},
		{"POST", "/v1/recommendations", `{"items":["` + strings.Repeat("x", 100) + `"]}`, secretAdmin, 429},
		{"GET", "/v1/segments/0", "", secretRead, 200},
		{"GET", "/v1/segments", "", secretRead, 429},
		{"GET", "/healthz", "", secretRead, 200},
	} {
		if res, data := send(s, c.method, c.path, c.body, c.secret); res.StatusCode != c.status {
			t.Errorf("%s %s: got %d (%s); want %d", c.method, c.path, res.StatusCode, data, c.status)
		}
	}
	logs := buf.String()
	for _, want := range []string{"token=shop", "token=ops", "status=401", "status=429", "tokens=\"2 tokens (shop:read ops:read,admin)\""} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s:\n%s", want, logs)
		}
	}
	// The one path holding a token was asked for by the client; the
	// Authorization header never reaches the log.
	logs = strings.ReplaceAll(logs, "path=/v1/segments/"+secretRead, "")
	for _, secret := range []string{secretRead, secretAdmin, wrong, secretRead[:12], secretAdmin[:12], wrong[:12]} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds secret %q:\n%s", secret, logs)
		}
	}
}
